/** OCI image manifest media type. */
export const MEDIA_TYPE_OCI_MANIFEST =
  "application/vnd.oci.image.manifest.v1+json";
/** OCI image index media type. */
export const MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** Docker v2 schema 2 manifest media type. */
export const MEDIA_TYPE_DOCKER_MANIFEST =
  "application/vnd.docker.distribution.manifest.v2+json";
/** Docker v2 manifest list media type. */
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST =
  "application/vnd.docker.distribution.manifest.list.v2+json";

/**
 * Every manifest media type the client accepts, in the order sent in
 * `Accept`. Distribution 2.8 answers 404 when the OCI types are missing.
 */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
];

/** Largest manifest the client reads (4 MiB), as oras-go and containers/image. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
