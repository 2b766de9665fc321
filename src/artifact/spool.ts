import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  frameStored,
  GZIP_CHUNK_SIZE,
  type GzipPiece,
  type GzipReplay,
  storedSize,
} from "../archive/adaptive_gzip.ts";
import { loadZlib } from "../archive/node_zlib.ts";
import type { PackedDirectory } from "../archive/pack.ts";
import { layerPieces } from "../archive/packed_layer.ts";
import { Digester } from "../oci/digest.ts";
import type { BlobSource } from "../oci/store.ts";

/** Content whose digest and size are known, replayable for upload. */
export interface SpooledBlob {
  /** `sha256:<hex>` of the content. */
  digest: string;
  /** Size in bytes. */
  size: number;
  /** The bytes, or a factory of fresh streams (of a temporary file or a second pass). */
  source: BlobSource;
  /** Removes the temporary file, if any. */
  cleanup(): Promise<void>;
  /**
   * Why a stream of `source` failed on this side (the files changed or
   * could not be read), if one did. The registry only sees the upload cut
   * short and answers with its own error (and a retry then fails on the
   * spent upload session): this is the cause to report.
   */
  readonly sourceError?: unknown;
}

/** Bytes read from a file at a time. */
const READ_SIZE = 1024 * 1024;

/**
 * Largest chunk an upload stream hands to `fetch`. In Deno the chunks of a
 * streamed request body are freed when the garbage collector runs, and how
 * often it runs depends on the number of chunks (the small objects each
 * one costs), not on their bytes: a push of 256 MiB peaked at 140 MiB RSS
 * with 1 MiB or 64 KiB chunks, 124 MiB with 16 KiB, 109 MiB with 8 KiB and
 * 99 MiB with 4 KiB views of the same buffers, at the same speed
 * (`bench/RESULTS.md`). Node's `fetch` ignores the size either way.
 */
export const UPLOAD_SLICE = 8 * 1024;

const DEFAULT_MEMORY_LIMIT = 16 * 1024 * 1024;

/**
 * Drains `stream`, hashing it, into memory while it stays below
 * `memoryLimit` bytes and into a temporary file beyond: a registry upload
 * needs the digest before the first byte is sent, and a replay after an
 * authentication challenge needs the bytes again. An abort of `signal`
 * stops the drain (and the producer) and removes what was spooled.
 */
export async function spool(
  stream: ReadableStream<Uint8Array>,
  memoryLimit = DEFAULT_MEMORY_LIMIT,
  signal?: AbortSignal,
  tempRoot: string = tmpdir(),
): Promise<SpooledBlob> {
  const digester = new Digester();
  const chunks: Uint8Array[] = [];
  let dir: string | undefined;
  let file: FileHandle | undefined;
  try {
    signal?.throwIfAborted();
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      digester.update(chunk);
      if (file) {
        await file.write(chunk);
      } else if (digester.size > memoryLimit) {
        dir = await mkdtemp(join(tempRoot, "klaus-oci-push-"));
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
    return {
      digest,
      size,
      source: concat(chunks, size),
      cleanup: () => Promise.resolve(),
    };
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

/**
 * The content layer of `packed`, ready to upload, in one pass over the
 * files (tar + adaptive gzip + SHA-256):
 *
 * - a layer of at most `memoryLimit` bytes is kept in memory;
 * - of a larger one only the deflated chunks are kept (in memory up to
 *   `memoryLimit` bytes, then in a temporary file): each upload makes the
 *   archive again, reading the files, framing the stored chunks anew and
 *   taking the deflated ones from the first pass, and checks that the input
 *   has not changed (CRC-32 and size) before the last bytes. For
 *   incompressible content this costs a second read of the files instead
 *   of writing and reading the whole layer to and from a temporary file.
 *
 * Without `node:zlib` (no adaptive gzip) this is {@linkcode spool} of
 * `packed.stream()`. An abort of `signal` stops the pass and removes what
 * was kept.
 */
export async function spoolLayer(
  packed: PackedDirectory,
  memoryLimit = DEFAULT_MEMORY_LIMIT,
  signal?: AbortSignal,
  tempRoot: string = tmpdir(),
): Promise<SpooledBlob> {
  signal?.throwIfAborted();
  const zlib = await loadZlib();
  const pieces = zlib && layerPieces(packed, zlib);
  if (!zlib || !pieces) {
    return spool(packed.stream(), memoryLimit, signal, tempRoot);
  }

  const digester = new Digester();
  const kept = new DeflatedChunks(memoryLimit, tempRoot);
  // Every output piece while the layer may still fit in memory: the output
  // is at most a little larger than the tar, whose size the walk tells.
  let all: Uint8Array[] | undefined = tarSize(packed) <= memoryLimit
    ? []
    : undefined;
  const scratch = new Uint8Array(storedSize(GZIP_CHUNK_SIZE));
  let input: GzipPiece["input"];
  try {
    for await (const p of pieces) {
      signal?.throwIfAborted();
      const bytes = p.kind === "stored"
        ? frameStored(p.bytes, all ? undefined : scratch)
        : p.bytes;
      digester.update(bytes);
      if (all) {
        all.push(bytes);
        if (digester.size > memoryLimit) all = undefined;
      }
      if (p.kind === "deflated") await kept.add(p.index, p.bytes);
      if (p.kind === "trailer") input = p.input;
    }
  } catch (e) {
    await pieces.return();
    await kept.cleanup();
    throw e;
  }
  const size = digester.size;
  const digest = digester.digest();
  if (all) {
    await kept.cleanup();
    return {
      digest,
      size,
      source: concat(all, size),
      cleanup: () => Promise.resolve(),
    };
  }
  const { crc, size: inputSize } = input!;
  let sourceError: unknown;
  return {
    digest,
    size,
    source: () => {
      const reader = kept.reader();
      const replay: GzipReplay = {
        deflated: (index) => reader.get(index),
        crc,
        size: inputSize,
      };
      return uploadStream(
        layerPieces(packed, zlib, replay)!,
        reader.close,
        (e) => sourceError ??= e,
      );
    },
    cleanup: () => kept.cleanup(),
    get sourceError() {
      return sourceError;
    },
  };
}

/**
 * The output of `pieces` as a stream of views of at most
 * {@linkcode UPLOAD_SLICE} bytes over fresh buffers (`fetch` may hold on to
 * what it was given). `done` runs once the pieces end, fail or are
 * cancelled; `failed` learns why they failed.
 */
function uploadStream(
  pieces: AsyncGenerator<GzipPiece, void, undefined>,
  done: () => Promise<void>,
  failed: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: IteratorResult<GzipPiece, void>;
      try {
        r = await pieces.next();
      } catch (e) {
        failed(e);
        await done();
        throw e;
      }
      if (r.done) {
        await done();
        controller.close();
        return;
      }
      const p = r.value;
      // Deflated chunks kept in memory are uploaded again on a replay: copy.
      const bytes = p.kind === "stored"
        ? frameStored(p.bytes)
        : p.bytes.slice();
      enqueueSliced(controller, bytes);
    },
    async cancel() {
      await pieces.return();
      await done();
    },
  }, { highWaterMark: 0 });
}

