/**
 * Byte helpers shared across the library (internal, not exported from
 * `mod.ts`).
 *
 * @module
 */

/**
 * `chunks` as one array of `size` bytes (default: their total). A single
 * chunk of that size is returned as it is.
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  size: number = chunks.reduce((n, c) => n + c.byteLength, 0),
): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteLength === size) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** A stream of `bytes` as one chunk (none when empty). */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Compares two strings in UTF-8 byte order (the order registries and
 * file systems sort by), which is code point order, not JavaScript's UTF-16
 * order: they disagree above U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xd800..0xdfff) encodes a code point above 0xffff,
    // larger than any BMP character in 0xe000..0xffff.
    const sx = x >= 0xd800 && x < 0xe000;
    const sy = y >= 0xd800 && y < 0xe000;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Reads `body` into memory. Once more than `limit` bytes have arrived it
 * cancels the rest and throws what `tooLarge()` returns: a hostile or
 * broken server must not make the client buffer without limit.
 */
export async function readStreamLimited(
  body: ReadableStream<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, total);
}
