/**
 * Test helpers: tar bytes written by hand (independently of
 * `src/archive/tar_*`), gzip framing, streaming generators for large or
 * hostile archives, and temp-dir snapshots.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

const enc = new TextEncoder();

/** One raw tar header (plus data) as a hostile archive would hold it. */
export interface RawEntry {
  name: string;
  /** Typeflag character (default "0"). */
  type?: string;
  /** Entry data (string = UTF-8). */
  data?: Uint8Array | string;
  /** Size field; defaults to the data length. */
  size?: number;
  linkname?: string;
  mode?: number;
  /** USTAR prefix field. */
  prefix?: string;
  /** Header flavour (default ustar). */
  format?: "ustar" | "gnu" | "v7";
  /** Size field written in GNU base-256. */
  base256Size?: boolean;
}

function put(block: Uint8Array, off: number, len: number, s: string) {
  const b = enc.encode(s);
  if (b.length > len) throw new Error(`field too long: ${s}`);
  block.set(b, off);
}

function octal(block: Uint8Array, off: number, len: number, n: number) {
  put(block, off, len, n.toString(8).padStart(len - 1, "0") + "\0");
}

/** A 512-byte header block. */
export function rawHeader(e: RawEntry, size: number): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, 100, e.name);
  octal(b, 100, 8, e.mode ?? 0o644);
  octal(b, 108, 8, 1000);
  octal(b, 116, 8, 1000);
  if (e.base256Size) {
    b[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      b[i] = n % 256;
      n = Math.floor(n / 256);
    }
  } else octal(b, 124, 12, size);
  octal(b, 136, 12, 1700000000);
  b[156] = (e.type ?? "0").charCodeAt(0);
  put(b, 157, 100, e.linkname ?? "");
  const format = e.format ?? "ustar";
  if (format === "ustar") {
    put(b, 257, 8, "ustar\x0000");
    put(b, 345, 155, e.prefix ?? "");
  } else if (format === "gnu") {
    put(b, 257, 8, "ustar  \0");
  }
  put(b, 265, 32, "someone");
  put(b, 297, 32, "somegroup");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  put(b, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return b;
}

function dataOf(e: RawEntry): Uint8Array {
  return typeof e.data === "string"
    ? enc.encode(e.data)
    : e.data ?? new Uint8Array(0);
}

/** Header, data and padding of one entry. */
export function rawEntry(e: RawEntry): Uint8Array {
  const data = dataOf(e);
  const size = e.size ?? data.length;
  const padded = Math.ceil(data.length / 512) * 512;
  const out = new Uint8Array(512 + padded);
  out.set(rawHeader(e, size), 0);
  out.set(data, 512);
  return out;
}

/** PAX records, each `"<len> <key>=<value>\n"`. */
export function paxData(records: Record<string, string>): string {
  let s = "";
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    const bl = enc.encode(body).length;
    let len = bl + String(bl).length;
    if (String(len).length + bl !== len) len = bl + String(len).length;
    s += `${len}${body}`;
  }
  return s;
}

/** A complete tar: entries (or raw byte pieces), then two zero blocks. */
export function rawTar(
  parts: (RawEntry | Uint8Array)[],
  opts: { end?: boolean } = {},
): Uint8Array {
  const pieces = parts.map((p) => p instanceof Uint8Array ? p : rawEntry(p));
  if (opts.end ?? true) pieces.push(new Uint8Array(1024));
  return concat(pieces);
}

export function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A stream of `bytes` in chunks of `chunk` bytes. */
export function streamOf(
  bytes: Uint8Array,
  chunk = 1000,
): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

/** A pull-driven stream over a (possibly infinite) generator. */
export function generatorStream(
  gen: AsyncGenerator<Uint8Array> | Generator<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(c) {
      const r = await gen.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel() {
      await gen.return(undefined);
    },
  }, { highWaterMark: 0 });
}

/** gzip of a stream, via the runtime's CompressionStream. */
export function gzip(
  s: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  return s.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  );
}

/** gzip bytes of `bytes`. */
export async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(gzip(streamOf(bytes, 1 << 16))).arrayBuffer(),
  );
}

/**
 * gzip framing with stored (uncompressed) deflate blocks: a valid gzip of
 * any stream at memcpy speed, for incompressible test data.
 */
export async function* storedGzip(
  src: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  let crc = 0;
  let size = 0;
  for await (const chunk of src) {
    for (let off = 0; off < chunk.length; off += 65535) {
      const piece = chunk.subarray(off, off + 65535);
      const block = new Uint8Array(5 + piece.length);
      block[0] = 0; // not final, stored
      block[1] = piece.length & 0xff;
      block[2] = piece.length >> 8;
      block[3] = ~piece.length & 0xff;
      block[4] = (~piece.length >> 8) & 0xff;
      block.set(piece, 5);
      crc = crc32(piece, crc);
      size += piece.length;
      yield block;
    }
  }
  const tail = new Uint8Array(5 + 8);
  tail.set([1, 0, 0, 0xff, 0xff], 0); // final, empty stored block
  const v = new DataView(tail.buffer);
  v.setUint32(5, crc >>> 0, true);
  v.setUint32(9, size % 2 ** 32, true);
  yield tail;
}

/** Chunks of `total` bytes: zeros, or fresh random bytes. */
export function* bytesOf(
  total: number,
  kind: "zeros" | "random",
  chunk = 1 << 16,
): Generator<Uint8Array> {
  const zero = new Uint8Array(chunk);
  for (let left = total; left > 0; left -= chunk) {
    const n = Math.min(chunk, left);
    if (kind === "zeros") yield zero.subarray(0, n);
    else yield crypto.getRandomValues(new Uint8Array(n));
  }
}

/** A tar stream of one big file followed by the end marker, generated lazily. */
export function* bigFileTar(
  name: string,
  size: number,
  kind: "zeros" | "random",
  type = "0",
): Generator<Uint8Array> {
  yield rawHeader({ name, type }, size);
  yield* bytesOf(size, kind);
  if (size % 512) yield new Uint8Array(512 - (size % 512));
  yield new Uint8Array(1024);
}

/** A temp dir removed on dispose. */
export async function tempDir(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = await Deno.makeTempDir({ prefix: "klaus-archive-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Every path below `dir` with its kind, mode and content hash, sorted:
 * compare two snapshots to prove nothing changed.
 */
export async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string) {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const info = await Deno.lstat(p);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (info.isSymlink) out.push(`${r} link ${await Deno.readLink(p)}`);
      else if (info.isDirectory) {
        out.push(`${r} dir ${mode}`);
        await walk(p, r);
      } else if (info.isFile) {
        const h = createHash("sha256").update(await Deno.readFile(p)).digest(
          "hex",
        );
        out.push(`${r} file ${mode} ${h.slice(0, 16)}`);
      } else out.push(`${r} other`);
    }
  }
  await walk(dir, "");
  return out.sort();
}

/** Names in `dir` (one level). */
export async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}
