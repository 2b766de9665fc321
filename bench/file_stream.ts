/**
 * A file as a byte stream the way the library's uploads read files: 1 MiB
 * reads, each handed on in 8 KiB views (Deno frees the chunks of a
 * streamed request body when its garbage collector runs, which follows the
 * number of chunks, so small views keep a streamed upload's RSS down).
 * Used by the `upload` operation and the SHA-256 benchmark.
 *
 * @module
 */
import { open } from "node:fs/promises";

const READ_SIZE = 1024 * 1024;
const SLICE = 8 * 1024;

/**
 * A lazily opened stream of the file at `path`.
 *
 * @example
 * ```ts ignore
 * for await (const chunk of fileStream("/tmp/blob.bin")) console.log(chunk.length);
 * ```
 */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      handle ??= await open(path, "r");
      const buf = new Uint8Array(READ_SIZE);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buf, 0, READ_SIZE, null));
      } catch (e) {
        await handle.close().catch(() => {});
        throw e;
      }
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
        return;
      }
      for (let o = 0; o < bytesRead; o += SLICE) {
        controller.enqueue(buf.subarray(o, Math.min(o + SLICE, bytesRead)));
      }
    },
    async cancel() {
      await handle?.close();
    },
  }, { highWaterMark: 0 });
}
