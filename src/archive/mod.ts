/**
 * Streaming tar.gz for content layers: reproducible packing of a directory
 * and secure extraction, on Web Streams and `node:fs/promises` only.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
 *
 * @module
 */
export * from "./extract.ts";
export * from "./extract_to_directory.ts";
export * from "./limits.ts";
export * from "./list.ts";
export * from "./pack.ts";
export type { TarEntryType } from "./tar_reader.ts";
export type { PackEntry } from "./walk.ts";
