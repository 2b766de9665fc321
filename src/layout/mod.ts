/**
 * OCI image layouts on disk (`ocidir://<dir>[:tag|@digest]`) behind the
 * same {@linkcode OciStore} interface as the registry client.
 *
 * @example
 * ```ts
 * import { LayoutStore } from "@klaus/oci";
 * const store = new LayoutStore();
 * console.log(typeof store.resolve);
 * ```
 *
 * @module
 */
export {
  LayoutStore,
  type LayoutStoreOptions,
  type PushBlobStreamOptions,
} from "./layout_store.ts";
export {
  ANNOTATION_REF_NAME,
  blobPath,
  layoutDir,
  OCI_IMAGE_LAYOUT_VERSION,
  OCI_INDEX_FILE,
  OCI_LAYOUT_FILE,
} from "./layout_files.ts";