function enqueueSliced(
  controller: ReadableStreamDefaultController<Uint8Array>,
  bytes: Uint8Array,
): void {
  for (let o = 0; o < bytes.length; o += UPLOAD_SLICE) {
    controller.enqueue(bytes.subarray(o, o + UPLOAD_SLICE));
  }
}

/** Where a deflated chunk of the first pass is: in memory or in the file. */
type Kept = Uint8Array | { offset: number; length: number };

/**
 * The deflated chunks of a first pass by chunk index: in memory up to a
 * limit, then appended to a temporary file.
 */
class DeflatedChunks {
  #limit: number;
  #inMemory = 0;
  #chunks = new Map<number, Kept>();
  #dir?: string;
  #file?: FileHandle;
  #fileSize = 0;

  #tempRoot: string;

  constructor(limit: number, tempRoot: string) {
    this.#limit = limit;
    this.#tempRoot = tempRoot;
  }

  async add(index: number, bytes: Uint8Array): Promise<void> {
    if (this.#inMemory + bytes.length <= this.#limit) {
      this.#inMemory += bytes.length;
      this.#chunks.set(index, bytes);
      return;
    }
    if (!this.#file) {
      this.#dir = await mkdtemp(join(this.#tempRoot, "klaus-oci-push-"));
      this.#file = await open(join(this.#dir, "deflated"), "w+", 0o600);
    }
    let written = 0;
    while (written < bytes.length) {
      written += (await this.#file.write(
        bytes,
        written,
        bytes.length - written,
        this.#fileSize + written,
      )).bytesWritten;
    }
    this.#chunks.set(index, { offset: this.#fileSize, length: bytes.length });
    this.#fileSize += bytes.length;
  }

  /** A lookup for one replay, with its own handle on the file. */
  reader(): {
    get(index: number): Promise<Uint8Array | undefined>;
    close(): Promise<void>;
  } {
    let handle: FileHandle | undefined;
    let closed = false;
    const path = this.#dir && join(this.#dir, "deflated");
    return {
      get: async (index) => {
        const k = this.#chunks.get(index);
        if (!k || k instanceof Uint8Array) return k;
        handle ??= await open(path!, "r");
        const out = new Uint8Array(k.length);
        let got = 0;
        while (got < k.length) {
          const { bytesRead } = await handle.read(
            out,
            got,
            k.length - got,
            k.offset + got,
          );
          if (bytesRead === 0) throw new Error("spooled chunk truncated");
          got += bytesRead;
        }
        return out;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await handle?.close();
      },
    };
  }

  async cleanup(): Promise<void> {
    this.#chunks.clear();
    await this.#file?.close().catch(() => {});
    this.#file = undefined;
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

/** Size of the tar archive of `packed` (PAX records for long names aside). */
function tarSize(packed: PackedDirectory): number {
  let n = 1024;
  for (const e of packed.entries) n += 512 + Math.ceil(e.size / 512) * 512;
  return n;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return bytes;
}

/**
 * A byte stream over a file, read in 1 MiB chunks as the consumer pulls and
 * handed on in views of at most {@linkcode UPLOAD_SLICE} bytes.
 */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
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
      enqueueSliced(controller, buf.subarray(0, bytesRead));
    },
    async cancel() {
      await handle?.close();
    },
  }, { highWaterMark: 0 });
}
