import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  type ExtractResult,
  extractTar,
  extractTarGz,
  packDirectory,
} from "../../src/archive/mod.ts";
import {
  DigestMismatchError,
  KlausOciError,
  TooLargeError,
  UnsafeArchiveError,
} from "../../src/errors.ts";
import { digestOf, verifyingStream } from "../../src/oci/digest.ts";
import { HOSTILE, type HostileCase } from "./hostile_corpus.ts";
import {
  bigFileTar,
  bytesOf,
  concat,
  generatorStream,
  gzip,
  gzipBytes,
  paxData,
  type RawEntry,
  rawEntry,
  rawHeader,
  rawTar,
  snapshot,
  streamOf,
  tempDir,
} from "./raw_tar.ts";

/** Matches an error by its message (not its `Name: message` string). */
const msg = (re: RegExp) => (e: Error) => re.test(e.message);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const passwdHash = async () =>
  sha(await Deno.readFile("/etc/passwd").catch(() => new Uint8Array()));

async function gzStream(
  tar: Uint8Array,
  chunk = 777,
): Promise<ReadableStream<Uint8Array>> {
  return streamOf(await gzipBytes(tar), chunk);
}

async function write(path: string, data: string | Uint8Array, mode = 0o644) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  await Deno.chmod(path, mode);
}

// ---------------------------------------------------------------- round trip

Deno.test("round trip: files, binary, empty, nested, modes, hidden; cache file, symlink and FIFO left out", async () => {
  await using src = await tempDir();
  await using dst = await tempDir();
  const s = src.path;
  await write(`${s}/hello.txt`, "Hello, World!\n");
  await write(`${s}/subdir/world.txt`, "World content\n");
  await write(`${s}/bin.dat`, crypto.getRandomValues(new Uint8Array(50_000)));
  await write(`${s}/empty`, "");
  await write(`${s}/a/b/c/d/deep.txt`, "deep");
  await Deno.mkdir(`${s}/a/empty-dir`);
  await write(`${s}/run.sh`, "#!/bin/sh\n", 0o755);
  await write(`${s}/secret`, "s", 0o600);
  await write(`${s}/.hidden`, "h");
  await write(`${s}/.oci-cache.json`, '{"digest":"x"}');
  await Deno.symlink("hello.txt", `${s}/link`);
  await new Deno.Command("mkfifo", { args: [`${s}/fifo`] }).output().catch(
    () => {},
  );

  const result = await extractTarGz(
    (await packDirectory(s)).stream(),
    dst.path,
  );
  const expected = (await snapshot(s)).filter((l) =>
    !l.startsWith(".oci-cache.json ") && !l.startsWith("link ") &&
    !l.startsWith("fifo ")
  );
  deepStrictEqual(await snapshot(dst.path), expected);
  deepStrictEqual(result, {
    files: 8,
    directories: 6,
    bytes: 14 + 14 + 50_000 + 4 + 10 + 1 + 1,
    skipped: [],
  });
});

Deno.test("long names round trip: >100 bytes (USTAR prefix), >255 bytes (PAX), non-ASCII", async () => {
  await using src = await tempDir();
  await using dst = await tempDir();
  const names = [
    `${"p".repeat(90)}/${"q".repeat(90)}.txt`, // 184 bytes, splits into prefix + name
    "n".repeat(200), // one component > 100: PAX path
    `${"d".repeat(200)}/${"e".repeat(200)}/${"f".repeat(200)}`, // 602 bytes
    "ünïcödé/日本語.md",
  ];
  for (const n of names) await write(`${src.path}/${n}`, n);
  const packed = await packDirectory(src.path);
  await extractTarGz(packed.stream(), dst.path);
  deepStrictEqual(await snapshot(dst.path), await snapshot(src.path));
  for (const n of names) {
    deepStrictEqual(await Deno.readTextFile(`${dst.path}/${n}`), n);
  }
});

Deno.test("extracted modes: directories 0755, files header & 0777 or 0644, special bits dropped", async () => {
  await using dst = await tempDir();
  const tar = rawTar([
    { name: "closed/", type: "5", mode: 0o700 },
    { name: "closed/exec", data: "x", mode: 0o4755 },
    { name: "zero", data: "z", mode: 0 },
    { name: "private", data: "p", mode: 0o600 },
  ]);
  await extractTarGz(await gzStream(tar), dst.path);
  const mode = async (p: string) =>
    ((await Deno.stat(`${dst.path}/${p}`)).mode! & 0o7777).toString(8);
  const umask = Deno.umask();
  deepStrictEqual(await mode("closed"), (0o755 & ~umask).toString(8));
  deepStrictEqual(await mode("closed/exec"), (0o755 & ~umask).toString(8));
  deepStrictEqual(await mode("zero"), (0o644 & ~umask).toString(8));
  deepStrictEqual(await mode("private"), "600");
});

