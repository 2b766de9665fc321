import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Digester } from "../oci/digest.ts";
import type { BlobSource } from "../oci/store.ts";

/** Content whose digest and size are known, replayable for upload. */
export interface SpooledBlob {
  /** `sha256:<hex>` of the content. */
  digest: string;
  /** Size in bytes. */
  size: number;
  /** The bytes, or a factory of fresh streams over a temporary file. */
  source: BlobSource;
  /** Removes the temporary file, if any. */
  cleanup(): Promise<void>;
}

const CHUNK = 1024 * 1024;

/**
 * Drains `stream`, hashing it, into memory while it stays below
 * `memoryLimit` bytes and into a temporary file beyond: a registry upload
 * needs the digest before the first byte is sent, and a replay after an
 * authentication challenge needs the bytes again. An abort of `signal`
 * stops the drain (and the producer) and removes what was spooled.
 */
export async function spool(
  stream: ReadableStream<Uint8Array>,
  memoryLimit = 16 * 1024 * 1024,
  signal?: AbortSignal,
): Promise<SpooledBlob> {
  const digester = new Digester();
  const chunks: Uint8Array[] = [];
  let dir: string | undefined;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    signal?.throwIfAborted();
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      digester.update(chunk);
      if (file) {
        await file.write(chunk);
      } else if (digester.size > memoryLimit) {
        dir = await mkdtemp(join(tmpdir(), "klaus-oci-push-"));
        file = await open(join(dir, "layer"), "w", 0o600);
        for (const c of chunks) await file.write(c);
        chunks.length = 0;
        await file.write(chunk);
      } else {
        chunks.push(chunk);
      }
    }
    await file?.close();
  } catch (e) {
    // Stops the producer when the drain failed before it started reading.
    await stream.cancel(e).catch(() => {});
    await file?.close().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const size = digester.size;
  const digest = digester.digest();
  if (!dir) {
    const bytes = new Uint8Array(size);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
    return { digest, size, source: bytes, cleanup: () => Promise.resolve() };
  }
  const path = join(dir, "layer");
  const tempDir = dir;
  return {
    digest,
    size,
    source: () => fileStream(path),
    cleanup: () => rm(tempDir, { recursive: true, force: true }),
  };
}

/** A byte stream over a file, read in 1 MiB chunks as the consumer pulls. */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(controller) {
      handle ??= await open(path, "r");
      const buf = new Uint8Array(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
        return;
      }
      controller.enqueue(buf.subarray(0, bytesRead));
    },
    async cancel() {
      await handle?.close();
    },
  });
}
