/**
 * OCI image layouts on disk (`ocidir://<dir>[:tag|@digest]`) behind the
 * same {@linkcode OciStore} interface as the registry client.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
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
