import { openFilesUnder } from "../harness/open_files.ts";
import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import {
  adaptiveGzipStream,
  frameStored,
  GZIP_CHUNK_SIZE,
  type GzipPiece,
  gzipPieces,
  looksCompressible,
  rechunk,
  storedSize,
} from "../../src/archive/adaptive_gzip.ts";
import { crc32 } from "../../src/archive/crc32.ts";
import { gzipStream } from "../../src/archive/gzip.ts";
import { packDirectory } from "../../src/archive/mod.ts";
import { loadZlib, overrideZlib } from "../../src/archive/node_zlib.ts";
import { hasCommand } from "../harness/require.ts";
import { concat, tempDir } from "./raw_tar.ts";

const MiB = 1024 * 1024;
const enc = new TextEncoder();
const zlibApi = (await loadZlib())!;

/** Deterministic incompressible bytes (xorshift32), the same on every runtime. */
function prng(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Deterministic text: words in lines, like source or Markdown. */
function text(n: number, seed = 7): Uint8Array<ArrayBuffer> {
  const words = [
    "plugin",
    "skill",
    "the",
    "registry",
    "layer",
    "digest",
    "manifest",
    "export",
    "function",
    "const",
    "return",
    "{",
    "}",
    "klaus",
    "personality",
  ];
  const r = prng(n, seed);
  let s = "";
  for (let i = 0; s.length < n; i++) {
    s += words[r[i % n] % words.length] + (r[(i + 1) % n] % 9 ? " " : "\n");
  }
  return enc.encode(s.slice(0, n));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function bytesOf(
  s: ReadableStream<Uint8Array>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function* split(
  bytes: Uint8Array,
  size: number,
): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) {
    yield bytes.slice(o, o + size);
  }
}

function adaptive(
  bytes: Uint8Array,
  readSize = 64 * 1024,
): Promise<Uint8Array<ArrayBuffer>> {
  return bytesOf(adaptiveGzipStream(split(bytes, readSize), zlibApi));
}

async function gunzip(gz: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return await bytesOf(
    new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")),
  );
}

async function kinds(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for await (const p of gzipPieces(rechunk(split(bytes, MiB)), zlibApi)) {
    out.push(p.kind);
  }
  return out;
}

// Text, then incompressible data across chunk boundaries, then text again.
const MIXED = concat([text(MiB + 12345), prng(2 * MiB + 999), text(700_000)]);

Deno.test("crc32 in TypeScript matches the check value and zlib.crc32", () => {
  strictEqual(crc32(enc.encode("123456789")), 0xcbf43926);
  strictEqual(crc32(new Uint8Array(0)), 0);
  const data = prng(100_003, 3);
  for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 100_003]) {
    strictEqual(crc32(data.subarray(0, n)), zlib.crc32(data.subarray(0, n)));
  }
  // Chaining over pieces equals one pass.
  const chained = crc32(data.subarray(5001), crc32(data.subarray(0, 5001)));
  strictEqual(chained, zlib.crc32(data));
});

Deno.test("the probe: text, JSON, zeros and half-text chunks deflate; random and gzip data are stored", async () => {
  ok(looksCompressible(text(MiB)));
  ok(looksCompressible(enc.encode(JSON.stringify({ a: [...text(50_000)] }))));
  ok(looksCompressible(new Uint8Array(MiB)));
  ok(looksCompressible(enc.encode("x")));
  ok(looksCompressible(concat([text(MiB / 2), prng(MiB / 2)])));
  ok(!looksCompressible(prng(MiB)));
  ok(!looksCompressible(prng(4096)));
  ok(!looksCompressible(prng(5000)));
  // Below a few KiB the estimate cannot tell (100 random bytes measure at
  // most log2(100) bits per byte): such chunks are deflated, which costs
  // nothing and which zlib itself stores when it does not pay.
  ok(looksCompressible(prng(100)));
  ok(!looksCompressible(new Uint8Array(0)));
  const gz = await bytesOf(gzipStream(new Blob([text(4 * MiB)]).stream()));
  ok(gz.length > 64 * 1024);
  ok(!looksCompressible(gz));
});

