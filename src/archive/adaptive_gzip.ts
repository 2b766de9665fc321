/**
 * Adaptive gzip: one standard gzip member whose deflate stream compresses
 * what compresses and stores what does not.
 *
 * The input is cut into chunks of {@linkcode GZIP_CHUNK_SIZE} bytes. A cheap,
 * deterministic probe (the byte entropy of a few samples of the chunk)
 * decides per chunk: compressible chunks are deflated at level 6 (gzip's
 * and Go's default) with the previous 32 KiB of input as preset dictionary
 * and end in a sync flush, so they continue the same deflate stream;
 * incompressible chunks are framed as stored blocks here, without zlib (a
 * copy instead of the ~20 ms per MiB deflate spends finding no matches).
 * This is how pigz assembles one deflate stream from independently
 * compressed pieces; every inflater (Go's `compress/gzip`, GNU gzip,
 * `DecompressionStream`) reads it as a single member.
 *
 * The output depends only on the input bytes and the runtime's zlib (stored
 * chunks are identical everywhere, deflated ones are as reproducible as
 * zlib itself): the same input gives the same bytes on the same runtime,
 * however the input was split into reads.
 *
 * @module
 */
import { KlausOciError } from "../errors.ts";
import type { ZlibApi } from "./node_zlib.ts";

/**
 * Bytes of input compressed (or stored) as one unit.
 */
export const GZIP_CHUNK_SIZE = 1024 * 1024;

/** Data bytes per stored block (at most 65 535; a power of two divides chunks evenly). */
const STORED_BLOCK = 32 * 1024;
/** Deflate's window: what a chunk may refer back to. */
const WINDOW = 32 * 1024;
const LEVEL = 6;

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown), as Go writes it. */
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
/** An empty final stored block: ends the deflate stream after sync flushes. */
const FINAL_BLOCK = Uint8Array.of(1, 0, 0, 0xff, 0xff);

// The probe: byte histograms of up to SAMPLES slices of SAMPLE bytes spread
// over the chunk. A chunk is deflated when the mean order-0 entropy of the
// slices is below THRESHOLD bits per byte. Measured on 1 MiB chunks of real
// files: random data 7.95 (the estimate's bias on 4 KiB), JPEG and the
// members of zip archives 7.92–7.95 (level 6 saves 0–2 %), PNG 7.82 (6 %),
// executables, fonts, source code, JSON and text 4–6.5 (level 6 saves
// 45–85 %). Averaging per slice (instead of one histogram over all samples)
// keeps a chunk that is partly text and partly random on the deflate side.
const SAMPLES = 8;
const SAMPLE = 4 * 1024;
const THRESHOLD = 7.8;
/** `c * log2(c)` for every count a slice can produce. */
const C_LOG_C: Float64Array = (() => {
  const t = new Float64Array(SAMPLE + 1);
  for (let c = 2; c <= SAMPLE; c++) t[c] = c * Math.log2(c);
  return t;
})();
const counts = new Uint32Array(256);

function entropy(data: Uint8Array, start: number, end: number): number {
  counts.fill(0);
  for (let i = start; i < end; i++) counts[data[i]]++;
  const n = end - start;
  let sum = 0;
  for (let b = 0; b < 256; b++) sum += C_LOG_C[counts[b]];
  return Math.log2(n) - sum / n;
}

/**
 * Whether a chunk is worth deflating: the mean byte entropy of up to eight
 * 4 KiB slices spread evenly over it is below 7.8 bits per byte.
 * Deterministic (it looks only at the bytes).
 */
export function looksCompressible(chunk: Uint8Array): boolean {
  const n = chunk.length;
  if (n === 0) return false;
  if (n <= SAMPLE) return entropy(chunk, 0, n) < THRESHOLD;
  const slices = Math.min(SAMPLES, Math.floor(n / SAMPLE));
  let total = 0;
  for (let k = 0; k < slices; k++) {
    const start = slices === 1
      ? 0
      : Math.floor(k * (n - SAMPLE) / (slices - 1));
    total += entropy(chunk, start, start + SAMPLE);
  }
  return total / slices < THRESHOLD;
}

/**
 * Size of `n` bytes framed as stored blocks.
 */
export function storedSize(n: number): number {
  return n + 5 * Math.ceil(n / STORED_BLOCK);
}

/**
 * Frames `data` as non-final stored deflate blocks into `out` (a fresh
 * buffer when not given or too small) and returns the framed bytes. The
 * deflate stream must be at a byte boundary, which it is after a sync flush
 * or another stored block.
 */
export function frameStored(data: Uint8Array, out?: Uint8Array): Uint8Array {
  const size = storedSize(data.length);
  const dst = out && out.length >= size ? out : new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < data.length; i += STORED_BLOCK) {
    const len = Math.min(STORED_BLOCK, data.length - i);
    dst[o] = 0; // BFINAL 0, BTYPE 00 (stored), padding to the byte
    dst[o + 1] = len & 0xff;
    dst[o + 2] = len >>> 8;
    dst[o + 3] = ~len & 0xff;
    dst[o + 4] = (~len >>> 8) & 0xff;
    dst.set(data.subarray(i, i + len), o + 5);
    o += 5 + len;
  }
  return dst.subarray(0, size);
}

/**
 * One piece of an adaptive gzip stream, in output order: the header, one
 * piece per input chunk, the trailer.
 *
 * - `header`, `deflated`, `trailer`: `bytes` are output bytes the consumer
 *   may keep;
 * - `stored`: `bytes` is the *input* chunk, to be framed with
 *   {@linkcode frameStored}; it is only valid until the next piece is
 *   requested (input buffers are reused).
 */
