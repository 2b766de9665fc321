/**
 * The one interface every content source implements: the registry client
 * (`src/registry/`), the OCI image layout store (`src/layout/`), and the
 * caching wrapper (`src/cache/`) that sits in front of either. The Klaus
 * domain code (`src/artifact/`) only ever talks to an {@linkcode OciStore}.
 *
 * @module
 */
import type { Reference } from "../ref/reference_type.ts";
import type { Descriptor } from "./descriptor.ts";

/** A repository address: a reference without tag or digest. */
export interface RepositoryRef {
  /** `host[:port]`, or `"ocidir://"` for an OCI image layout. */
  registry: string;
  /** Repository path (or layout directory). */
  repository: string;
}

/**
 * Bytes moved for one blob, reported while it flows.
 *
 * @example
 * ```ts
 * import type { ProgressEvent } from "@klaus/oci";
 * const e: ProgressEvent = { direction: "pull", digest: "sha256:…", transferred: 10, total: 100, done: false };
 * console.log(e.transferred / e.total);
 * ```
 */
export interface ProgressEvent {
  /** Whether the blob is being downloaded or uploaded. */
  direction: "pull" | "push";
  /** Digest of the blob (may be `""` while an upload's digest is unknown). */
  digest: string;
  /** Media type of the blob, when known. */
  mediaType?: string;
  /** Bytes moved so far. */
  transferred: number;
  /** Total bytes expected (0 when unknown). */
  total: number;
  /** True on the last event of this blob (also for a skipped blob). */
  done: boolean;
  /** True when the blob already existed and was not transferred. */
  skipped?: boolean;
}

/** Common per-call options. */
export interface CallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Options of {@linkcode OciStore.resolve}. */
export interface ResolveOptions extends CallOptions {
  /** Conditional probe: an ETag from an earlier answer. */
  ifNoneMatch?: string;
}

/** Result of {@linkcode OciStore.resolve}. */
export interface Resolved {
  /** Descriptor of the manifest the reference points at. */
  descriptor: Descriptor;
  /** The response ETag, when the source gives one. */
  etag?: string;
}

/** A manifest fetched and verified against its digest. */
export interface FetchedManifest {
  /** Descriptor: digest and size of `bytes`, media type of the document. */
  descriptor: Descriptor;
  /** The exact manifest bytes. */
  bytes: Uint8Array;
}

/** Options of {@linkcode OciStore.listTags}. */
export interface ListTagsOptions extends CallOptions {
  /** Conditional GET of the first page. */
  ifNoneMatch?: string;
}

/** Result of {@linkcode OciStore.listTags}. */
export interface TagList {
  /** Every tag, all pages concatenated (empty when not modified). */
  tags: string[];
  /** ETag of the first page, if given. */
  etag?: string;
  /** True when the server answered 304 to `ifNoneMatch`. */
  notModified?: boolean;
}

/** Options of blob transfers. */
export interface TransferOptions extends CallOptions {
  /** Progress callback. */
  onProgress?: (event: ProgressEvent) => void;
}

/** Options of {@linkcode OciStore.pushBlob}. */
export interface PushBlobOptions extends TransferOptions {
  /**
   * Repositories of the same registry that may hold the blob already: a
   * registry is asked to mount it from them (no bytes sent) before any
   * upload. Stores without mounts ignore this.
   */
  mountFrom?: readonly string[];
}

/**
 * Blob content for upload: bytes, or a factory returning a fresh stream of
 * the same bytes each time it is called (so an upload can be replayed after
 * an authentication challenge or a retry).
 */
export type BlobSource = Uint8Array | (() => ReadableStream<Uint8Array>);

/**
 * A content source and sink speaking OCI: a registry, an image layout, or a
 * cache in front of either.
 */
export interface OciStore {
  /**
   * The descriptor of the manifest `ref` names (`HEAD` on a registry).
   * Throws {@linkcode NotFoundError} when there is none.
   */
  resolve(ref: Reference, options?: ResolveOptions): Promise<Resolved>;
  /**
   * The manifest `ref` names, verified against the requested digest (or the
   * digest the source announces), at most 4 MiB.
   */
  fetchManifest(
    ref: Reference,
    options?: CallOptions,
  ): Promise<FetchedManifest>;
  /**
   * A blob as a stream that is verified for size and digest while it flows;
   * a mismatch errors the stream at its end.
   */
  fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: TransferOptions,
  ): Promise<ReadableStream<Uint8Array>>;
  /** Whether the blob exists (`HEAD` on a registry). */
  blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean>;
  /**
   * Uploads a blob whose digest and size are known (mounting it from
   * `options.mountFrom` where the registry can).
   */
  pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: PushBlobOptions,
  ): Promise<void>;
  /**
   * Uploads content of unknown digest and length from a stream, read once,
   * hashing on the way; returns its descriptor (media type from
   * `options.mediaType`, default `application/octet-stream`).
   */
  pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options?: TransferOptions & { mediaType?: string },
  ): Promise<Descriptor>;
  /**
   * Stores a manifest under `ref` (its tag, or its digest when it has no
   * tag) and returns the manifest's descriptor.
   */
  pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor>;
  /**
   * The manifests whose `subject` is the manifest `digest` (OCI 1.1
   * referrers: the referrers API where the registry has it, the referrers
   * tag schema where it does not), filtered by `artifactType`.
   */
  listReferrers(
    repo: RepositoryRef,
    digest: string,
    options?: CallOptions & { artifactType?: string },
  ): Promise<Descriptor[]>;
  /** Every tag of a repository. */
  listTags(repo: RepositoryRef, options?: ListTagsOptions): Promise<TagList>;
  /**
   * Every repository below a registry base (`host[/prefix]` or
   * `ocidir://<root>`), as full names (`host/prefix/name`), with
   * trailing-slash prefix semantics.
   */
  listRepositories(base: string, options?: CallOptions): Promise<string[]>;
}