Deno.test("stored blocks: framing, sizes, and a digest that is the same on every runtime", async () => {
  deepStrictEqual(
    frameStored(Uint8Array.of(7, 8)),
    Uint8Array.of(0, 2, 0, 0xfd, 0xff, 7, 8),
  );
  strictEqual(storedSize(0), 0);
  strictEqual(storedSize(1), 6);
  strictEqual(storedSize(MiB), MiB + 32 * 5);
  // A reused output buffer gets the same bytes as a fresh one.
  const data = prng(100_000);
  const scratch = new Uint8Array(storedSize(MiB));
  deepStrictEqual(frameStored(data, scratch), frameStored(data));

  // Incompressible input is only framed (no zlib involved), so its gzip is
  // byte-identical on Deno, Node, Bun and workerd: this digest is fixed.
  const input = prng(2 * MiB + 500_000, 42);
  const gz = await adaptive(input);
  deepStrictEqual(await kinds(input), [
    "header",
    "stored",
    "stored",
    "stored",
    "trailer",
  ]);
  strictEqual(gz.length, 10 + storedSize(input.length) + 5 + 8);
  strictEqual(
    sha256(gz),
    "976f996c4040ea26f62b0b35d718a7b530cf36bd5622d4a6815564a0c3b005fb",
  );
  deepStrictEqual(await gunzip(gz), input);
});

Deno.test("the same input gives the same bytes however it is split into reads", async () => {
  const reference = await adaptive(MIXED, MIXED.length);
  for (const readSize of [1000, 65536, MiB - 1, MiB, MiB + 3]) {
    deepStrictEqual(await adaptive(MIXED, readSize), reference, `${readSize}`);
  }
  deepStrictEqual(await adaptive(MIXED), reference);
  // Different input, different bytes (the test above cannot pass vacuously).
  const other = MIXED.slice();
  other[MiB + 500_000] ^= 1;
  notDeepStrictEqual(await adaptive(other), reference);
});

Deno.test("one gzip member mixing deflated and stored chunks: DecompressionStream, GNU gzip and Python's zlib read it", async () => {
  deepStrictEqual(await kinds(MIXED), [
    "header",
    "deflated",
    "deflated", // text and random data: deflated, as the probe says
    "stored",
    "deflated", // the rest of the random data, then text
    "trailer",
  ]);
  const gz = await adaptive(MIXED);
  ok(gz.length < MIXED.length * 0.75, `${gz.length}`);
  deepStrictEqual(await gunzip(gz), MIXED);
  // Exactly one member: the deflate stream ends where the trailer begins.
  const raw = zlib.inflateRawSync(gz.subarray(10, gz.length - 8));
  deepStrictEqual(new Uint8Array(raw), MIXED);

  await using t = await tempDir();
  await Deno.writeFile(`${t.path}/x.gz`, gz);
  if (hasCommand("gzip")) {
    const out = await new Deno.Command("gzip", {
      args: ["-dc", `${t.path}/x.gz`],
      stdout: "piped",
    }).output();
    strictEqual(out.code, 0);
    strictEqual(sha256(out.stdout), sha256(MIXED));
  }
  if (hasCommand("python3")) {
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        "import gzip,hashlib,sys; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())",
        `${t.path}/x.gz`,
      ],
      stdout: "piped",
    }).output();
    strictEqual(out.code, 0);
    strictEqual(new TextDecoder().decode(out.stdout).trim(), sha256(MIXED));
  }
});

Deno.test("text compresses as well as with CompressionStream: the previous chunk is the dictionary", async () => {
  // Lines that repeat across chunk boundaries: without the dictionary every
  // chunk would start from nothing.
  const input = text(5 * MiB);
  const ours = await adaptive(input);
  const theirs = await bytesOf(gzipStream(new Blob([input]).stream()));
  ok(
    ours.length <= theirs.length * 1.01,
    `adaptive ${ours.length} vs CompressionStream ${theirs.length}`,
  );
  deepStrictEqual(await gunzip(ours), input);
});

Deno.test("fixtures and examples: within 2 % (or 16 bytes) of CompressionStream's size", async () => {
  const dirs = [
    new URL("../fixtures/plugins/base", import.meta.url),
    new URL("../fixtures/personalities/sre", import.meta.url),
    new URL("../fixtures", import.meta.url),
    new URL("../../examples", import.meta.url),
  ];
  for (const url of dirs) {
    const packed = await packDirectory(url.pathname);
    const ours = await bytesOf(packed.stream());
    const theirs = await bytesOf(gzipStream(packed.tarStream()));
    ok(
      ours.length <= Math.max(theirs.length * 1.02, theirs.length + 16),
      `${url.pathname}: adaptive ${ours.length} vs CompressionStream ${theirs.length}`,
    );
    deepStrictEqual(
      await gunzip(ours),
      await bytesOf(packed.tarStream()),
    );
  }
});

