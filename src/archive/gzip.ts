/**
 * gzip on the web-standard `CompressionStream` / `DecompressionStream`, with
 * the guards extraction needs: the header is checked before anything is
 * written, input is fed in small slices so a gzip bomb cannot make the
 * decompressor return one gigantic chunk, and decompressor failures are told
 * apart from failures of the input stream (a digest mismatch raised by the
 * input must reach the caller unchanged).
 *
 * On Node the inflater is `node:zlib` (`node_gunzip.ts`): its
 * `DecompressionStream` reads without bound ahead of the reader.
 *
 * Multi-member gzip (concatenated streams): Node and Bun decompress every
 * member, as Go does; Deno's `DecompressionStream` stops after the first
 * member and reports the rest as an error, which surfaces as
 * `gzip: trailing data after the end of the gzip stream …`. Single-member
 * archives — what every tar/gzip tool writes — work everywhere.
 *
 * @module
 */
import { KlausOciError } from "../errors.ts";
import { concatBytes } from "../_bytes.ts";
import { runtimeKind } from "../_runtime_kind.ts";
import { nodeGunzip } from "./node_gunzip.ts";
import { loadZlib, type ZlibApi } from "./node_zlib.ts";

/**
 * Compressed bytes handed to the decompressor at a time. Deflate expands at
 * most ~1032:1, so one slice yields at most ~32 MiB of output (Deno's
 * `DecompressionStream` returns all output of one write as one chunk; Node
 * and Bun cut it into 16/64 KiB). 32 KiB rather than 16: a 256 MiB pull of
 * stored data is ~7 % faster (fewer, larger file writes); 64 KiB gained no
 * more and doubled the bound (`bench/RESULTS.md`).
 */
const INPUT_SLICE = 32 * 1024;

/**
 * Output chunk of the `node:zlib` inflater: draining a 256 MiB blob from
 * the registry through it took 1.0 s against 1.4 s with zlib's default
 * 16 KiB (Node 22, one run each).
 */
const NODE_OUTPUT_CHUNK = 64 * 1024;

let engineOverride: GunzipEngine | undefined;

/** Which inflater {@linkcode gunzipStream} uses. */
export type GunzipEngine = "web" | "node-zlib";

/**
 * Makes {@linkcode gunzipStream} use `engine` on any runtime (`null`: the
 * default again, `node:zlib` on Node and `DecompressionStream` elsewhere).
 * For tests.
 */
export function overrideGunzipEngine(engine: GunzipEngine | null): void {
  engineOverride = engine ?? undefined;
}

/** The inflater {@linkcode gunzipStream} uses here (and now). */
export function gunzipEngine(): GunzipEngine {
  // Node's `DecompressionStream` reads ahead without bound (see
  // `node_gunzip.ts`); Deno's, Bun's and workerd's do not, and Workers may
  // have no `node:zlib` at all.
  return engineOverride ??
    (runtimeKind() === "node" ? "node-zlib" : "web");
}

async function zlibForGunzip(): Promise<ZlibApi | undefined> {
  return gunzipEngine() === "node-zlib" ? await loadZlib() : undefined;
}

/**
 * The decompressor rejected the data. `inputEnded` tells whether the whole
 * compressed input had been read when it failed: then the data was cut short
 * (or its trailer is corrupt), otherwise it is corrupt mid-stream.
 */
export class GunzipError extends KlausOciError {
  /** Whether the compressed input had ended when the decompressor failed. */
  readonly inputEnded: boolean;
  /** Creates the error. */
  constructor(
    message: string,
    inputEnded: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.inputEnded = inputEnded;
  }
}

/**
 * Compresses a stream with gzip. The output depends only on the input and
 * the runtime's deflate implementation (the gzip header carries no name and
 * MTIME 0). Packing uses it only where `node:zlib` is missing; elsewhere
 * `adaptive_gzip.ts` stores incompressible data instead of deflating it.
 */
export function gzipStream(
  input: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  return input.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  );
}

function gzipMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // Deno's wording for bytes left over after the first gzip member.
  if (msg.includes("failed to write whole buffer")) {
    return "gzip: trailing data after the end of the gzip stream" +
      " (multi-member gzip is not supported by this runtime's DecompressionStream)";
  }
  return `gzip: ${msg}`;
}

/**
 * Decompresses a gzip stream. Resolves once the gzip header has been read
 * and checked; rejects with `creating gzip reader: …` when it is missing or
 * malformed (the input is then cancelled). Errors of the returned stream are
 * either the input's own error, unchanged, or a {@linkcode GunzipError}.
 */
export async function gunzipStream(
  input: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = input.getReader();
  const head = await readHeader(reader);
  const zlib = await zlibForGunzip();
  if (zlib?.createGunzip) {
    return nodeGunzip(
      zlib.createGunzip({ chunkSize: NODE_OUTPUT_CHUNK }),
      head,
      reader,
      (error, fromInput, inputEnded) =>
        fromInput ? error : new GunzipError(
          gzipMessage(error),
          // zlib reads ahead of the tar reader: the input has often ended
          // by the time corrupt data is found. Only a lack of data is a cut.
          inputEnded && (error as { code?: string }).code !== "Z_DATA_ERROR",
          { cause: error },
        ),
    );
  }
  let pending: Uint8Array | undefined = head;
  let inputEnded = false;
  let inputError: { error: unknown } | undefined;

  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (!pending || pending.byteLength === 0) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (error) {
          inputError = { error };
          throw error;
        }
        if (r.done) {
          inputEnded = true;
          controller.close();
          return;
        }
        pending = r.value;
      }
      controller.enqueue(pending.subarray(0, INPUT_SLICE));
      pending = pending.subarray(INPUT_SLICE);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });

  const inflated = source.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  ).getReader();

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await inflated.read();
      } catch (err) {
        if (inputError) throw inputError.error;
        throw new GunzipError(gzipMessage(err), inputEnded, { cause: err });
      }
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return inflated.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads the 10 fixed bytes of the gzip header and checks magic, method and
 * reserved flags (what Go's `gzip.NewReader` rejects up front). Returns every
 * byte read so far, to be fed to the decompressor.
 */
async function readHeader(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  while (n < 10) {
    const r = await reader.read();
    if (r.done) {
      throw new KlausOciError(
        `creating gzip reader: ${n === 0 ? "EOF" : "unexpected EOF"}`,
      );
    }
    chunks.push(r.value);
    n += r.value.byteLength;
  }
  const head = concatBytes(chunks, n);
  if (
    head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 ||
    (head[3] & 0xe0) !== 0
  ) {
    const err = new KlausOciError("creating gzip reader: gzip: invalid header");
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  return head;
}
