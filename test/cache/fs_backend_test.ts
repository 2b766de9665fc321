/**
 * The filesystem backend: Go layout and file format, garbage tolerance,
 * atomic writes, the LRU size cap, and many processes on one directory.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  CachingStore,
  FsCacheBackend,
  type IndexKind,
  type IndexRecord,
  writeContent,
} from "../../src/cache/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import {
  bytesOf,
  Clock,
  enc,
  FakeStore,
  LAYER_TYPE,
  REGISTRY,
  totalCalls,
} from "./fake_store.ts";
import { listFiles, readAll, tempDir } from "./helpers.ts";
import { fullRound, seededFake } from "./fs_process_script.ts";

const keyHash = (key: string) => digestOf(enc(key)).slice(7);
const indexPath = (dir: string, kind: IndexKind, key: string) =>
  join(dir, kind, keyHash(key) + ".json");

async function blob(backend: FsCacheBackend, size: number, seed: number) {
  const bytes = bytesOf(size, seed);
  const d = { mediaType: LAYER_TYPE, digest: digestOf(bytes), size };
  strictEqual(await writeContent(backend, d, bytes), true);
  return d;
}

async function contentBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(join(dir, "blobs/sha256"))) {
    total += (await Deno.stat(join(dir, "blobs/sha256", e.name))).size;
  }
  return total;
}

Deno.test("fs: the Go layout, with one blobs/ level and Go's index format", async () => {
  await using dir = await tempDir();
  const clock = new Clock(Date.UTC(2026, 4, 1, 12, 0, 0, 250));
  const fake = new FakeStore();
  const a = fake.addArtifact("plugins/base", "v1", { x: 1 });
  const store = new CachingStore(fake, { dir: dir.path, now: clock.now });
  await store.resolve(fake.ref("plugins/base", "v1"));
  await store.listTags(fake.repo("plugins/base"));
  await store.listRepositories(`${REGISTRY}/plugins`);
  await readAll(await store.fetchBlob(fake.repo("plugins/base"), a.config));
  await store.close();

  const refKey = `${REGISTRY}/plugins/base:v1`;
  const files = await listFiles(dir.path);
  deepStrictEqual(files, [
    `blobs/sha256/${a.config.digest.slice(7)}`,
    `catalog/${keyHash(`${REGISTRY}/plugins/`)}.json`,
    `refs/${keyHash(refKey)}.json`,
    `tags/${keyHash(`${REGISTRY}/plugins/base`)}.json`,
  ]);
  const refText = await Deno.readTextFile(indexPath(dir.path, "refs", refKey));
  strictEqual(
    refText,
    JSON.stringify(
      {
        key: refKey,
        digest: a.manifest.digest,
        size: a.manifest.size,
        media_type: MEDIA_TYPE_OCI_MANIFEST,
        etag: `"${a.manifest.digest}"`,
        fetched_at: "2026-05-01T12:00:00.250Z",
      },
      null,
      2,
    ) + "\n",
  );
  const tags = JSON.parse(
    await Deno.readTextFile(
      indexPath(dir.path, "tags", `${REGISTRY}/plugins/base`),
    ),
  );
  deepStrictEqual(Object.keys(tags), ["key", "tags", "etag", "fetched_at"]);
  const catalog = JSON.parse(
    await Deno.readTextFile(
      indexPath(dir.path, "catalog", `${REGISTRY}/plugins/`),
    ),
  );
  deepStrictEqual(catalog.repos, [`${REGISTRY}/plugins/base`]);
});

Deno.test("fs: reads entries the Go cache wrote (nanoseconds, zone offset, omitted fields, null)", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path);
  const digest = "sha256:" + "ab".repeat(32);
  await Deno.mkdir(join(dir.path, "refs"), { recursive: true });
  await Deno.mkdir(join(dir.path, "tags"), { recursive: true });
  await Deno.writeTextFile(
    indexPath(dir.path, "refs", "h/r:v1"),
    `{\n  "key": "h/r:v1",\n  "digest": "${digest}",\n  "fetched_at": "2026-01-02T15:04:05.123456789+01:00"\n}`,
  );
  await Deno.writeTextFile(
    indexPath(dir.path, "tags", "h/r"),
    `{"key":"h/r","tags":null,"fetched_at":"2026-01-02T14:04:05Z"}`,
  );
  deepStrictEqual(await backend.getIndex("refs", "h/r:v1"), {
    kind: "refs",
    key: "h/r:v1",
    fetchedAt: Date.UTC(2026, 0, 2, 14, 4, 5, 123),
    descriptor: { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest, size: 0 },
  });
  deepStrictEqual(await backend.getIndex("tags", "h/r"), {
    kind: "tags",
    key: "h/r",
    fetchedAt: Date.UTC(2026, 0, 2, 14, 4, 5),
    tags: [],
  });
});

Deno.test("fs: garbage, foreign and unreadable index files are misses", async () => {
  await using dir = await tempDir();
  const fake = new FakeStore();
  fake.addArtifact("plugins/base", "v1", {});
  const key = `${REGISTRY}/plugins/base`;
  const good = `"fetched_at": "${new Date().toISOString()}"`;
  const cases: [string, string][] = [
    ["empty", ""],
    ["not JSON", "\u0000\u0001garbage"],
    ["truncated", `{"key": "${key}", "tags": ["v1"`],
    ["null", "null"],
    ["an array", "[]"],
    ["another key", `{"key": "${key}x", "tags": ["v9"], ${good}}`],
    ["no key", `{"tags": ["v9"], ${good}}`],
    ["tags not strings", `{"key": "${key}", "tags": [1], ${good}}`],
    ["tags a string", `{"key": "${key}", "tags": "v9", ${good}}`],
    ["no fetched_at", `{"key": "${key}", "tags": ["v9"]}`],
    [
      "bad fetched_at",
      `{"key": "${key}", "tags": ["v9"], "fetched_at": "yesterday"}`,
    ],
    ["etag a number", `{"key": "${key}", "tags": ["v9"], "etag": 5, ${good}}`],
  ];
  await Deno.mkdir(join(dir.path, "tags"), { recursive: true });
  for (const [name, text] of cases) {
    await Deno.writeTextFile(indexPath(dir.path, "tags", key), text);
    fake.resetCalls();
    const store = new CachingStore(fake, { dir: dir.path });
    deepStrictEqual((await store.listTags(fake.repo("plugins/base"))).tags, [
      "v1",
    ], name);
    strictEqual(fake.calls.listTags, 1, name);
    await store.close();
  }
  // a directory where the file should be
  await Deno.remove(indexPath(dir.path, "tags", key));
  await Deno.mkdir(indexPath(dir.path, "tags", key));
  const store = new CachingStore(fake, { dir: dir.path });
  deepStrictEqual((await store.listTags(fake.repo("plugins/base"))).tags, [
    "v1",
  ]);
  await store.close();
});

Deno.test("fs: writes recreate directories removed underneath (cache prune --all)", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path);
  await backend.putIndex({
    kind: "tags",
    key: "h/r",
    tags: ["v1"],
    fetchedAt: 1,
  });
  await blob(backend, 10, 1);
  for (const d of ["tags", "blobs"]) {
    await Deno.remove(join(dir.path, d), { recursive: true });
  }
  strictEqual(await backend.getIndex("tags", "h/r"), undefined);
  await backend.putIndex({
    kind: "tags",
    key: "h/r",
    tags: ["v2"],
    fetchedAt: 2,
  });
  deepStrictEqual((await backend.getIndex("tags", "h/r"))?.tags, ["v2"]);
  const d = await blob(backend, 10, 2);
  const c = await backend.getContent(d.digest);
  strictEqual(c?.size, 10);
  await c?.stream.cancel();
});

Deno.test("fs: a ref entry with an invalid digest is a miss", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path);
  await Deno.mkdir(join(dir.path, "refs"), { recursive: true });
  await Deno.writeTextFile(
    indexPath(dir.path, "refs", "h/r:v1"),
    `{"key":"h/r:v1","digest":"sha256:xyz","fetched_at":"2026-01-02T14:04:05Z"}`,
  );
  strictEqual(await backend.getIndex("refs", "h/r:v1"), undefined);
});

Deno.test("fs: 16 racing writers leave one whole file and no temp files", async () => {
  await using dir = await tempDir();
  const writers = Array.from(
    { length: 16 },
    () => new FsCacheBackend(dir.path),
  );
  const records: IndexRecord[] = writers.map((_, i) => ({
    kind: "tags",
    key: "h/r",
    tags: Array.from({ length: 50 + i }, (_, j) => `v${i}.${j}`),
    fetchedAt: 1_700_000_000_000 + i,
  }));
  await Promise.all(writers.map((w, i) => w.putIndex(records[i])));
  const files = await listFiles(join(dir.path, "tags"));
  deepStrictEqual(files, [keyHash("h/r") + ".json"]);
  const got = await writers[0].getIndex("tags", "h/r");
  ok(got, "valid");
  ok(
    records.some((r) => isDeepStrictEqual(r, got)),
    "one writer's whole entry",
  );
});

Deno.test("fs: the size cap evicts the least recently used, and a hit counts as a use", async () => {
  await using dir = await tempDir();
  const clock = new Clock();
  // over the cap, eviction frees down to 90 % of it (3150 bytes)
  const backend = new FsCacheBackend(dir.path, {
    maxBytes: 3500,
    now: clock.now,
  });
  const a = await blob(backend, 1000, 1);
  clock.advance(1000);
  const b = await blob(backend, 1000, 2);
  clock.advance(1000);
  const c = await blob(backend, 1000, 3);
  clock.advance(1000);
  const hit = await backend.getContent(a.digest); // a is now the most recent
  ok(hit);
  await hit.stream.cancel();
  clock.advance(1000);
  const d = await blob(backend, 1000, 4);
  const present = async (x: { digest: string }) => {
    const got = await backend.getContent(x.digest);
    await got?.stream.cancel();
    return got !== undefined;
  };
  deepStrictEqual(
    [await present(a), await present(b), await present(c), await present(d)],
    [true, false, true, true],
  );
});

Deno.test("fs: the cap holds under repeated inserts, content over the budget is not stored", async () => {
  await using dir = await tempDir();
  const fake = new FakeStore();
  const cap = 1024 * 1024;
  const store = new CachingStore(fake, { dir: dir.path, maxBytes: cap });
  for (let i = 0; i < 25; i++) {
    const d = fake.addBlob(bytesOf(100 * 1024 + i, i + 1));
    const got = await readAll(await store.fetchBlob(fake.repo("r"), d));
    strictEqual(got.byteLength, d.size);
    ok(await contentBytes(dir.path) <= cap, `after insert ${i}`);
  }
  const big = fake.addBlob(bytesOf(cap + 1, 99));
  await readAll(await store.fetchBlob(fake.repo("r"), big));
  strictEqual(await store.backend.getContent(big.digest), undefined);
  await store.close();
});

Deno.test("fs: maxBytes <= 0 disables eviction", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path, { maxBytes: 0 });
  strictEqual(backend.maxBytes, 0);
  for (let i = 0; i < 5; i++) await blob(backend, 1000, i + 1);
  strictEqual(await contentBytes(dir.path), 5000);
});

Deno.test("fs: abandoned temp files are swept, live ones kept", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path, { maxBytes: 1 << 20 });
  await blob(backend, 10, 1);
  const blobs = join(dir.path, "blobs/sha256");
  const old = join(blobs, "ab".repeat(32) + ".tmp.0123456789abcdef");
  const live = join(blobs, "cd".repeat(32) + ".tmp.fedcba9876543210");
  await Deno.writeFile(old, new Uint8Array(5));
  await Deno.writeFile(live, new Uint8Array(5));
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await Deno.utime(old, twoHoursAgo, twoHoursAgo);
  await backend.evict(); // the sweep is part of every pass
  const names = await listFiles(blobs);
  ok(!names.some((n) => n.startsWith("abab")), "old temp removed");
  ok(names.some((n) => n.startsWith("cdcd")), "live temp kept");
});

Deno.test("fs: corrupted content is detected when served, and dropped", async () => {
  await using dir = await tempDir();
  const fake = new FakeStore();
  const layer = bytesOf(200_000, 5);
  const a = fake.addArtifact("plugins/base", "v1", {}, layer);
  const store = new CachingStore(fake, { dir: dir.path });
  const repo = fake.repo("plugins/base");
  await readAll(await store.fetchBlob(repo, a.layer!));
  const path = join(dir.path, "blobs/sha256", a.layer!.digest.slice(7));
  const bad = layer.slice();
  bad[100] ^= 0xff;
  await Deno.writeFile(path, bad);
  let failed = false;
  try {
    await readAll(await store.fetchBlob(repo, a.layer!));
  } catch (e) {
    failed = /digest mismatch/.test(String(e));
  }
  ok(failed, "served corruption errors the stream");
  strictEqual(await store.backend.getContent(a.layer!.digest), undefined);
  deepStrictEqual(await readAll(await store.fetchBlob(repo, a.layer!)), layer);
  strictEqual(fake.calls.fetchBlob, 2);
  await store.close();
});

Deno.test("fs: two backends evicting one directory at once both succeed", async () => {
  await using dir = await tempDir();
  const one = new FsCacheBackend(dir.path, { maxBytes: 20_000 });
  const two = new FsCacheBackend(dir.path, { maxBytes: 20_000 });
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => blob(i % 2 ? one : two, 1000, i + 1)),
  );
  await Promise.all([one.evict(), two.evict()]);
  ok(await contentBytes(dir.path) <= 20_000);
});

async function runProcesses(dir: string, n: number, maxBytes: number) {
  const script = new URL("./fs_process_script.ts", import.meta.url).pathname;
  const outputs = await Promise.all(
    Array.from({ length: n }, () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", script, dir, String(maxBytes)],
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  for (const o of outputs) {
    strictEqual(o.code, 0, new TextDecoder().decode(o.stderr));
  }
  return outputs.map((o) => JSON.parse(new TextDecoder().decode(o.stdout)));
}

async function checkDirectory(dir: string) {
  const files = await listFiles(dir);
  deepStrictEqual(
    files.filter((f) => f.includes(".tmp.")),
    [],
    "no temp files",
  );
  for (const f of files) {
    const path = join(dir, f);
    if (f.startsWith("blobs/")) {
      const [, alg, hex] = f.split("/");
      strictEqual(digestOf(await Deno.readFile(path)), `${alg}:${hex}`, f);
      continue;
    }
    const doc = JSON.parse(await Deno.readTextFile(path));
    strictEqual(f.split("/")[1], keyHash(doc.key) + ".json", f);
  }
  return files;
}

Deno.test("fs: 8 processes on one directory, then a warm store asks nothing", async () => {
  await using dir = await tempDir();
  const calls = await runProcesses(dir.path, 8, 2 ** 31);
  ok(calls.every((c) => c.listRepositories <= 1));
  const files = await checkDirectory(dir.path);
  // 1 catalog + 5 tag lists + 15 refs + 15 manifests + 15 configs + 15 layers
  strictEqual(files.length, 66);
  const fake = seededFake();
  const store = new CachingStore(fake, { dir: dir.path });
  await fullRound(store, fake);
  await store.close();
  strictEqual(totalCalls(fake.calls), 0);
});

Deno.test("fs: 8 processes evicting one small directory at once", async () => {
  await using dir = await tempDir();
  const cap = 2 * 1024 * 1024; // less than the 4.5 MiB of layers
  await runProcesses(dir.path, 8, cap);
  await checkDirectory(dir.path);
  // each process evicts after its own inserts; the last inserts of one may
  // land after another's last pass, so allow one process's round on top
  ok(await contentBytes(dir.path) <= cap + 15 * (300 * 1024 + 1024));
  await new FsCacheBackend(dir.path, { maxBytes: cap }).evict();
  ok(await contentBytes(dir.path) <= cap);
  await checkDirectory(dir.path);
});

Deno.test("fs: a directory name containing .tmp. is not mistaken for temp files", async () => {
  await using dir = await tempDir();
  const root = join(dir.path, "cache.tmp.0123456789abcdef");
  const backend = new FsCacheBackend(root, { maxBytes: 10_000 });
  const d = await blob(backend, 100, 1);
  await backend.evict();
  const c = await backend.getContent(d.digest);
  strictEqual(c?.size, 100);
  await c?.stream.cancel();
});

Deno.test("fs: a running total spares the directory walk on most inserts", async () => {
  await using dir = await tempDir();
  const backend = new FsCacheBackend(dir.path, { maxBytes: 10_000 });
  await blob(backend, 100, 1); // the first insert counts the directory
  const blobs = join(dir.path, "blobs/sha256");
  // an abandoned temp file shows whether a pass ran (a pass sweeps it)
  const marker = join(blobs, "ef".repeat(32) + ".tmp.0000000000000000");
  await Deno.writeFile(marker, new Uint8Array(1));
  const old = new Date(Date.now() - 2 * 3600_000);
  await Deno.utime(marker, old, old);
  for (let i = 0; i < 10; i++) await blob(backend, 200, i + 2);
  ok(await Deno.stat(marker), "no pass while the running total is low");
  // a file another process added is counted at the next pass, which runs
  // once this process's own total passes the budget
  const foreign = bytesOf(5000, 77);
  await Deno.writeFile(join(blobs, digestOf(foreign).slice(7)), foreign);
  for (let i = 0; i < 40; i++) await blob(backend, 200, i + 20);
  await rejects(() => Deno.stat(marker), Deno.errors.NotFound);
  ok(await contentBytes(dir.path) <= 10_000);
});
