/**
 * gunzip on `node:zlib`'s `Gunzip` stream, for Node. Node's
 * `DecompressionStream` is an adapter over the same zlib stream that buffers
 * far ahead of its reader (a whole gzip bomb before the first file is
 * refused): extracting 256 MiB peaked at 405–409 MiB RSS in 2.9–3.3 s,
 * against 98–107 MiB in 1.2–1.4 s for the same zlib stream driven with
 * backpressure (`bench/experiments/node_gunzip.ts`, Node 22). Here the
 * inflater only runs while the returned stream is read: input goes in when
 * zlib's write side asks for it, output comes out a chunk per read.
 *
 * @module
 */

/** What this file uses of a `node:zlib` `Gunzip` (a Node `Duplex`). */
export interface GunzipDuplex {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(): void;
  read(): Uint8Array | null;
  destroy(error?: Error): void;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** What {@linkcode nodeGunzip} reports of a failure. */
export interface NodeGunzipFailure {
  /** The error to raise: the input's own, or the decompressor's. */
  (error: unknown, fromInput: boolean, inputEnded: boolean): unknown;
}

/**
 * Inflates `first` and the rest of `reader` through `gunzip`. Errors of the
 * input are passed to `fail` with `fromInput` true, the decompressor's with
 * false; what `fail` returns is raised.
 */
export function nodeGunzip(
  gunzip: GunzipDuplex,
  first: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  fail: NodeGunzipFailure,
): ReadableStream<Uint8Array> {
  let inputEnded = false;
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  gunzip.on("readable", signal);
  gunzip.on("end", () => {
    ended = true;
    signal();
  });
  gunzip.on("error", (error) => {
    failure ??= { error: fail(error, false, inputEnded) };
    signal();
  });

  // The feeder writes as fast as zlib's write side drains, which is as fast
  // as the output is read: zlib pauses while its output buffer is full.
  const feed = async () => {
    let chunk: Uint8Array | undefined = first;
    for (;;) {
      if (failure) return;
      if (!chunk) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (error) {
          failure ??= { error: fail(error, true, inputEnded) };
          gunzip.destroy();
          signal();
          return;
        }
        if (r.done) {
          inputEnded = true;
          if (!failure) gunzip.end();
          return;
        }
        chunk = r.value;
      }
      if (failure) return;
      if (!gunzip.write(chunk)) await drained(gunzip);
      chunk = undefined;
    }
  };
  let feeding: Promise<void> | undefined;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      feeding ??= feed();
      for (;;) {
        if (failure) throw failure.error;
        const out = gunzip.read();
        if (out !== null) {
          controller.enqueue(
            new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
          );
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    async cancel(reason) {
      failure ??= { error: reason };
      gunzip.destroy();
      signal();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

/** Resolves when `stream` asks for more input, or can take none (closed). */
function drained(stream: GunzipDuplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
