/**
 * Reading a blob file as a Web stream, in bounded chunks, without loading
 * it into memory.
 *
 * @module
 */
import { open } from "node:fs/promises";

/** Default read size: large enough that per-chunk overhead vanishes. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/**
 * Opens `path` and returns its content as a stream of chunks of at most
 * `chunkSize` bytes. The file is closed at the end, on error and on
 * cancel. `expectedSize` only sizes the buffers (small blobs do not get a
 * 1 MiB buffer each); the content is whatever the file holds.
 */
export async function openFileStream(
  path: string,
  options: {
    chunkSize?: number;
    expectedSize?: number;
    signal?: AbortSignal;
  } = {},
): Promise<ReadableStream<Uint8Array>> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const fh = await open(path, "r");
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  let position = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        options.signal?.throwIfAborted();
        const remaining = (options.expectedSize ?? 0) - position;
        // Past the expected end, probe with a small read: normally it
        // finds EOF, and extra bytes still flow so verification sees them.
        const want = remaining > 0
          ? Math.min(chunkSize, remaining)
          : Math.min(chunkSize, 64 * 1024);
        const buf = new Uint8Array(want);
        const { bytesRead } = await fh.read(buf, 0, want, position);
        if (bytesRead === 0) {
          await close();
          controller.close();
          return;
        }
        position += bytesRead;
        controller.enqueue(
          bytesRead === want ? buf : buf.subarray(0, bytesRead),
        );
      } catch (e) {
        await close().catch(() => {});
        controller.error(e);
      }
    },
    async cancel() {
      await close();
    },
  });
}
