/**
 * Interoperability with GNU tar, both ways: archives it makes (the legacy CI
 * used `tar -czf x.tgz -C dir .`) extract correctly, and archives we make
 * list and extract correctly with it.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { extractTarGz, packDirectory } from "../../src/archive/mod.ts";
import { missing } from "../harness/require.ts";
import { snapshot, tempDir } from "./raw_tar.ts";

const ignore = missing("tar", "gzip");

async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

async function write(path: string, data: string | Uint8Array, mode = 0o644) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  await Deno.chmod(path, mode);
}

const LONG_DIR = "d".repeat(120);
const LONG_FILE = "f".repeat(200);

/** A tree with what plugin sources hold plus names that need extensions. */
async function makeTree(dir: string) {
  await write(`${dir}/plugin.json`, '{"name":"x"}');
  await write(`${dir}/SOUL.md`, "# Soul\n");
  await write(`${dir}/.hidden/config`, "h");
  await write(`${dir}/bin/run.sh`, "#!/bin/sh\necho hi\n", 0o755);
  await write(
    `${dir}/data/blob.bin`,
    crypto.getRandomValues(new Uint8Array(40_000)),
  );
  await write(`${dir}/data/empty`, "");
  await write(`${dir}/${LONG_DIR}/${LONG_FILE}`, "long");
  await write(`${dir}/ünïcödé/日本語.md`, "utf-8 names");
  await Deno.mkdir(`${dir}/empty-dir`);
}

for (const format of ["gnu", "pax", "ustar-short", "v7-short"]) {
  Deno.test({
    name: `GNU tar -czf -C dir . (${format}) extracts to the same tree`,
    ignore,
    async fn() {
      await using src = await tempDir();
      await using out = await tempDir();
      await using tmp = await tempDir();
      if (format.endsWith("-short")) {
        // USTAR/V7 cannot hold the long names: a tree without them.
        await write(`${src.path}/plugin.json`, "{}");
        await write(`${src.path}/skills/a/SKILL.md`, "skill", 0o600);
        await write(`${src.path}/bin/tool`, "#!/bin/sh\n", 0o755);
        await Deno.mkdir(`${src.path}/empty-dir`);
      } else await makeTree(src.path);
      await Deno.symlink("SOUL.md", `${src.path}/link`);
      const tgz = `${tmp.path}/x.tgz`;
      const fmt = format.replace("-short", "");
      await run("tar", ["-czf", tgz, `--format=${fmt}`, "-C", src.path, "."]);
      const listing = await run("tar", ["-tzf", tgz]);
      ok(listing.startsWith("./\n"), listing); // the `./` entry itself, and `./`-prefixed names

      const file = await Deno.open(tgz);
      const r = await extractTarGz(file.readable, out.path);
      deepStrictEqual(r.skipped, [{
        name: "./link",
        type: "symlink",
        reason: "symbolic links are not extracted",
      }]);
      await Deno.remove(`${src.path}/link`);
      deepStrictEqual(await snapshot(out.path), await snapshot(src.path));
    },
  });
}

Deno.test({
  name:
    "a PAX global header (GNU tar names it /tmp/GlobalHead.…) is skipped, not refused",
  ignore,
  async fn() {
    await using src = await tempDir();
    await using out = await tempDir();
    await using tmp = await tempDir();
    await write(`${src.path}/a.txt`, "a");
    const tgz = `${tmp.path}/g.tgz`;
    await run("tar", [
      "--format=pax",
      "--pax-option=comment=made by tar",
      "-czf",
      tgz,
      "-C",
      src.path,
      ".",
    ]);
    const raw = await run("sh", ["-c", `gzip -dc ${tgz} | head -c 100`]);
    ok(raw.startsWith("/"), `global header name: ${raw}`);
    const r = await extractTarGz((await Deno.open(tgz)).readable, out.path);
    deepStrictEqual(r, { files: 1, directories: 1, bytes: 1, skipped: [] });
  },
});

Deno.test({
  name: "GNU tar sparse files are skipped and reported; the rest stays in sync",
  ignore,
  async fn() {
    await using src = await tempDir();
    await using out = await tempDir();
    await using tmp = await tempDir();
    const f = await Deno.open(`${src.path}/a-sparse.img`, {
      write: true,
      create: true,
    });
    await f.truncate(8 << 20);
    await f.seek(4 << 20, Deno.SeekMode.Start);
    await f.write(new TextEncoder().encode("island"));
    f.close();
    await write(`${src.path}/b-after.txt`, "after");
    for (const format of ["gnu", "pax"]) {
      const tgz = `${tmp.path}/${format}.tgz`;
      await run("tar", [
        "--sparse",
        `--format=${format}`,
        "-czf",
        tgz,
        "-C",
        src.path,
        "a-sparse.img",
        "b-after.txt",
      ]);
      const r = await extractTarGz(
        (await Deno.open(tgz)).readable,
        `${out.path}/${format}`,
      );
      deepStrictEqual(r.skipped.map((s) => [s.type, s.reason]), [[
        "sparse",
        "sparse files are not supported",
      ]]);
      deepStrictEqual(
        await Deno.readTextFile(`${out.path}/${format}/b-after.txt`),
        "after",
      );
    }
  },
});

Deno.test({
  name:
    "our archive lists with tar -tzvf and extracts with tar -xzf to the same tree",
  ignore,
  async fn() {
    await using src = await tempDir();
    await using out = await tempDir();
    await using tmp = await tempDir();
    await makeTree(src.path);
    const packed = await packDirectory(src.path);
    const tgz = `${tmp.path}/ours.tgz`;
    await Deno.writeFile(tgz, packed.stream());

    const listing =
      (await run("tar", ["-tzvf", tgz], { TZ: "UTC", LC_ALL: "C.UTF-8" }))
        .trimEnd().split("\n");
    deepStrictEqual(listing.length, packed.entries.length);
    for (let i = 0; i < listing.length; i++) {
      const e = packed.entries[i];
      const perm = e.type === "directory"
        ? "drwxr-xr-x"
        : e.name === "bin/run.sh"
        ? "-rwxr-xr-x"
        : "-rw-r--r--";
      const m = listing[i].match(/^(\S+) 0\/0\s+(\d+) 1970-01-01 00:00 (.*)$/);
      ok(m, listing[i]);
      deepStrictEqual(
        [m[1], Number(m[2]), m[3]],
        [perm, e.size, e.name],
        listing[i],
      );
    }

    await run("tar", ["-xzf", tgz, "-C", out.path]);
    deepStrictEqual(await snapshot(out.path), await snapshot(src.path));
  },
});
