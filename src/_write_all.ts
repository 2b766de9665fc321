/**
 * Complete writes to a file (internal, not exported from `mod.ts`).
 *
 * @module
 */
import type { FileHandle } from "node:fs/promises";

/**
 * Writes all of `bytes` at the handle's current position: a single `write`
 * may write less than asked. A write that makes no progress is an error
 * rather than a loop.
 */
export async function writeAll(
  fh: FileHandle,
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off);
    if (bytesWritten <= 0) throw new Error("short write");
    off += bytesWritten;
  }
}
