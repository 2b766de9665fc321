/**
 * What extraction promises of its gzip reader, whichever inflater is behind
 * it (`DecompressionStream`, or `node:zlib` — Node's default): the same
 * files, the same refusals, input errors unchanged, cancellation reaching
 * the input, the limits holding against a bomb, and memory that does not
 * grow with the archive. Written with web standards and `node:` modules
 * only, so that the same cases run under Deno (`gunzip_engines_test.ts`,
 * both engines) and under Node itself (`test/runtime/node_gunzip_test.ts`).
 *
 * @module
 */
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractTarGz } from "../../src/archive/mod.ts";
import type { GunzipEngine } from "../../src/archive/gzip.ts";
import { KlausOciError, TooLargeError } from "../../src/errors.ts";
import {
  bigFileTar,
  bytesOf,
  concat,
  generatorStream,
  gzip,
  gzipBytes,
  rawHeader,
  rawTar,
  storedGzip,
  streamOf,
} from "./raw_tar.ts";

/** Where a case runs. */
export interface GunzipContext {
  /** The inflater in use. */
  engine: GunzipEngine;
  /** The runtime: Deno's `DecompressionStream` stops after one member. */
  runtime: "deno" | "node" | "bun";
  /** The resident set size now, in bytes. */
  rss(): number;
}

/** One promise of the gzip reader. */
export interface GunzipCase {
  name: string;
  /**
   * Holds for the runtime's own inflater only: memory depends on the
   * runtime's allocator and collector (Deno's `node:zlib` leaves more
   * garbage between collections than Node's; neither retains it).
   */
  defaultEngineOnly?: boolean;
  run(ctx: GunzipContext): Promise<void>;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "klaus-gunzip-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const MiB = 1024 * 1024;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, off + 65536));
  }
  return out;
}

let bomb: Promise<Uint8Array> | undefined;

/** 64 files of 8 MiB of zeros (512 MiB), gzipped to about 0.5 MiB; made once. */
function zeroBomb(): Promise<Uint8Array> {
  function* files() {
    for (let i = 0; i < 64; i++) {
      yield rawHeader({ name: `zeros-${i}` }, 8 * MiB);
      yield* bytesOf(8 * MiB, "zeros", MiB);
    }
    yield new Uint8Array(1024);
  }
  bomb ??= new Response(gzip(generatorStream(files()))).arrayBuffer()
    .then((b) => new Uint8Array(b));
  return bomb;
}

