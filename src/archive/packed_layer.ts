/**
 * Internal access to what a {@linkcode PackedDirectory} was walked from, so
 * that a push can run the adaptive gzip passes itself (hash without
 * copying, replay without deflating again). Not part of the public API.
 *
 * @module
 */
import {
  GZIP_CHUNK_SIZE,
  type GzipPiece,
  gzipPieces,
  type GzipReplay,
} from "./adaptive_gzip.ts";
import type { ZlibApi } from "./node_zlib.ts";
import type { PackedDirectory } from "./pack.ts";
import { tarChunks } from "./tar_chunks.ts";
import type { SourceEntry } from "./walk.ts";

interface Walked {
  sources: readonly SourceEntry[];
  mtime: number;
}

const walked = new WeakMap<PackedDirectory, Walked>();

/**
 * Records what `packed` was walked from (called by `packDirectory`).
 */
export function registerPacked(
  packed: PackedDirectory,
  sources: readonly SourceEntry[],
  mtime: number,
): void {
  walked.set(packed, { sources, mtime });
}

/**
 * The adaptive gzip pieces of `packed`'s archive, read from the files as
 * they are pulled (input buffers reused: see {@linkcode GzipPiece}), or
 * `undefined` when `packed` was not made by `packDirectory`.
 */
export function layerPieces(
  packed: PackedDirectory,
  zlib: ZlibApi,
  replay?: GzipReplay,
): AsyncGenerator<GzipPiece, void, undefined> | undefined {
  const w = walked.get(packed);
  if (!w) return undefined;
  return gzipPieces(
    tarChunks(w.sources, w.mtime, { chunkSize: GZIP_CHUNK_SIZE, reuse: true }),
    zlib,
    replay,
  );
}
