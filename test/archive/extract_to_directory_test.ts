import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { extractToDirectory, packDirectory } from "../../src/archive/mod.ts";
import {
  DigestMismatchError,
  KlausOciError,
  UnsafeArchiveError,
  UnsafeDestinationError,
} from "../../src/errors.ts";
import { digestOf, verifyingStream } from "../../src/oci/digest.ts";
import { HOSTILE } from "./hostile_corpus.ts";
import {
  gzipBytes,
  names,
  rawTar,
  snapshot,
  streamOf,
  tempDir,
} from "./raw_tar.ts";

async function write(path: string, data: string | Uint8Array) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
}

/** A base dir holding `dest` with old content, plus a source tree to pack. */
async function setup(base: string) {
  await write(`${base}/dest/old.txt`, "old");
  await write(`${base}/dest/sub/keep.txt`, "previous copy");
  await write(`${base}/src/new.txt`, "new");
  await write(`${base}/src/sub/keep.txt`, "next copy");
  return { dest: `${base}/dest`, src: `${base}/src` };
}

Deno.test("success replaces the destination exactly and leaves no temporary directory", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const r = await extractToDirectory((await packDirectory(src)).stream(), dest);
  deepStrictEqual(r.files, 2);
  deepStrictEqual(await snapshot(dest), await snapshot(src));
  deepStrictEqual(await names(base.path), ["dest", "src"]);
});

Deno.test("a missing destination (and parents) is created", async () => {
  await using base = await tempDir();
  await write(`${base.path}/src/f`, "x");
  const dest = `${base.path}/a/b/dest`;
  await extractToDirectory(
    (await packDirectory(`${base.path}/src`)).stream(),
    dest,
  );
  deepStrictEqual(await Deno.readTextFile(`${dest}/f`), "x");
  deepStrictEqual(await names(`${base.path}/a/b`), ["dest"]);
});

Deno.test("beforeCommit sees the new content in the temporary directory; what it writes is committed", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  let seen = "";
  await extractToDirectory((await packDirectory(src)).stream(), dest, {
    beforeCommit: async (dir, result) => {
      ok(dir.startsWith(`${dest}.tmp-`), dir);
      deepStrictEqual(result.files, 2);
      seen = await Deno.readTextFile(`${dir}/new.txt`);
      // The old copy is still in place while the hook runs.
      deepStrictEqual(await Deno.readTextFile(`${dest}/old.txt`), "old");
      await Deno.writeTextFile(`${dir}/.oci-cache.json`, '{"digest":"x"}');
    },
  });
  deepStrictEqual(seen, "new");
  deepStrictEqual(
    await Deno.readTextFile(`${dest}/.oci-cache.json`),
    '{"digest":"x"}',
  );
  deepStrictEqual(await names(base.path), ["dest", "src"]);
});

/** Runs a failing extraction and checks the previous copy and the parent. */
async function failsKeepingPrevious(
  base: string,
  dest: string,
  run: () => Promise<unknown>,
  check: (e: Error) => boolean,
) {
  const before = await snapshot(dest).catch(() => undefined);
  const siblings = await names(base);
  await rejects(run(), check);
  deepStrictEqual(await snapshot(dest).catch(() => undefined), before);
  deepStrictEqual(await names(base), siblings);
}

Deno.test("a failing beforeCommit keeps the previous copy", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const boom = new Error("cache entry could not be written");
  await failsKeepingPrevious(
    base.path,
    dest,
    async () =>
      extractToDirectory((await packDirectory(src)).stream(), dest, {
        beforeCommit: () => {
          throw boom;
        },
      }),
    (e) => e === boom,
  );
});

Deno.test("a digest mismatch detected at the end of the input keeps the previous copy", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const packed = await packDirectory(src);
  const { size } = await packed.digest();
  await failsKeepingPrevious(
    base.path,
    dest,
    () =>
      extractToDirectory(
        packed.stream().pipeThrough(
          verifyingStream(digestOf(new Uint8Array(0)), size),
        ),
        dest,
      ),
    (e) => e instanceof DigestMismatchError,
  );
});

Deno.test("an input stream error mid-way keeps the previous copy and removes the temporary directory", async () => {
  await using base = await tempDir();
  const { dest } = await setup(base.path);
  await write(`${base.path}/big/a.bin`, new Uint8Array(randomBytes(60_000)));
  await write(`${base.path}/big/b.bin`, new Uint8Array(randomBytes(60_000)));
  const gz = new Uint8Array(
    await new Response((await packDirectory(`${base.path}/big`)).stream())
      .arrayBuffer(),
  );
  const boom = new Error("connection reset");
  let off = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      // Fail after the first file was written into the temporary directory.
      if (off > 80_000) return c.error(boom);
      c.enqueue(gz.slice(off, off + 10_000));
      off += 10_000;
    },
  });
  await failsKeepingPrevious(
    base.path,
    dest,
    () => extractToDirectory(input, dest),
    (e) => e === boom,
  );
});