/** The cases, in the order they run. */
export const GUNZIP_CASES: GunzipCase[] = [
  {
    name: "files come out as they went in, in small and large chunks",
    run: () =>
      withDir(async (dir) => {
        const big = random(300_000);
        const gz = await gzipBytes(rawTar([
          { name: "a.txt", data: "alpha\n" },
          { name: "d/", type: "5" },
          { name: "d/big.bin", data: big },
          { name: "empty", data: "" },
        ]));
        for (const chunk of [7, 1 << 20]) {
          const out = join(dir, String(chunk));
          const r = await extractTarGz(streamOf(gz, chunk), out);
          deepStrictEqual(r.bytes, 6 + big.length);
          deepStrictEqual(
            await readFile(join(out, "a.txt"), "utf8"),
            "alpha\n",
          );
          deepStrictEqual(
            new Uint8Array(await readFile(join(out, "d/big.bin"))),
            big,
          );
          deepStrictEqual((await readFile(join(out, "empty"))).length, 0);
        }
      }),
  },
  {
    name:
      "multi-member gzip: every member (refused by Deno's DecompressionStream)",
    run: ({ engine, runtime }) =>
      withDir(async (dir) => {
        const tar = rawTar([{ name: "f", data: "x".repeat(3000) }]);
        const two = concat([
          await gzipBytes(tar.subarray(0, 1024)),
          await gzipBytes(tar.subarray(1024)),
        ]);
        if (engine === "web" && runtime === "deno") {
          await rejects(
            extractTarGz(streamOf(two), dir),
            (e: Error) => /multi-member gzip is not supported/.test(e.message),
          );
        } else {
          await extractTarGz(streamOf(two), dir);
          deepStrictEqual(
            await readFile(join(dir, "f"), "utf8"),
            "x".repeat(3000),
          );
        }
      }),
  },
  {
    name: "not gzip, empty, short header: refused before the inflater",
    run: () =>
      withDir(async (dir) => {
        const cases: [Uint8Array, string][] = [
          [
            rawTar([{ name: "f", data: "plain tar" }]),
            "creating gzip reader: gzip: invalid header",
          ],
          [new Uint8Array(0), "creating gzip reader: EOF"],
          [
            new Uint8Array([0x1f, 0x8b, 8]),
            "creating gzip reader: unexpected EOF",
          ],
        ];
        for (const [bytes, message] of cases) {
          await rejects(extractTarGz(streamOf(bytes), dir), (e: Error) => {
            ok(e instanceof KlausOciError);
            deepStrictEqual(e.message, message);
            return true;
          });
        }
        deepStrictEqual(await readdir(dir), []);
      }),
  },
  {
    name: "cut short mid-stream: unexpected EOF",
    run: () =>
      withDir(async (dir) => {
        const gz = await gzipBytes(
          rawTar([{ name: "f", data: random(20_000) }]),
        );
        await rejects(
          extractTarGz(streamOf(gz.subarray(0, gz.length >> 1)), dir),
          (e: Error) => e.message === "reading tar entry: unexpected EOF",
        );
      }),
  },
  {
    name:
      "corrupt deflate data and a corrupt checksum are reported as gzip errors",
    run: () =>
      withDir(async (dir) => {
        const gz = await gzipBytes(
          rawTar([{ name: "f", data: "hello ".repeat(1000) }]),
        );
        const mid = gz.slice();
        for (let i = 12; i < 40; i++) mid[i] ^= 0x5a;
        await rejects(
          extractTarGz(streamOf(mid), join(dir, "mid")),
          (e: Error) => /^reading tar entry: /.test(e.message),
        );
        const crc = gz.slice();
        crc[crc.length - 6] ^= 0xff;
        await rejects(
          extractTarGz(streamOf(crc), join(dir, "crc")),
          (e: Error) => /^reading tar entry: gzip: /.test(e.message),
        );
      }),
  },
  {
    name: "an input error mid-way is passed through unchanged",
    run: () =>
      withDir(async (dir) => {
        const gz = await gzipBytes(
          rawTar([{ name: "f", data: random(100_000) }]),
        );
        const boom = new Error("network went away");
        let sent = 0;
        const input = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent > 30_000) return c.error(boom);
            c.enqueue(gz.slice(sent, sent + 10_000));
            sent += 10_000;
          },
        });
        await rejects(extractTarGz(input, dir), (e) => e === boom);
      }),
  },
  {
    name: "a refusal inside extraction cancels the input with its error",
    run: () =>
      withDir(async (dir) => {
        const gz = await gzipBytes(rawTar([
          { name: "../x", data: "x" },
          // Incompressible, so the input is longer than any read-ahead.
          { name: "y", data: random(1_000_000) },
        ]));
        let cancelled: unknown;
        let off = 0;
        const input = new ReadableStream<Uint8Array>({
          pull(c) {
            if (off >= gz.length) return c.close();
            c.enqueue(gz.slice(off, off + 64));
            off += 64;
          },
          cancel(reason) {
            cancelled = reason;
          },
        });
        let raised: unknown;
        await rejects(extractTarGz(input, dir), (e) => {
          raised = e;
          return true;
        });
        ok(cancelled !== undefined && cancelled === raised, String(raised));
      }),
  },
  {
    name: "an abort stops the extraction with its reason",
    run: () =>
      withDir(async (dir) => {
        const ac = new AbortController();
        const reason = new Error("user abort");
        let n = 0;
        function* slow() {
          for (const c of bigFileTar("f", 10 * MiB, "zeros")) {
            if (++n === 20) ac.abort(reason);
            yield c;
          }
        }
        await rejects(
          extractTarGz(gzip(generatorStream(slow())), dir, {
            signal: ac.signal,
          }),
          (e) => e === reason,
        );
        // Already aborted: nothing starts.
        await rejects(
          extractTarGz(streamOf(new Uint8Array(10)), dir, {
            signal: ac.signal,
          }),
          (e) => e === reason,
        );
      }),
  },
  {
    name: "a gzip bomb stops at the total limit, before the file over it",
    run: () =>
      withDir(async (dir) => {
        const gz = await zeroBomb();
        let consumed = 0;
        const input = streamOf(gz, 4096).pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(c, ctl) {
              consumed += c.length;
              ctl.enqueue(c);
            },
          }),
        );
        await rejects(
          extractTarGz(input, dir, { maxTotalBytes: 32 * MiB }),
          (e: Error) =>
            e instanceof TooLargeError &&
            e.message === `archive exceeds max total size (${32 * MiB} bytes)`,
        );
        deepStrictEqual((await readdir(dir)).length, 3);
        // 4 of 64 files were reached: the inflater did not run ahead of the
        // reader through the rest of the bomb.
        ok(
          consumed < gz.length / 4,
          `${consumed} of ${gz.length} compressed bytes read`,
        );
      }),
  },
  {
    name: "256 MiB of incompressible data streams to disk in bounded memory",
    defaultEngineOnly: true,
    run: ({ rss }) =>
      withDir(async (dir) => {
        const size = 256 * MiB;
        // Warm up so one-off allocations are not counted.
        await extractTarGz(
          generatorStream(storedGzip(bigFileTar("warm", 4 * MiB, "random"))),
          join(dir, "warm"),
        );
        await rm(join(dir, "warm"), { recursive: true });
        const before = rss();
        let peak = before;
        let fed = 0;
        async function* sampled() {
          for await (
            const c of storedGzip(bigFileTar("big.bin", size, "random"))
          ) {
            fed += c.length;
            if ((fed & 0xfffff) < c.length) peak = Math.max(peak, rss());
            yield c;
          }
        }
        const r = await extractTarGz(
          generatorStream(sampled()),
          join(dir, "big"),
          { maxFileBytes: size },
        );
        peak = Math.max(peak, rss());
        deepStrictEqual(r.bytes, size);
        const growth = peak - before;
        ok(
          growth < 64 * MiB,
          `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`,
        );
      }),
  },
];