Deno.test("formats: legacy '\\0' type, base-256 size, GNU long names, USTAR prefix, PAX global header, old GNU sparse", async () => {
  await using dst = await tempDir();
  const longName = `gnu/${"l".repeat(150)}`;
  // An old-GNU sparse entry whose map continues in one extension block.
  const sparse = rawHeader(
    { name: "sparse.img", type: "S", format: "gnu" },
    512,
  );
  sparse[482] = 1;
  sparse.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of sparse) sum += c;
  sparse.set(
    new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "),
    148,
  );
  const tar = rawTar([
    {
      name: "/tmp/GlobalHead.123.1", // absolute, like GNU tar names them

      type: "g",
      data: paxData({ comment: "made by git" }),
    },
    { name: "legacy.txt", type: "\0", data: "legacy", format: "v7" },
    { name: "legacydir/", type: "\0", format: "v7" },
    {
      name: "b256.bin",
      data: "base-256 size",
      base256Size: true,
      format: "gnu",
    },
    { name: "././@LongLink", type: "L", data: longName + "\0", format: "gnu" },
    { name: "truncated-name", data: "long", format: "gnu" },
    { name: "file.txt", prefix: "pre/fix", data: "prefixed" },
    sparse,
    new Uint8Array(512), // extension block: isextended (byte 504) = 0
    new Uint8Array(512), // the sparse data
    { name: "after-sparse", data: "still in sync" },
  ]);
  const result = await extractTarGz(await gzStream(tar), dst.path);
  deepStrictEqual(await Deno.readTextFile(`${dst.path}/legacy.txt`), "legacy");
  ok((await Deno.stat(`${dst.path}/legacydir`)).isDirectory);
  deepStrictEqual(
    await Deno.readTextFile(`${dst.path}/b256.bin`),
    "base-256 size",
  );
  deepStrictEqual(await Deno.readTextFile(`${dst.path}/${longName}`), "long");
  deepStrictEqual(
    await Deno.readTextFile(`${dst.path}/pre/fix/file.txt`),
    "prefixed",
  );
  deepStrictEqual(
    await Deno.readTextFile(`${dst.path}/after-sparse`),
    "still in sync",
  );
  deepStrictEqual(result.skipped, [{
    name: "sparse.img",
    type: "sparse",
    reason: "sparse files are not supported",
  }]);
  deepStrictEqual(result.files, 5);
});

Deno.test("`..foo` and `a/..b` are ordinary names; `./` entries and `a/../b` land inside", async () => {
  await using dst = await tempDir();
  const tar = rawTar([
    { name: "./", type: "5" },
    { name: "..foo", data: "dots" },
    { name: "x/..bar/...", data: "more dots" },
    { name: "./a/../b.txt", data: "b" },
  ]);
  await extractTarGz(await gzStream(tar), dst.path);
  deepStrictEqual(
    await snapshot(dst.path),
    [
      `..foo file 644 ${sha(new TextEncoder().encode("dots")).slice(0, 16)}`,
      `b.txt file 644 ${sha(new TextEncoder().encode("b")).slice(0, 16)}`,
      "x dir 755",
      "x/..bar dir 755",
      `x/..bar/... file 644 ${
        sha(new TextEncoder().encode("more dots")).slice(0, 16)
      }`,
    ].map((l) =>
      l.replace(" 644 ", ` ${(0o644 & ~Deno.umask()).toString(8)} `).replace(
        " 755",
        ` ${(0o755 & ~Deno.umask()).toString(8)}`,
      )
    ),
  );
});

Deno.test("a duplicate entry replaces the earlier file", async () => {
  await using dst = await tempDir();
  const tar = rawTar([{ name: "f", data: "first, longer" }, {
    name: "f",
    data: "second",
    mode: 0o600,
  }]);
  const r = await extractTarGz(await gzStream(tar), dst.path);
  deepStrictEqual(await Deno.readTextFile(`${dst.path}/f`), "second");
  deepStrictEqual((await Deno.stat(`${dst.path}/f`)).mode! & 0o777, 0o600);
  deepStrictEqual(r.files, 2);
});

