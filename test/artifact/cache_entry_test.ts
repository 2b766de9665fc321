import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError, NotFoundError } from "../../src/errors.ts";
import {
  CACHE_FILE_NAME,
  formatGoTime,
  hasCacheFile,
  isCached,
  isCompletePull,
  pulledAtOf,
  readCacheEntry,
  writeCacheEntry,
} from "../../src/artifact/cache_entry.ts";
import { withTempDir } from "./_fs_helpers.ts";

const PULLED_AT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// cache_test.go TestCache_WriteAndRead
Deno.test("cache entry: write and read back", async () => {
  await withTempDir(async (dir) => {
    const annotations = {
      "io.giantswarm.klaus.name": "test",
      "io.giantswarm.klaus.description": "a test artifact",
    };
    const before = Date.now();
    await writeCacheEntry(dir, {
      digest: "sha256:abc123def456",
      ref: "registry.example.com/test:v1.0.0",
      configJSON: { skills: ["kubernetes"] },
      annotations,
    });
    const got = await readCacheEntry(dir);
    strictEqual(got.digest, "sha256:abc123def456");
    strictEqual(got.ref, "registry.example.com/test:v1.0.0");
    ok(PULLED_AT.test(got.pulledAt), got.pulledAt);
    const pulled = Date.parse(got.pulledAt);
    ok(pulled >= before - 1000 && pulled <= Date.now() + 1000, got.pulledAt);
    deepStrictEqual(got.configJSON, { skills: ["kubernetes"] });
    deepStrictEqual(got.annotations, annotations);
  });
});

// cache_test.go TestIsCached
Deno.test("isCached: before write, same digest, other digest", async () => {
  await withTempDir(async (dir) => {
    const digest = "sha256:abc123def456";
    strictEqual(await isCached(dir, digest), false);
    await writeCacheEntry(dir, { digest, ref: "test:v1" });
    strictEqual(await isCached(dir, digest), true);
    strictEqual(await isCached(dir, "sha256:different"), false);
  });
});

// cache_test.go TestReadCacheEntry_Missing
Deno.test("readCacheEntry: missing file is NotFoundError", async () => {
  await withTempDir(async (dir) => {
    await rejects(readCacheEntry(dir), (e: unknown) => {
      ok(e instanceof NotFoundError);
      strictEqual(
        (e as Error).message,
        `open ${join(dir, CACHE_FILE_NAME)}: no such file or directory`,
      );
      return true;
    });
  });
});

Deno.test("writeCacheEntry: Go MarshalIndent bytes, atomic, no temp file left", async () => {
  await withTempDir(async (dir) => {
    await writeCacheEntry(dir, {
      digest: "sha256:d",
      ref: "example.com/p/x:v1",
      pulledAt: "1999-01-01T00:00:00Z", // always replaced by now
      configJSON: new TextEncoder().encode(
        '{ "commands" : ["<hello>"], "x": {} , "y":[] }',
      ),
      annotations: { "io.giantswarm.klaus.name": "x", "a.first": "&" },
    });
    const written = await readFile(join(dir, CACHE_FILE_NAME), "utf8");
    const pulledAt = JSON.parse(written).pulledAt;
    ok(
      pulledAt !== "1999-01-01T00:00:00Z" && PULLED_AT.test(pulledAt),
      pulledAt,
    );
    strictEqual(
      written,
      `{
  "digest": "sha256:d",
  "ref": "example.com/p/x:v1",
  "pulledAt": "${pulledAt}",
  "configJSON": {
    "commands": [
      "\\u003chello\\u003e"
    ],
    "x": {},
    "y": []
  },
  "annotations": {
    "a.first": "\\u0026",
    "io.giantswarm.klaus.name": "x"
  }
}`,
    );
    deepStrictEqual(await readdir(dir), [CACHE_FILE_NAME]);
  });
});

Deno.test("writeCacheEntry: no config, no annotations → keys omitted", async () => {
  await withTempDir(async (dir) => {
    await writeCacheEntry(dir, {
      digest: "sha256:d",
      ref: "r:v1",
      annotations: {},
    });
    const written = await readFile(join(dir, CACHE_FILE_NAME), "utf8");
    deepStrictEqual(Object.keys(JSON.parse(written)), [
      "digest",
      "ref",
      "pulledAt",
    ]);
    await writeCacheEntry(dir, {
      digest: "sha256:e",
      ref: "r:v1",
      configJSON: new Uint8Array(),
    });
    deepStrictEqual(await readCacheEntry(dir).then((e) => Object.keys(e)), [
      "digest",
      "ref",
      "pulledAt",
    ]);
  });
});

Deno.test("writeCacheEntry: raw config that is not JSON fails and leaves nothing", async () => {
  await withTempDir(async (dir) => {
    await rejects(
      writeCacheEntry(dir, {
        digest: "sha256:d",
        ref: "r:v1",
        configJSON: new TextEncoder().encode("not json"),
      }),
      InvalidArtifactError,
    );
    deepStrictEqual(await readdir(dir), []);
  });
});