export interface GzipPiece {
  /** What `bytes` holds. */
  kind: "header" | "stored" | "deflated" | "trailer";
  /** Index of the input chunk (-1 for the header, the chunk count for the trailer). */
  index: number;
  /** Output bytes, or the input chunk of a `stored` piece. */
  bytes: Uint8Array;
  /** On the trailer: CRC-32 and size of the whole input (what a replay checks). */
  input?: { crc: number; size: number };
}

/**
 * How a first pass encoded the chunks, so a second pass over the same
 * input reproduces its bytes without deflating again.
 */
export interface GzipReplay {
  /** The first pass's output for chunk `index`, or `undefined` when it was stored. */
  deflated(
    index: number,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** CRC-32 of the whole input in the first pass. */
  crc: number;
  /** Input size in the first pass. */
  size: number;
}

/**
 * Encodes `chunks` (each exactly {@linkcode GZIP_CHUNK_SIZE} bytes except
 * the last, see {@linkcode rechunk}) as adaptive gzip pieces. With
 * `replay`, every chunk is encoded as the first pass encoded it, and an
 * input that differs from the first pass's (CRC-32 and size) errors before
 * the trailer.
 */
export async function* gzipPieces(
  chunks: AsyncIterable<Uint8Array>,
  zlib: ZlibApi,
  replay?: GzipReplay,
): AsyncGenerator<GzipPiece, void, undefined> {
  yield { kind: "header", index: -1, bytes: HEADER.slice() };
  let crc = 0;
  let size = 0;
  let index = 0;
  let prev: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (prev && prev.length !== GZIP_CHUNK_SIZE) {
      // Chunk boundaries decide the output: they must not depend on reads.
      throw new Error("gzipPieces: only the last chunk may be short");
    }
    crc = zlib.crc32(chunk, crc);
    size += chunk.length;
    let deflated: Uint8Array | undefined;
    if (replay) {
      deflated = await replay.deflated(index);
    } else if (looksCompressible(chunk)) {
      deflated = deflateChunk(zlib, chunk, prev);
    }
    yield deflated
      ? { kind: "deflated", index, bytes: deflated }
      : { kind: "stored", index, bytes: chunk };
    prev = chunk;
    index++;
  }
  if (replay && (crc !== replay.crc || size !== replay.size)) {
    throw new KlausOciError(
      "the content changed while it was being pushed (it differs from the content whose digest was computed)",
    );
  }
  const trailer = new Uint8Array(FINAL_BLOCK.length + 8);
  trailer.set(FINAL_BLOCK);
  const view = new DataView(trailer.buffer);
  view.setUint32(FINAL_BLOCK.length, crc >>> 0, true);
  view.setUint32(FINAL_BLOCK.length + 4, size % 2 ** 32, true);
  yield { kind: "trailer", index, bytes: trailer, input: { crc, size } };
}

function deflateChunk(
  zlib: ZlibApi,
  chunk: Uint8Array,
  prev: Uint8Array | undefined,
): Uint8Array {
  const out = zlib.deflateRawSync(chunk, {
    level: LEVEL,
    dictionary: prev?.subarray(prev.length - WINDOW),
    finishFlush: zlib.Z_SYNC_FLUSH,
    chunkSize: 64 * 1024,
  });
  // A plain Uint8Array (not a Buffer) that does not pin a larger buffer.
  return out.byteLength * 2 < out.buffer.byteLength
    ? new Uint8Array(out)
    : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Cuts a byte stream into chunks of exactly `size` bytes (the last may be
 * shorter), alternating between two buffers: a chunk stays valid until the
 * chunk after the next is requested.
 */
export async function* rechunk(
  input: AsyncIterable<Uint8Array>,
  size: number = GZIP_CHUNK_SIZE,
): AsyncGenerator<Uint8Array, void, undefined> {
  const bufs = [new Uint8Array(size), new Uint8Array(size)];
  let which = 0;
  let buf = bufs[0];
  let off = 0;
  for await (const part of input) {
    let p = 0;
    while (p < part.length) {
      const n = Math.min(size - off, part.length - p);
      buf.set(part.subarray(p, p + n), off);
      off += n;
      p += n;
      if (off === size) {
        yield buf;
        which ^= 1;
        buf = bufs[which];
        off = 0;
      }
    }
  }
  if (off > 0) yield buf.subarray(0, off);
}

/**
 * Adaptive gzip of a stream (see the module documentation); pulls its
 * input as it is read.
 */
export function adaptiveGzipStream(
  input: AsyncIterable<Uint8Array>,
  zlib: ZlibApi,
): ReadableStream<Uint8Array> {
  return piecesStream(gzipPieces(rechunk(input), zlib));
}

/**
 * A pull-driven stream of the output bytes of `pieces`: stored chunks are
 * framed into a fresh buffer each (the consumer may keep them). Cancelling
 * the stream ends the generator, which closes its input.
 */
export function piecesStream(
  pieces: AsyncGenerator<GzipPiece, void, undefined>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await pieces.next();
      if (r.done) {
        controller.close();
        return;
      }
      const p = r.value;
      controller.enqueue(p.kind === "stored" ? frameStored(p.bytes) : p.bytes);
    },
    async cancel() {
      await pieces.return();
    },
  }, { highWaterMark: 0 });
}