Deno.test("every hostile archive that is refused keeps the previous copy and leaves nothing behind", async () => {
  let count = 0;
  for (const c of HOSTILE.filter((c) => c.error)) {
    await using base = await tempDir();
    const { dest } = await setup(base.path);
    const gz = await gzipBytes(c.tar(`${base.path}/outside`));
    await failsKeepingPrevious(
      base.path,
      dest,
      () => extractToDirectory(streamOf(gz, 333), dest, c.options),
      (e) => e instanceof c.error![1],
    );
    count++;
  }
  ok(count > 20);
});

Deno.test("a failure with no previous destination leaves none", async () => {
  await using base = await tempDir();
  const dest = `${base.path}/dest`;
  const gz = await gzipBytes(
    rawTar([{ name: "ok", data: "x" }, { name: "../escape", data: "x" }]),
  );
  await failsKeepingPrevious(
    base.path,
    dest,
    () => extractToDirectory(streamOf(gz), dest),
    (e) => e instanceof UnsafeArchiveError,
  );
  await rejects(Deno.lstat(dest), Deno.errors.NotFound);
});

Deno.test("corrupt gzip keeps the previous copy", async () => {
  await using base = await tempDir();
  const { dest } = await setup(base.path);
  await failsKeepingPrevious(
    base.path,
    dest,
    () =>
      extractToDirectory(
        streamOf(new TextEncoder().encode("not gzip at all")),
        dest,
      ),
    (e) =>
      e instanceof KlausOciError &&
      e.message === "creating gzip reader: gzip: invalid header",
  );
});

Deno.test("a destination that is a symlink is replaced by a real directory; its target is untouched", async () => {
  await using base = await tempDir();
  const { src } = await setup(base.path);
  await write(`${base.path}/elsewhere/precious`, "keep me");
  await Deno.symlink(`${base.path}/elsewhere`, `${base.path}/dest-link`);
  await extractToDirectory(
    (await packDirectory(src)).stream(),
    `${base.path}/dest-link`,
  );
  ok((await Deno.lstat(`${base.path}/dest-link`)).isDirectory);
  deepStrictEqual(
    await snapshot(`${base.path}/dest-link`),
    await snapshot(src),
  );
  deepStrictEqual(
    await Deno.readTextFile(`${base.path}/elsewhere/precious`),
    "keep me",
  );
});

Deno.test("the parent cannot be created: error, and the input is cancelled", async () => {
  await using base = await tempDir();
  await write(`${base.path}/file`, "x");
  let cancelled = false;
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(10));
    },
    cancel() {
      cancelled = true;
    },
  });
  await rejects(
    extractToDirectory(input, `${base.path}/file/dest`),
    (e: Error) =>
      e instanceof KlausOciError &&
      e.message.startsWith(`creating destination ${base.path}/file/dest: `),
  );
  ok(cancelled);
});

Deno.test("concurrent extractions into one destination: each succeeds, one complete copy wins, nothing left behind", async () => {
  await using base = await tempDir();
  const trees = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 20; j++) {
      await write(`${base.path}/src${i}/f${j}`, `tree ${i} file ${j}`);
    }
    trees.push(await snapshot(`${base.path}/src${i}`));
  }
  const dest = `${base.path}/dest`;
  await Promise.all(
    [0, 1, 2, 3].map(async (i) =>
      extractToDirectory(
        (await packDirectory(`${base.path}/src${i}`)).stream(),
        dest,
      )
    ),
  );
  const got = await snapshot(dest);
  ok(trees.some((t) => JSON.stringify(t) === JSON.stringify(got)));
  deepStrictEqual(await names(base.path), [
    "dest",
    "src0",
    "src1",
    "src2",
    "src3",
  ]);
});