Deno.test("writeCacheEntry: overwrites an existing entry", async () => {
  await withTempDir(async (dir) => {
    await writeCacheEntry(dir, { digest: "sha256:old", ref: "r:v1" });
    await writeCacheEntry(dir, { digest: "sha256:new", ref: "r:v2" });
    strictEqual((await readCacheEntry(dir)).digest, "sha256:new");
    strictEqual(await isCached(dir, "sha256:old"), false);
  });
});

Deno.test("readCacheEntry: files written by Go (case-insensitive keys, unknown keys, old format)", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, CACHE_FILE_NAME);
    await writeFile(
      path,
      `{
  "Digest": "sha256:go",
  "ref": "gsoci.azurecr.io/giantswarm/klaus-plugins/base:v0.1.0",
  "pulledAt": "2026-04-20T20:01:00.123456789+02:00",
  "configJSON": {
    "commands": [
      "hello"
    ]
  },
  "extra": true
}`,
    );
    deepStrictEqual(await readCacheEntry(dir), {
      digest: "sha256:go",
      ref: "gsoci.azurecr.io/giantswarm/klaus-plugins/base:v0.1.0",
      pulledAt: "2026-04-20T20:01:00.123456789+02:00",
      configJSON: { commands: ["hello"] },
    });
    await writeFile(
      path,
      '{"digest":"sha256:x","ref":"r","pulledAt":"yesterday"}',
    );
    await rejects(readCacheEntry(dir), InvalidArtifactError);
    strictEqual(await isCached(dir, "sha256:x"), false);
    await writeFile(path, "{not json");
    strictEqual(await isCached(dir, "sha256:x"), false);
    await writeFile(path, '{"digest":"sha256:x","ref":"r","configJSON":null}');
    deepStrictEqual(await readCacheEntry(dir), {
      digest: "sha256:x",
      ref: "r",
      pulledAt: "0001-01-01T00:00:00Z",
      configJSON: null,
    });
  });
});

Deno.test("formatGoTime: trailing zeros trimmed, UTC as Z (TZ=UTC subprocess)", async () => {
  const code = `
    const { formatGoTime } = await import(${
    JSON.stringify(
      new URL("../../src/artifact/cache_entry.ts", import.meta.url).href,
    )
  });
    console.log(JSON.stringify([
      formatGoTime(new Date(Date.UTC(2026, 3, 20, 18, 1, 0, 0))),
      formatGoTime(new Date(Date.UTC(2026, 3, 20, 18, 1, 0, 120))),
      formatGoTime(new Date(Date.UTC(2026, 3, 20, 18, 1, 0, 5))),
    ]));`;
  const run = async (tz: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env: { TZ: tz, NO_COLOR: "1" },
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(out.success, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  deepStrictEqual(await run("UTC"), [
    "2026-04-20T18:01:00Z",
    "2026-04-20T18:01:00.12Z",
    "2026-04-20T18:01:00.005Z",
  ]);
  // Newfoundland: a negative half-hour offset (-02:30 in April).
  deepStrictEqual(await run("America/St_Johns"), [
    "2026-04-20T15:31:00-02:30",
    "2026-04-20T15:31:00.12-02:30",
    "2026-04-20T15:31:00.005-02:30",
  ]);
  deepStrictEqual(await run("Asia/Kolkata"), [
    "2026-04-20T23:31:00+05:30",
    "2026-04-20T23:31:00.12+05:30",
    "2026-04-20T23:31:00.005+05:30",
  ]);
});

Deno.test("formatGoTime: matches the local offset of this process", () => {
  const s = formatGoTime(new Date());
  ok(PULLED_AT.test(s), s);
  ok(Math.abs(Date.parse(s) - Date.now()) < 5000, s);
});

Deno.test("hasCacheFile, isCompletePull, pulledAtOf: what marks a pulled copy", async () => {
  await withTempDir(async (dir) => {
    strictEqual(await hasCacheFile(dir), false);
    strictEqual(await isCompletePull(dir), false);
    strictEqual(await pulledAtOf(dir), undefined);
    // A corrupt entry still marks a directory some pull made, but no
    // complete copy (it is not restored after a crash).
    await writeFile(join(dir, CACHE_FILE_NAME), "{not json");
    strictEqual(await hasCacheFile(dir), true);
    strictEqual(await isCompletePull(dir), false);
    strictEqual(await pulledAtOf(dir), undefined);
    await writeFile(join(dir, CACHE_FILE_NAME), '{"digest":""}');
    strictEqual(await isCompletePull(dir), false);
    const before = Date.now();
    await writeCacheEntry(dir, { digest: "sha256:abc", ref: "r/x:v1" });
    strictEqual(await isCompletePull(dir), true);
    const at = await pulledAtOf(dir);
    ok(at !== undefined && at >= before - 1000 && at <= Date.now() + 1000);
  });
  await withTempDir(async (dir) => {
    // A directory named like the file is no mark.
    await Deno.mkdir(join(dir, CACHE_FILE_NAME));
    strictEqual(await hasCacheFile(dir), false);
  });
});
