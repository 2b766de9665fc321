/**
 * Streaming tar.gz for content layers: reproducible packing of a directory
 * and secure extraction, on Web Streams and `node:fs/promises` only.
 *
 * @example
 * ```ts
 * import { extractToDirectory, packDirectory } from "@klaus/oci";
 * const packed = await packDirectory("./my-plugin");
 * const { digest, size } = await packed.digest();
 * console.log(digest, size);
 * await extractToDirectory(packed.stream(), "./copy-of-my-plugin");
 * ```
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
