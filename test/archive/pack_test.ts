import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  type ArchiveLimits,
  extractTarGz,
  listTarGz,
  packDirectory,
} from "../../src/archive/mod.ts";
import { KlausOciError, TooLargeError } from "../../src/errors.ts";
import { hasCommand } from "../harness/require.ts";
import { tempDir } from "./raw_tar.ts";

async function write(path: string, data: string | Uint8Array, mode = 0o644) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  await Deno.chmod(path, mode);
}

Deno.test("walk order: depth-first pre-order, names sorted byte-wise per directory", async () => {
  await using t = await tempDir();
  const d = t.path;
  // Byte order: "B" < "Z" < "a" < "a-b" < "a.txt"; "a"'s children come right
  // after "a" although the full path "a/x" sorts after "a-b". U+E000 (EE 80 80)
  // sorts before U+1F600 (F0 9F 98 80) byte-wise, but after it in UTF-16.
  for (
    const f of [
      "a.txt",
      "a-b",
      "B",
      "Z",
      "a/x",
      "a/c/d",
      "a/b",
      "\u{E000}",
      "\u{1F600}",
      "é",
    ]
  ) {
    await write(`${d}/${f}`, f);
  }
  await Deno.mkdir(`${d}/empty-dir`);
  const packed = await packDirectory(d);
  deepStrictEqual(packed.entries.map((e) => e.name), [
    "B",
    "Z",
    "a",
    "a/b",
    "a/c",
    "a/c/d",
    "a/x",
    "a-b",
    "a.txt",
    "empty-dir",
    "é",
    "\u{E000}",
    "\u{1F600}",
  ]);
  // The archive holds exactly those, in that order, directories as type 5
  // without a trailing slash.
  const listed = await listTarGz(packed.stream());
  deepStrictEqual(listed.map((e) => e.name), packed.entries.map((e) => e.name));
  deepStrictEqual(
    listed.filter((e) => e.typeflag === "5").map((e) => e.name),
    ["a", "a/c", "empty-dir"],
  );
});

Deno.test("exclusions: .oci-cache.json at any depth, symlinks, FIFOs; hidden files and .git kept", async () => {
  await using t = await tempDir();
  const d = t.path;
  await write(`${d}/.oci-cache.json`, "{}");
  await write(`${d}/sub/.oci-cache.json`, "{}");
  await write(`${d}/.oci-cache.json.bak`, "kept");
  await write(`${d}/.hidden`, "h");
  await write(`${d}/.git/HEAD`, "ref: refs/heads/main");
  await write(`${d}/sub/file`, "f");
  await Deno.mkdir(`${d}/deep/.oci-cache.json`, { recursive: true });
  await write(`${d}/deep/.oci-cache.json/inner`, "gone with its directory");
  await Deno.symlink("sub/file", `${d}/link-to-file`);
  await Deno.symlink("sub", `${d}/link-to-dir`);
  await Deno.symlink("/nonexistent", `${d}/dangling`);
  if (hasCommand("mkfifo")) {
    const r = await new Deno.Command("mkfifo", { args: [`${d}/fifo`] })
      .output();
    ok(r.success);
  }
  const packed = await packDirectory(d);
  deepStrictEqual(packed.entries.map((e) => e.name), [
    ".git",
    ".git/HEAD",
    ".hidden",
    ".oci-cache.json.bak",
    "deep",
    "sub",
    "sub/file",
  ]);
  deepStrictEqual(
    (await listTarGz(packed.stream())).map((e) => e.name),
    packed.entries.map((e) => e.name),
  );
});

Deno.test("modes: permission bits with setuid/setgid/sticky, no type bits", async () => {
  await using t = await tempDir();
  const d = t.path;
  await write(`${d}/exec`, "x", 0o755);
  await write(`${d}/private`, "p", 0o600);
  await write(`${d}/suid`, "s", 0o4755);
  await write(`${d}/sgid`, "g", 0o2750);
  await Deno.mkdir(`${d}/sticky`);
  await Deno.chmod(`${d}/sticky`, 0o1777);
  await Deno.mkdir(`${d}/closed`);
  await Deno.chmod(`${d}/closed`, 0o700);
  const listed = await listTarGz((await packDirectory(d)).stream());
  deepStrictEqual(
    listed.map((e) => `${e.name} ${e.typeflag} ${e.mode.toString(8)}`),
    [
      "closed 5 700",
      "exec 0 755",
      "private 0 600",
      "sgid 0 2750",
      "sticky 5 1777",
      "suid 0 4755",
    ],
  );
});

