/**
 * The Workers KV backend against a fake namespace enforcing KV's limits.
 * (The same backend in real workerd KV is tested with the edge API.)
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  CachingStore,
  KV_MAX_METADATA_BYTES,
  KvCacheBackend,
  type TagsRecord,
  writeContent,
} from "../../src/cache/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import { FakeKv } from "./fake_kv.ts";
import {
  bytesOf,
  Clock,
  CONFIG_TYPE,
  enc,
  FakeStore,
  LAYER_TYPE,
} from "./fake_store.ts";
import { readAll } from "./helpers.ts";

function setup(options = {}) {
  const clock = new Clock();
  const kv = new FakeKv(clock.now);
  const backend = new KvCacheBackend(kv, { now: clock.now, ...options });
  return { clock, kv, backend };
}

const tags = (t: string[], fetchedAt: number, etag?: string): TagsRecord => ({
  kind: "tags",
  key: "h/r",
  tags: t,
  fetchedAt,
  ...(etag ? { etag } : {}),
});

Deno.test("kv: freshness and ETag live in metadata, the answer in the value", async () => {
  const { clock, kv, backend } = setup();
  await backend.putIndex(tags(["v1"], clock.t, '"e1"'));
  strictEqual(kv.puts, 1);
  const [[key, entry]] = [...kv.data];
  ok(key.startsWith("klaus-oci/tags/") && key.length < 512);
  deepStrictEqual(entry.metadata, { fetchedAt: clock.t, etag: '"e1"' });
  deepStrictEqual(JSON.parse(entry.value as string), {
    key: "h/r",
    tags: ["v1"],
  });
  strictEqual(entry.expirationTtl, 8 * 86_400);
  // a fresh isolate (new backend) reads it back from KV alone
  const other = new KvCacheBackend(kv, { now: clock.now });
  deepStrictEqual(
    await other.getIndex("tags", "h/r"),
    tags(["v1"], clock.t, '"e1"'),
  );
});

Deno.test("kv: never more than one write per second per key", async () => {
  const { clock, kv, backend } = setup();
  await backend.putIndex(tags(["v1"], clock.t));
  clock.advance(300);
  await backend.putIndex(tags(["v1", "v2"], clock.t));
  strictEqual(kv.puts, 1, "second write within a second skipped");
  strictEqual(kv.rateViolations, 0);
  // this isolate still answers with the newer record
  deepStrictEqual((await backend.getIndex("tags", "h/r"))?.tags, ["v1", "v2"]);
  clock.advance(700);
  await backend.putIndex(tags(["v1", "v2", "v3"], clock.t));
  strictEqual(kv.puts, 2);
  deepStrictEqual(
    (await new KvCacheBackend(kv).getIndex("tags", "h/r"))?.tags,
    ["v1", "v2", "v3"],
  );
});

Deno.test("kv: a revalidation that changes nothing is not rewritten until the rewrite interval", async () => {
  const { clock, kv, backend } = setup({ rewriteIntervalMs: 10 * 60_000 });
  await backend.putIndex(tags(["v1"], clock.t, '"e"'));
  for (let i = 0; i < 9; i++) {
    clock.advance(60_000);
    await backend.putIndex(tags(["v1"], clock.t, '"e"'));
  }
  strictEqual(kv.puts, 1);
  strictEqual(
    (await backend.getIndex("tags", "h/r"))?.fetchedAt,
    clock.t,
    "this isolate knows",
  );
  clock.advance(60_000);
  await backend.putIndex(tags(["v1"], clock.t, '"e"'));
  strictEqual(kv.puts, 2);
  // a changed ETag is a change
  clock.advance(2000);
  await backend.putIndex(tags(["v1"], clock.t, '"f"'));
  strictEqual(kv.puts, 3);
});

Deno.test("kv: an ETag too long for the 1024-byte metadata is dropped, the entry kept", async () => {
  const { kv, backend, clock } = setup();
  const etag = '"' + "x".repeat(2000) + '"';
  await backend.putIndex(tags(["v1"], clock.t, etag));
  const [[, entry]] = [...kv.data];
  ok(JSON.stringify(entry.metadata).length <= KV_MAX_METADATA_BYTES);
  deepStrictEqual(entry.metadata, { fetchedAt: clock.t });
  const other = new KvCacheBackend(kv, { now: clock.now });
  deepStrictEqual(await other.getIndex("tags", "h/r"), tags(["v1"], clock.t));
});

Deno.test("kv: long keys are hashed under the 512-byte key limit, the key checked on read", async () => {
  const { kv, backend, clock } = setup();
  const key = "h/" + "deep/".repeat(200) + "repo";
  await backend.putIndex({ ...tags(["v1"], clock.t), key });
  deepStrictEqual((await backend.getIndex("tags", key))?.tags, ["v1"]);
  // tamper: store another key's value under this key's name
  const [[kvKey, entry]] = [...kv.data];
  kv.data.set(kvKey, {
    ...entry,
    value: JSON.stringify({ key: "other", tags: ["x"] }),
  });
  strictEqual(await new KvCacheBackend(kv).getIndex("tags", key), undefined);
});

Deno.test("kv: garbage values and metadata are misses", async () => {
  const { kv, backend, clock } = setup();
  await backend.putIndex(tags(["v1"], clock.t));
  const [[kvKey, entry]] = [...kv.data];
  for (
    const bad of [
      { ...entry, value: "not json" },
      { ...entry, metadata: null },
      { ...entry, metadata: { fetchedAt: "yesterday" } },
      { ...entry, value: JSON.stringify({ key: "h/r", tags: "v1" }) },
    ]
  ) {
    kv.data.set(kvKey, bad);
    strictEqual(
      await new KvCacheBackend(kv).getIndex("tags", "h/r"),
      undefined,
    );
  }
});

Deno.test("kv: manifests and configs are stored, layers and large content never", async () => {
  const { kv, backend } = setup({ maxContentBytes: 1000 });
  const put = (bytes: Uint8Array, mediaType: string) =>
    writeContent(backend, {
      mediaType,
      digest: digestOf(bytes),
      size: bytes.byteLength,
    }, bytes);
  const manifest = enc(JSON.stringify({ schemaVersion: 2 }));
  strictEqual(await put(manifest, MEDIA_TYPE_OCI_MANIFEST), true);
  strictEqual(await put(enc('{"a":1}'), CONFIG_TYPE), true);
  strictEqual(await put(bytesOf(100, 1), LAYER_TYPE), false);
  strictEqual(
    await put(enc(JSON.stringify({ x: "y".repeat(1000) })), CONFIG_TYPE),
    false,
  );
  strictEqual(kv.puts, 2);
  const got = await backend.getContent(digestOf(manifest));
  deepStrictEqual(await readAll(got!.stream), manifest);
  ok([...kv.data.keys()].every((k) => k.startsWith("klaus-oci/blobs/sha256/")));
});

Deno.test("kv: a caching store on KV answers warm across isolates without the registry", async () => {
  const clock = new Clock();
  const kv = new FakeKv(clock.now);
  const fake = new FakeStore();
  const a = fake.addArtifact("plugins/base", "v1", { a: 1 }, bytesOf(1000, 1));
  const round = async (store: CachingStore) => {
    await store.listTags(fake.repo("plugins/base"));
    const m = await store.fetchManifest(fake.ref("plugins/base", "v1"));
    await readAll(await store.fetchBlob(fake.repo("plugins/base"), a.config));
    return m;
  };
  const first = new CachingStore(fake, {
    store: new KvCacheBackend(kv, { now: clock.now }),
    now: clock.now,
  });
  await round(first);
  await first.close();
  fake.resetCalls();
  clock.advance(10_000);
  const second = new CachingStore(fake, {
    store: new KvCacheBackend(kv, { now: clock.now }),
    now: clock.now,
  });
  const m = await round(second);
  await second.close();
  strictEqual(digestOf(m.bytes), a.manifest.digest);
  strictEqual(
    fake.calls.listTags + fake.calls.fetchManifest + fake.calls.fetchBlob,
    0,
  );
  strictEqual(kv.rateViolations, 0);
});

Deno.test("kv: index reads are remembered for indexMemoMs, content by digest for good", async () => {
  const { clock, kv } = setup();
  const writer = new KvCacheBackend(kv, { now: clock.now });
  await writer.putIndex(tags(["v1"], clock.t));
  const reader = new KvCacheBackend(kv, { now: clock.now, indexMemoMs: 1000 });
  const before = kv.reads;
  deepStrictEqual((await reader.getIndex("tags", "h/r"))?.tags, ["v1"]);
  deepStrictEqual((await reader.getIndex("tags", "h/r"))?.tags, ["v1"]);
  strictEqual(
    kv.reads - before,
    1,
    "the second lookup is answered from memory",
  );
  // Another isolate's write is seen once the memo has expired.
  clock.advance(2000);
  await writer.putIndex(tags(["v1", "v2"], clock.t));
  clock.advance(1000);
  deepStrictEqual((await reader.getIndex("tags", "h/r"))?.tags, ["v1", "v2"]);
  strictEqual(kv.reads - before, 2);
  // Without a memo every lookup reads KV.
  const plain = new KvCacheBackend(kv, { now: clock.now, indexMemoMs: 0 });
  const r0 = kv.reads;
  await plain.getIndex("tags", "h/r");
  await plain.getIndex("tags", "h/r");
  strictEqual(kv.reads - r0, 2);

  // Content: one KV read, then memory, each answer a fresh copy.
  const doc = new TextEncoder().encode('{"schemaVersion":2}');
  const digest = digestOf(doc);
  const w = await writer.openContentWriter({
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    digest,
    size: doc.byteLength,
  });
  await w!.write(doc);
  await w!.commit();
  const c0 = kv.reads;
  const a = await readAll((await reader.getContent(digest))!.stream);
  a[0] = 0;
  const b = await readAll((await reader.getContent(digest))!.stream);
  deepStrictEqual(b, doc);
  strictEqual(kv.reads - c0, 1);
});
