/**
 * A parsed artifact reference.
 *
 * Registry references look like `host[:port]/repo/path[:tag][@digest]`.
 * Layout references look like `ocidir://<dir>[:tag|@digest]`; for those
 * `registry` is `"ocidir://"` and `repository` is the directory path as
 * written (relative paths are resolved against the working directory by the
 * layout store, not by the parser).
 */
export interface Reference {
  /** `host[:port]`, or `"ocidir://"` for an OCI image layout on disk. */
  registry: string;
  /** Repository path below the registry (or the layout directory). */
  repository: string;
  /** Tag, when the reference names one. */
  tag?: string;
  /** Digest (`sha256:`, `sha384:` or `sha512:` and hex), when the reference names one. */
  digest?: string;
}

/** The registry value that marks an OCI image layout reference. */
export const OCI_LAYOUT_REGISTRY = "ocidir://";