// ------------------------------------------------------------- hostile corpus

async function runHostile(c: HostileCase) {
  await using base = await tempDir();
  const outside = `${base.path}/outside`;
  const dest = `${base.path}/dest`;
  await write(`${outside}/sentinel.txt`, "untouched");
  const before = await snapshot(base.path);
  const passwd = await passwdHash();

  const promise = extractTarGz(await gzStream(c.tar(outside)), dest, c.options);
  if (c.error) {
    const [message, cls] = c.error;
    await rejects(promise, (e: Error) => {
      ok(
        e instanceof cls,
        `${c.name}: ${e.constructor.name} is not ${cls.name}: ${e.message}`,
      );
      if (typeof message === "string") {
        deepStrictEqual(e.message, message, c.name);
      } else ok(message.test(e.message), `${c.name}: ${e.message}`);
      return true;
    });
  } else {
    const r: ExtractResult = await promise;
    deepStrictEqual(r.skipped, c.skipped ?? [], c.name);
    for (const [name, content] of Object.entries(c.files ?? {})) {
      const info = await Deno.lstat(`${dest}/${name}`);
      ok(info.isFile, `${c.name}: ${name} is a regular file`);
      deepStrictEqual(
        await Deno.readTextFile(`${dest}/${name}`),
        content,
        c.name,
      );
    }
  }
  // Nothing outside the destination changed, and no link was created inside.
  deepStrictEqual(
    (await snapshot(base.path)).filter((l) => !l.startsWith("dest")),
    before,
    `${c.name}: outside changed`,
  );
  ok(
    !(await snapshot(base.path)).some((l) => l.includes(" link ")),
    `${c.name}: a link was created`,
  );
  deepStrictEqual(await passwdHash(), passwd);
}

for (const c of HOSTILE) {
  Deno.test(`hostile archive: ${c.name}`, () => runHostile(c));
}

Deno.test("hostile archive: gzip bomb of file data over the total limit", async () => {
  await using dst = await tempDir();
  function* bomb() {
    for (let i = 0; i < 64; i++) {
      yield rawHeader({ name: `zeros-${i}` }, 8 << 20);
      yield* bytesOf(8 << 20, "zeros");
    }
    yield new Uint8Array(1024);
  }
  await rejects(
    extractTarGz(gzip(generatorStream(bomb())), dst.path, {
      maxTotalBytes: 32 << 20,
    }),
    (e: Error) =>
      e instanceof TooLargeError &&
      e.message === `archive exceeds max total size (${32 << 20} bytes)`,
  );
  // It stopped before the limit was crossed: the 4th file was never started.
  deepStrictEqual((await snapshot(dst.path)).length, 3);
});

Deno.test("hostile archive: gzip bomb in a skipped entry hits the default 1 GiB total", async () => {
  await using dst = await tempDir();
  // 4 GiB of zeros declared as a contiguous-file entry, never written to disk.
  const stream = gzip(
    generatorStream(bigFileTar("bomb", 4 * 2 ** 30, "zeros", "7")),
  );
  await rejects(
    extractTarGz(stream, dst.path),
    (e: Error) =>
      e instanceof TooLargeError &&
      e.message === "archive exceeds max total size (1073741824 bytes)",
  );
});

Deno.test("hostile archive: file declaring 100 MiB + 100 B is refused at the default limit before writing", async () => {
  await using dst = await tempDir();
  let pulled = 0;
  function* counted() {
    for (const c of bigFileTar("big.bin", 100 * 1024 * 1024 + 100, "zeros")) {
      pulled += c.length;
      yield c;
    }
  }
  await rejects(
    extractTarGz(gzip(generatorStream(counted())), dst.path),
    (e: Error) =>
      e instanceof TooLargeError &&
      e.message === "file big.bin exceeds max size (104857600 bytes)",
  );
  deepStrictEqual(await snapshot(dst.path), []);
  ok(pulled < 16 << 20, `generated ${pulled} bytes`);
});