Deno.test("reproducible: same digest twice, after touching mtimes and owners, and for a copy elsewhere", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  for (const dir of [a.path, b.path]) {
    await write(`${dir}/plugin.json`, '{"name":"x"}');
    await write(`${dir}/skills/s/SKILL.md`, "# skill\n".repeat(1000));
    await write(
      `${dir}/bin/tool`,
      new Uint8Array(70_000).map((_, i) => i * 7),
      0o755,
    );
  }
  const packed = await packDirectory(a.path);
  const first = await packed.digest();
  deepStrictEqual(await packed.digest(), first);
  const bytes = new Uint8Array(
    await new Response(packed.stream()).arrayBuffer(),
  );
  deepStrictEqual(first, {
    digest: "sha256:" + createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
  });
  deepStrictEqual(await (await packDirectory(b.path)).digest(), first);

  await Deno.utime(`${a.path}/plugin.json`, 1, 1);
  await Deno.utime(`${a.path}/skills`, new Date(), new Date("2001-01-01"));
  if (Deno.uid() === 0) {
    await Deno.chown(`${a.path}/bin/tool`, 1234, 5678);
    await Deno.chown(`${a.path}/skills`, 4321, 8765);
  }
  deepStrictEqual(await (await packDirectory(a.path)).digest(), first);

  await Deno.writeTextFile(`${a.path}/plugin.json`, '{"name":"y"}');
  notDeepStrictEqual(await (await packDirectory(a.path)).digest(), first);
});

Deno.test("options.mtime is written for every entry", async () => {
  await using t = await tempDir();
  await write(`${t.path}/f`, "x");
  const one = await (await packDirectory(t.path)).digest();
  const other = await (await packDirectory(t.path, { mtime: 1_700_000_000 }))
    .digest();
  notDeepStrictEqual(one, other);
  const tar = new Uint8Array(
    await new Response((await packDirectory(t.path, { mtime: 8 })).tarStream())
      .arrayBuffer(),
  );
  deepStrictEqual(
    new TextDecoder().decode(tar.subarray(136, 148)),
    "00000000010\0",
  );
});

Deno.test("the root is followed when it is a symlink; a file root is refused", async () => {
  await using t = await tempDir();
  await write(`${t.path}/real/f`, "x");
  await Deno.symlink(`${t.path}/real`, `${t.path}/alias`);
  deepStrictEqual(
    (await packDirectory(`${t.path}/alias`)).entries.map((e) => e.name),
    ["f"],
  );
  await rejects(packDirectory(`${t.path}/real/f`), (e: Error) => {
    ok(e instanceof KlausOciError);
    deepStrictEqual(
      e.message,
      `reading directory ${t.path}/real/f: not a directory`,
    );
    return true;
  });
  await rejects(
    packDirectory(`${t.path}/missing`),
    /reading directory .*missing: .*No such file|reading directory .*missing: .*ENOENT/,
  );
});

Deno.test("streams are lazy and independent; cancelling one closes its file", async () => {
  await using t = await tempDir();
  await write(`${t.path}/big`, new Uint8Array(1 << 20));
  const packed = await packDirectory(t.path);
  const reader = packed.tarStream().getReader();
  const first = await reader.read();
  ok(!first.done && first.value.length > 0);
  await reader.cancel();
  // A second, full stream still works after the first was abandoned.
  const all = new Uint8Array(
    await new Response(packed.tarStream()).arrayBuffer(),
  );
  deepStrictEqual(all.length, 512 + (1 << 20) + 1024);
});

Deno.test("a file that shrank after the walk errors the stream", async () => {
  await using t = await tempDir();
  await write(`${t.path}/f`, "0123456789");
  const packed = await packDirectory(t.path);
  await Deno.writeTextFile(`${t.path}/f`, "012");
  await rejects(
    new Response(packed.stream()).arrayBuffer(),
    /file shrank while it was being archived/,
  );
});

// Push refuses what a pull would refuse (issue 12): the check runs on the
// walk, before a file is read, against the pull's limits.

const MiB = 1024 * 1024;

/** A file of `size` bytes that takes no disk space (sparse). */
async function sparse(path: string, size: number) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const f = await Deno.open(path, { write: true, create: true });
  try {
    await f.truncate(size);
  } finally {
    f.close();
  }
}

async function tarLength(packed: { tarStream(): ReadableStream<Uint8Array> }) {
  return (await new Response(packed.tarStream()).bytes()).byteLength;
}

Deno.test("pull limits: a file over 100 MiB is refused by default, exactly 100 MiB packs", async () => {
  await using t = await tempDir();
  await sparse(`${t.path}/ok/exact.bin`, 100 * MiB);
  const packed = await packDirectory(`${t.path}/ok`);
  deepStrictEqual(packed.entries.map((e) => e.size), [100 * MiB]);
  await sparse(`${t.path}/big/skills/x/huge.bin`, 100 * MiB + 1);
  await rejects(packDirectory(`${t.path}/big`), (e: unknown) => {
    ok(e instanceof TooLargeError, String(e));
    strictEqual(
      e.message,
      "file skills/x/huge.bin (104857601 bytes) exceeds max size (104857600 bytes): " +
        "a pull would refuse it (allowOversize packs it anyway)",
    );
    return true;
  });
});