Deno.test("a replay reproduces the first pass without deflating, and refuses changed input", async () => {
  const first: GzipPiece[] = [];
  const out: Uint8Array[] = [];
  for await (const p of gzipPieces(rechunk(split(MIXED, 4096)), zlibApi)) {
    first.push({ ...p, bytes: p.bytes.slice() });
    out.push(p.kind === "stored" ? frameStored(p.bytes) : p.bytes);
  }
  const trailer = first.at(-1)!;
  const deflated = new Map(
    first.filter((p) => p.kind === "deflated").map((p) => [p.index, p.bytes]),
  );
  const replay = {
    deflated: (i: number) => Promise.resolve(deflated.get(i)),
    crc: trailer.input!.crc,
    size: trailer.input!.size,
  };
  // A zlib that must not be called.
  const noDeflate = {
    ...zlibApi,
    deflateRawSync(): Uint8Array {
      throw new Error("deflated again");
    },
  };
  const again: Uint8Array[] = [];
  for await (
    const p of gzipPieces(rechunk(split(MIXED, MiB)), noDeflate, replay)
  ) {
    again.push(p.kind === "stored" ? frameStored(p.bytes) : p.bytes);
  }
  deepStrictEqual(concat(again), concat(out));

  const changed = MIXED.slice();
  changed[2 * MiB] ^= 0xff;
  await rejects(
    (async () => {
      for await (
        const _ of gzipPieces(rechunk(split(changed, MiB)), noDeflate, replay)
      ) {
        // drain
      }
    })(),
    /content changed while it was being pushed/,
  );
});

Deno.test("chunk boundaries are enforced: only the last chunk may be short", async () => {
  async function* bad() {
    yield new Uint8Array(1000);
    yield new Uint8Array(1000);
  }
  await rejects(
    (async () => {
      for await (const _ of gzipPieces(bad(), zlibApi)) {
        // drain
      }
    })(),
    /only the last chunk may be short/,
  );
  strictEqual(GZIP_CHUNK_SIZE, MiB);
});

Deno.test("packDirectory: digest() equals the hash of stream(), stable across packs and copies", async () => {
  await using t = await tempDir();
  await Deno.mkdir(`${t.path}/a/sub`, { recursive: true });
  await Deno.writeFile(`${t.path}/a/README.md`, text(300_000));
  await Deno.writeFile(`${t.path}/a/sub/blob.bin`, prng(3 * MiB + 17));
  await Deno.writeFile(`${t.path}/a/sub/z.txt`, text(2 * MiB, 9));
  const p1 = await packDirectory(`${t.path}/a`);
  const d1 = await p1.digest();
  const bytes = await bytesOf(p1.stream());
  strictEqual(d1.size, bytes.length);
  strictEqual(d1.digest, `sha256:${sha256(bytes)}`);
  deepStrictEqual(await p1.digest(), d1);
  deepStrictEqual(await gunzip(bytes), await bytesOf(p1.tarStream()));
  await Deno.rename(`${t.path}/a`, `${t.path}/b`);
  deepStrictEqual(await (await packDirectory(`${t.path}/b`)).digest(), d1);
});

Deno.test("without node:zlib packing falls back to CompressionStream", async () => {
  await using t = await tempDir();
  await Deno.writeFile(`${t.path}/a.txt`, text(200_000));
  await Deno.writeFile(`${t.path}/b.bin`, prng(300_000));
  const packed = await packDirectory(t.path);
  const adaptiveBytes = await bytesOf(packed.stream());
  overrideZlib(undefined);
  try {
    strictEqual(await loadZlib(), undefined);
    const viaStream = await bytesOf(packed.stream());
    const viaCompressionStream = await bytesOf(gzipStream(packed.tarStream()));
    deepStrictEqual(viaStream, viaCompressionStream);
    notDeepStrictEqual(viaStream, adaptiveBytes);
    strictEqual(
      (await packed.digest()).digest,
      `sha256:${sha256(viaStream)}`,
    );
    deepStrictEqual(await gunzip(viaStream), await gunzip(adaptiveBytes));
  } finally {
    overrideZlib(null);
  }
  ok(await loadZlib());
});

Deno.test({
  name: "cancelling stream() mid-way closes the file being read",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using t = await tempDir();
    await Deno.writeFile(`${t.path}/big.bin`, prng(5 * MiB));
    const packed = await packDirectory(t.path);
    const openFds = () => openFilesUnder(t.path);
    const before = await openFds();
    const reader = packed.stream().getReader();
    const first = await reader.read();
    ok(!first.done && first.value.length > 0);
    await reader.read();
    strictEqual(await openFds(), before + 1, "the file is open while reading");
    await reader.cancel();
    strictEqual(await openFds(), before);
  },
});
