/**
 * Names and paths inside an OCI image layout directory.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { InvalidReferenceError } from "../errors.ts";
import { digestAlgorithm } from "../oci/digest.ts";
import type { RepositoryRef } from "../oci/store.ts";
import { OCI_LAYOUT_REGISTRY } from "../ref/reference_type.ts";

/**
 * Name of the marker file every image layout has at its root.
 *
 * @example
 * ```ts
 * import { OCI_LAYOUT_FILE } from "@klaus/oci";
 * console.log(OCI_LAYOUT_FILE); // "oci-layout"
 * ```
 */
export const OCI_LAYOUT_FILE = "oci-layout";

/**
 * Name of the image index at the root of a layout, whose `manifests[]`
 * are the layout's entry points.
 *
 * @example
 * ```ts
 * import { OCI_INDEX_FILE } from "@klaus/oci";
 * console.log(OCI_INDEX_FILE); // "index.json"
 * ```
 */
export const OCI_INDEX_FILE = "index.json";

/**
 * The `imageLayoutVersion` this store writes into `oci-layout`.
 *
 * @example
 * ```ts
 * import { OCI_IMAGE_LAYOUT_VERSION } from "@klaus/oci";
 * console.log(OCI_IMAGE_LAYOUT_VERSION); // "1.0.0"
 * ```
 */
export const OCI_IMAGE_LAYOUT_VERSION = "1.0.0";

/**
 * The annotation on an `index.json` descriptor that carries its tag (skopeo
 * `oci:<dir>:<tag>`, oras, regclient all read and write it).
 *
 * @example
 * ```ts
 * import { ANNOTATION_REF_NAME } from "@klaus/oci";
 * console.log(ANNOTATION_REF_NAME); // "org.opencontainers.image.ref.name"
 * ```
 */
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

/**
 * Absolute directory of the layout `repo` names. Relative paths are taken
 * from `cwd` (default: the process working directory).
 *
 * @example
 * ```ts
 * import { layoutDir } from "@klaus/oci";
 * console.log(layoutDir({ registry: "ocidir://", repository: "store/base" }, "/srv")); // "/srv/store/base"
 * ```
 */
export function layoutDir(repo: RepositoryRef, cwd?: string): string {
  if (repo.registry !== OCI_LAYOUT_REGISTRY) {
    throw new InvalidReferenceError(
      `not an OCI layout reference: ${repo.registry}/${repo.repository}`,
    );
  }
  if (repo.repository === "" || repo.repository.includes("\0")) {
    throw new InvalidReferenceError(
      `invalid OCI layout directory ${JSON.stringify(repo.repository)}`,
    );
  }
  return cwd === undefined
    ? resolve(repo.repository)
    : resolve(cwd, repo.repository);
}

/**
 * Path of the blob with `digest` below layout `dir`
 * (`blobs/<alg>/<hex>`). The digest is validated first, so it can never
 * escape the layout.
 *
 * @example
 * ```ts
 * import { blobPath } from "@klaus/oci";
 * console.log(blobPath("/srv/base", "sha256:" + "0".repeat(64)));
 * ```
 */
export function blobPath(dir: string, digest: string): string {
  const alg = digestAlgorithm(digest);
  return join(dir, "blobs", alg, digest.slice(alg.length + 1));
}