Deno.test("a file of exactly 100 MiB is allowed by default", async () => {
  await using dst = await tempDir();
  const r = await extractTarGz(
    gzip(generatorStream(bigFileTar("exact.bin", 100 * 1024 * 1024, "zeros"))),
    dst.path,
  );
  deepStrictEqual(r.bytes, 100 * 1024 * 1024);
  deepStrictEqual(
    (await Deno.stat(`${dst.path}/exact.bin`)).size,
    100 * 1024 * 1024,
  );
});

Deno.test("the default entry limit is 100000", async () => {
  await using dst = await tempDir();
  function* many(n: number) {
    const dot = rawHeader({ name: "./", type: "5" }, 0);
    for (let i = 0; i < n; i++) yield dot;
    yield new Uint8Array(1024);
  }
  const ok100k = await extractTarGz(
    gzip(generatorStream(many(100_000))),
    dst.path,
  );
  deepStrictEqual(ok100k.directories, 100_000);
  await rejects(
    extractTarGz(gzip(generatorStream(many(100_001))), dst.path),
    (e: Error) =>
      e instanceof TooLargeError &&
      e.message === "archive exceeds max entry count (100000)",
  );
});

// ------------------------------------------------------------ gzip failures

Deno.test("gzip: not gzip, empty, short header", async () => {
  await using dst = await tempDir();
  const cases: [Uint8Array, string][] = [
    [
      rawTar([{ name: "f", data: "plain tar" }]),
      "creating gzip reader: gzip: invalid header",
    ],
    [new Uint8Array(0), "creating gzip reader: EOF"],
    [new Uint8Array([0x1f, 0x8b, 8]), "creating gzip reader: unexpected EOF"],
  ];
  for (const [bytes, message] of cases) {
    await rejects(extractTarGz(streamOf(bytes), dst.path), (e: Error) => {
      ok(e instanceof KlausOciError);
      deepStrictEqual(e.message, message);
      return true;
    });
  }
  deepStrictEqual(await snapshot(dst.path), []);
});

Deno.test("gzip: truncated compressed stream is an unexpected EOF", async () => {
  await using dst = await tempDir();
  const gz = await gzipBytes(
    rawTar([{ name: "f", data: new Uint8Array(randomBytes(20_000)) }]),
  );
  await rejects(
    extractTarGz(streamOf(gz.subarray(0, gz.length >> 1)), dst.path),
    (e: Error) => e.message === "reading tar entry: unexpected EOF",
  );
});

Deno.test("gzip: corrupt deflate data and corrupt checksum are reported", async () => {
  await using dst = await tempDir();
  const gz = await gzipBytes(
    rawTar([{ name: "f", data: "hello ".repeat(1000) }]),
  );
  const mid = gz.slice();
  for (let i = 12; i < 40; i++) mid[i] ^= 0x5a;
  await rejects(
    extractTarGz(streamOf(mid), dst.path),
    msg(/^reading tar entry: /),
  );
  const crc = gz.slice();
  crc[crc.length - 6] ^= 0xff;
  // All tar data is intact; only the trailer is wrong, which the drain catches.
  await rejects(
    extractTarGz(streamOf(crc), dst.path),
    msg(/^reading tar entry: gzip: /),
  );
});

Deno.test("gzip: multi-member input (Deno: refused with a clear message)", async () => {
  await using dst = await tempDir();
  const tar = rawTar([{ name: "f", data: "x".repeat(3000) }]);
  const two = concat([
    await gzipBytes(tar.subarray(0, 1024)),
    await gzipBytes(tar.subarray(1024)),
  ]);
  // Node and Bun decompress every member; Deno's DecompressionStream stops
  // after the first. This documents the Deno behaviour.
  await rejects(
    extractTarGz(streamOf(two), dst.path),
    msg(/multi-member gzip is not supported/),
  );
});

Deno.test("an archive ending at an entry boundary without end marker is accepted (as Go does)", async () => {
  await using dst = await tempDir();
  await extractTarGz(
    await gzStream(rawTar([{ name: "f", data: "x" }], { end: false })),
    dst.path,
  );
  deepStrictEqual(await Deno.readTextFile(`${dst.path}/f`), "x");
});

// -------------------------------------------------------- input stream errors

