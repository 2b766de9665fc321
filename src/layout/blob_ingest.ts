/**
 * Writing blobs into a layout: the content goes to a temp file in the
 * layout directory while it is hashed and counted, and is renamed to
 * `blobs/<alg>/<hex>` only once it is complete and (when a digest was
 * given) verified, so a blob path never holds partial or wrong content.
 *
 * @module
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DigestMismatchError } from "../errors.ts";
import {
  type DigestAlgorithm,
  digestAlgorithm,
  Digester,
} from "../oci/digest.ts";
import { randomHex, writeAll } from "./fs_util.ts";
import { blobPath } from "./layout_files.ts";

/**
 * Options of {@linkcode ingestBlob}.
 */
export interface IngestOptions {
  /** Digest the content must have; its algorithm is used for hashing. */
  expectedDigest?: string;
  /** Size the content must have. */
  expectedSize?: number;
  /** Algorithm when no digest is expected (default sha256). */
  algorithm?: DigestAlgorithm;
  /** Called with the running byte count after each chunk is written. */
  onBytes?: (written: number) => void;
  /** Aborts the write (the temp file is removed). */
  signal?: AbortSignal;
}

/**
 * Streams `source` into layout `dir` and returns the blob's digest and
 * size. Throws {@linkcode DigestMismatchError} (leaving nothing behind)
 * when the content does not match `expectedDigest` / `expectedSize`.
 */
export async function ingestBlob(
  dir: string,
  source: ReadableStream<Uint8Array>,
  options: IngestOptions = {},
): Promise<{ digest: string; size: number }> {
  const { expectedDigest, expectedSize, signal } = options;
  const alg = expectedDigest !== undefined
    ? digestAlgorithm(expectedDigest)
    : options.algorithm ?? "sha256";
  const hasher = new Digester(alg);
  // In the layout root rather than in blobs/<alg>/, so tools that walk the
  // blob directories never see a name that is not a digest.
  const tmp = join(dir, `.klaus-ingest-${randomHex()}`);
  const reader = source.getReader();
  try {
    const fh = await open(tmp, "wx", 0o644);
    try {
      for (;;) {
        signal?.throwIfAborted();
        const { done, value } = await reader.read();
        if (done) break;
        hasher.update(value);
        if (expectedSize !== undefined && hasher.size > expectedSize) {
          throw new DigestMismatchError(
            `size mismatch for ${expectedDigest}: got more than ${expectedSize} bytes`,
          );
        }
        await writeAll(fh, value);
        options.onBytes?.(hasher.size);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const size = hasher.size;
    const digest = hasher.digest();
    if (expectedSize !== undefined && size !== expectedSize) {
      throw new DigestMismatchError(
        `size mismatch for ${expectedDigest}: got ${size} bytes, want ${expectedSize}`,
      );
    }
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      throw new DigestMismatchError(
        `digest mismatch: got ${digest}, want ${expectedDigest}`,
      );
    }
    const target = blobPath(dir, digest);
    await mkdir(dirname(target), { recursive: true });
    // Same content under the same name: replacing an existing copy is
    // harmless, and rename is atomic for readers of the old one.
    await rename(tmp, target);
    return { digest, size };
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}