/** A PID no process has any more. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("siblings are named after this process: <dir>.tmp-<pid>-<start>-<hex>", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  let tmpName = "";
  await extractToDirectory((await packDirectory(src)).stream(), dest, {
    beforeCommit: (dir) => {
      tmpName = dir.slice(dir.lastIndexOf("/") + 1);
    },
  });
  const m = /^dest\.tmp-(\d+)-([0-9a-z]+)-[0-9a-f]{8}$/.exec(tmpName);
  ok(m, tmpName);
  deepStrictEqual(Number(m[1]), Deno.pid);
});

Deno.test("the steps come in order; the previous copy is moved aside, then deleted under a .del- name", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const seen: string[] = [];
  await extractToDirectory((await packDirectory(src)).stream(), dest, {
    onStep: async (step) => {
      const beside = (await names(base.path)).map((n) =>
        n.replace(/-\d+-[0-9a-z]+-[0-9a-f]{8}$/, "")
      );
      seen.push(`${step}: ${beside.join(" ")}`);
    },
  });
  deepStrictEqual(seen, [
    "extracting: dest dest.tmp src",
    "prepared: dest dest.tmp src",
    "moved-aside: dest.old dest.tmp src",
    "swapped: dest dest.old src",
    "removing-old: dest dest.del src",
  ]);
  deepStrictEqual(await names(base.path), ["dest", "src"]);
});

Deno.test("an abort at the last step before the swap keeps the previous copy; once swapping, the swap completes", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const ac = new AbortController();
  await failsKeepingPrevious(
    base.path,
    dest,
    async () =>
      extractToDirectory((await packDirectory(src)).stream(), dest, {
        signal: ac.signal,
        onStep: (step) => {
          if (step === "prepared") ac.abort(new Error("stop"));
        },
      }),
    (e) => e.message === "stop",
  );
  const ac2 = new AbortController();
  await extractToDirectory((await packDirectory(src)).stream(), dest, {
    signal: ac2.signal,
    onStep: (step) => {
      if (step === "moved-aside") {
        ac2.abort(new Error("too late"));
        throw new Error("a hook cannot break the swap");
      }
    },
  });
  deepStrictEqual(await snapshot(dest), await snapshot(src));
  deepStrictEqual(await names(base.path), ["dest", "src"]);
});

Deno.test("a destination missing between the renames is restored from its .old- copy of a dead process; stale siblings are removed", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const previous = await snapshot(dest);
  const dead = await deadPid();
  await Deno.rename(dest, `${dest}.old-${dead}-1-0a0a0a0a`);
  await write(`${dest}.tmp-${dead}-1-0b0b0b0b/half`, "x");
  await write(`${dest}.del-${dead}-1-0c0c0c0c/half`, "x");
  let during: string[] = [];
  await extractToDirectory((await packDirectory(src)).stream(), dest, {
    beforeCommit: async () => {
      // Repaired before the extraction: the old copy is back in place.
      deepStrictEqual(await snapshot(dest), previous);
      during = (await names(base.path)).filter((n) => !n.includes(".tmp-"));
    },
  });
  deepStrictEqual(during, ["dest", "src"]);
  deepStrictEqual(await snapshot(dest), await snapshot(src));
  deepStrictEqual(await names(base.path), ["dest", "src"]);
});

Deno.test("siblings of this process (a concurrent extraction) and of live processes are never touched", async () => {
  await using base = await tempDir();
  const { dest, src } = await setup(base.path);
  const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
  try {
    const startOf = async (pid: number) => {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      return BigInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19])
        .toString(36);
    };
    const other = `${sleeper.pid}-${await startOf(sleeper.pid)}`;
    const live = [
      `dest.tmp-${other}-01234567`,
      `dest.old-${other}-89abcdef`,
      `dest.tmp-${Deno.pid}-${await startOf(Deno.pid)}-fedcba98`,
    ];
    for (const n of live) await write(`${base.path}/${n}/f`, "in use");
    // An earlier version's name, fresh: its (unknown) owner may be running.
    await write(`${base.path}/dest.tmp-0123456789ab/f`, "in use");
    await extractToDirectory((await packDirectory(src)).stream(), dest);
    deepStrictEqual(
      await names(base.path),
      [
        "dest",
        ...live,
        "dest.tmp-0123456789ab",
        "src",
      ].sort(),
    );
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

Deno.test("the root is never replaced (nothing is created next to it)", async () => {
  const before = await names("/");
  let cancelled = false;
  const input = new ReadableStream<Uint8Array>({
    cancel() {
      cancelled = true;
    },
  });
  await rejects(
    extractToDirectory(input, "/"),
    (e: Error) =>
      e instanceof UnsafeDestinationError && !e.overridable &&
      e.message ===
        "refusing to replace /: it is the root directory, which is never replaced, not even with overwrite",
  );
  ok(cancelled);
  deepStrictEqual(await names("/"), before);
});
