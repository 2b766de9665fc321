import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  type ExtractResult,
  extractTar,
  extractTarGz,
  packDirectory,
} from "../../src/archive/mod.ts";
import { DigestMismatchError, TooLargeError } from "../../src/errors.ts";
import { digestOf, verifyingStream } from "../../src/oci/digest.ts";
import { HOSTILE, type HostileCase } from "./hostile_corpus.ts";
import {
  bigFileTar,
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
// The gzip reader's own promises (refusals, truncation, corruption, input
// errors, cancellation, abort, bombs, memory) are in gunzip_contract.ts, run
// for every inflater and runtime.

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
