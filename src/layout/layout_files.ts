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
 */
export const OCI_LAYOUT_FILE = "oci-layout";

/**
 * Name of the image index at the root of a layout, whose `manifests[]`
 * are the layout's entry points.
 */
export const OCI_INDEX_FILE = "index.json";

/**
 * The `imageLayoutVersion` this store writes into `oci-layout`.
 */
export const OCI_IMAGE_LAYOUT_VERSION = "1.0.0";

/**
 * The annotation on an `index.json` descriptor that carries its tag (skopeo
 * `oci:<dir>:<tag>`, oras, regclient all read and write it).
 */
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

/**
 * Absolute directory of the layout `repo` names. Relative paths are taken
 * from `cwd` (default: the process working directory).
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
 */
export function blobPath(dir: string, digest: string): string {
  const alg = digestAlgorithm(digest);
  return join(dir, "blobs", alg, digest.slice(alg.length + 1));
}