Deno.test("pull limits: the total is the exact tar length, long names included", async () => {
  await using t = await tempDir();
  const long = "d".repeat(120) + "/" + "f".repeat(120); // PAX path record
  await write(`${t.path}/${long}`, "x".repeat(1000));
  await write(`${t.path}/small`, "y");
  await write(`${t.path}/é-${"ü".repeat(60)}`, "z"); // non-ASCII: PAX too
  const reference = await packDirectory(t.path, { allowOversize: true });
  const length = await tarLength(reference);
  ok(length > 6 * 512, String(length));
  // the limit equal to the length packs; one byte less is refused
  await packDirectory(t.path, { limits: { maxTotalBytes: length } });
  await rejects(
    packDirectory(t.path, { limits: { maxTotalBytes: length - 1 } }),
    (e: unknown) => {
      ok(e instanceof TooLargeError);
      strictEqual(
        e.message,
        `archive (${length} bytes of tar data) exceeds max total size (${
          length - 1
        } bytes): a pull would refuse it (allowOversize packs it anyway)`,
      );
      return true;
    },
  );
});

Deno.test("pull limits: every limit agrees with what extraction refuses", async (t) => {
  await using d = await tempDir();
  await write(`${d.path}/src/a/one`, "1".repeat(10));
  await write(`${d.path}/src/a/two`, "2".repeat(11));
  await write(`${d.path}/src/b`, "3");
  // entries: a, a/one, a/two, b
  const length = await tarLength(
    await packDirectory(`${d.path}/src`, { allowOversize: true }),
  );
  // [limits, message or undefined when both sides accept]
  const cases: [ArchiveLimits, string | undefined][] = [
    [{ maxFileBytes: 11, maxEntries: 4, maxTotalBytes: length }, undefined],
    [
      { maxFileBytes: 10 },
      "file a/two (11 bytes) exceeds max size (10 bytes)",
    ],
    [{ maxEntries: 3 }, "archive (4 entries) exceeds max entry count (3)"],
    [
      { maxTotalBytes: length - 1 },
      `archive (${length} bytes of tar data) exceeds max total size (${
        length - 1
      } bytes)`,
    ],
  ];
  let n = 0;
  for (const [limits, message] of cases) {
    await t.step(JSON.stringify(limits), async () => {
      const dest = `${d.path}/out${n++}`;
      const warnings: string[] = [];
      const packed = await packDirectory(`${d.path}/src`, {
        limits,
        allowOversize: true,
        onWarning: (w) => warnings.push(w),
      });
      if (message === undefined) {
        deepStrictEqual(warnings, []);
        await packDirectory(`${d.path}/src`, { limits });
        await extractTarGz(packed.stream(), dest, limits);
        return;
      }
      deepStrictEqual(warnings, [
        `${message}: a pull with these limits refuses it`,
      ]);
      await rejects(
        packDirectory(`${d.path}/src`, { limits }),
        (e: unknown) =>
          e instanceof TooLargeError && e.message.startsWith(message),
      );
      // the pull side refuses the archive allowOversize let through
      await rejects(
        extractTarGz(packed.stream(), dest, limits),
        (e: unknown) => e instanceof TooLargeError,
      );
    });
  }
});

Deno.test("pull limits: allowOversize packs, warns once per excess, in archive order", async () => {
  await using t = await tempDir();
  await sparse(`${t.path}/a.bin`, 100 * MiB + 1);
  await sparse(`${t.path}/b/c.bin`, 100 * MiB + 2);
  const warnings: string[] = [];
  const packed = await packDirectory(t.path, {
    allowOversize: true,
    onWarning: (w) => warnings.push(w),
  });
  deepStrictEqual(warnings, [
    "file a.bin (104857601 bytes) exceeds max size (104857600 bytes): " +
    "a pull with these limits refuses it",
    "file b/c.bin (104857602 bytes) exceeds max size (104857600 bytes): " +
    "a pull with these limits refuses it",
  ]);
  deepStrictEqual(packed.entries.map((e) => e.name), ["a.bin", "b", "b/c.bin"]);
  // without a listener it packs silently
  await packDirectory(t.path, { allowOversize: true });
});

Deno.test("pull limits: more than 1 GiB of tar data is refused by default", async () => {
  await using t = await tempDir();
  for (let i = 0; i < 11; i++) await sparse(`${t.path}/f${i}`, 100 * MiB);
  // 11 × (512-byte header + 100 MiB, a multiple of 512) + 1024-byte end
  const total = 11 * (512 + 100 * MiB) + 1024;
  await rejects(packDirectory(t.path), (e: unknown) => {
    ok(e instanceof TooLargeError);
    strictEqual(
      e.message,
      `archive (${total} bytes of tar data) exceeds max total size (1073741824 bytes): ` +
        "a pull would refuse it (allowOversize packs it anyway)",
    );
    return true;
  });
  await Deno.remove(`${t.path}/f10`);
  await packDirectory(t.path);
});