Deno.test("a digest mismatch raised at the very end of the input fails the extraction", async () => {
  await using src = await tempDir();
  await using dst = await tempDir();
  await write(`${src.path}/f`, "content");
  const packed = await packDirectory(src.path);
  const { digest, size } = await packed.digest();
  // Correct digest: passes.
  await extractTarGz(
    packed.stream().pipeThrough(verifyingStream(digest, size)),
    `${dst.path}/good`,
  );
  // Wrong digest: only detectable after the last byte, i.e. after the tar end marker.
  await rejects(
    extractTarGz(
      packed.stream().pipeThrough(
        verifyingStream(digestOf(new Uint8Array(1)), size),
      ),
      `${dst.path}/bad`,
    ),
    DigestMismatchError,
  );
});

Deno.test("an input error mid-way is passed through unchanged", async () => {
  await using dst = await tempDir();
  const gz = await gzipBytes(
    rawTar([{ name: "f", data: new Uint8Array(randomBytes(100_000)) }]),
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
  await rejects(extractTarGz(input, dst.path), (e) => e === boom);
});

Deno.test("an error inside extraction cancels the input", async () => {
  await using dst = await tempDir();
  const gz = await gzipBytes(
    rawTar([{ name: "../x", data: "x" }, {
      name: "y",
      data: "y".repeat(100_000),
    }]),
  );
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
  await rejects(extractTarGz(input, dst.path), UnsafeArchiveError);
  ok(cancelled instanceof UnsafeArchiveError);
});

Deno.test("abort signal stops the extraction with its reason", async () => {
  await using dst = await tempDir();
  const ac = new AbortController();
  const reason = new Error("user abort");
  let n = 0;
  function* slow() {
    for (const c of bigFileTar("f", 10 << 20, "zeros")) {
      if (++n === 20) ac.abort(reason);
      yield c;
    }
  }
  await rejects(
    extractTarGz(gzip(generatorStream(slow())), dst.path, {
      signal: ac.signal,
    }),
    (e) => e === reason,
  );
  await rejects(
    extractTarGz(streamOf(new Uint8Array(10)), dst.path, { signal: ac.signal }),
    (e) => e === reason,
  );
});

// ---------------------------------------------------- pre-existing destination

Deno.test("a reused destination: planted links are never written through", async () => {
  await using base = await tempDir();
  const outside = `${base.path}/outside`;
  const dest = `${base.path}/dest`;
  await write(`${outside}/sentinel.txt`, "untouched");
  await Deno.mkdir(dest);
  await Deno.symlink(outside, `${dest}/dirlink`);
  await Deno.symlink(`${outside}/sentinel.txt`, `${dest}/filelink`);
  await Deno.link(`${outside}/sentinel.txt`, `${dest}/hardlink`);
  const before = (await snapshot(base.path)).filter((l) =>
    l.startsWith("outside")
  );

  // A file entry named like a planted link replaces the link, not its target.
  await extractTarGz(
    await gzStream(
      rawTar([{ name: "filelink", data: "EVIL" }, {
        name: "hardlink",
        data: "EVIL",
      }]),
    ),
    dest,
  );
  ok((await Deno.lstat(`${dest}/filelink`)).isFile);
  deepStrictEqual(await Deno.readTextFile(`${dest}/filelink`), "EVIL");
  deepStrictEqual(await Deno.readTextFile(`${dest}/hardlink`), "EVIL");

  // A path through a planted directory link is refused.
  await rejects(
    extractTarGz(
      await gzStream(rawTar([{ name: "dirlink/evil", data: "EVIL" }])),
      dest,
    ),
    msg(
      /^creating parent directory for .*dirlink\/evil: mkdir .*dirlink: refusing to follow a symbolic link$/,
    ),
  );
  await rejects(
    extractTarGz(
      await gzStream(rawTar([{ name: "dirlink", type: "5" }])),
      dest,
    ),
    msg(
      /^creating directory .*dirlink: mkdir .*dirlink: refusing to follow a symbolic link$/,
    ),
  );
  deepStrictEqual(
    (await snapshot(base.path)).filter((l) => l.startsWith("outside")),
    before,
  );
});

Deno.test("extractTar reads uncompressed tar", async () => {
  await using dst = await tempDir();
  const r = await extractTar(
    streamOf(rawTar([{ name: "plain.txt", data: "plain" }])),
    dst.path,
  );
  deepStrictEqual(r.files, 1);
  deepStrictEqual(await Deno.readTextFile(`${dst.path}/plain.txt`), "plain");
});

Deno.test("hostile corpus is not trivially empty", () => {
  ok(HOSTILE.length > 25);
  ok(rawEntry({ name: "x" } as RawEntry).length === 512);
});
