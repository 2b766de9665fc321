import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  rejects,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { listTarGz, packDirectory } from "../../src/archive/mod.ts";
import { KlausOciError } from "../../src/errors.ts";
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
