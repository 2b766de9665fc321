import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { MemoryCacheBackend, writeContent } from "../../src/cache/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { bytesOf, LAYER_TYPE } from "./fake_store.ts";
import { readAll } from "./helpers.ts";

async function put(backend: MemoryCacheBackend, size: number, seed: number) {
  const bytes = bytesOf(size, seed);
  const d = { mediaType: LAYER_TYPE, digest: digestOf(bytes), size };
  await writeContent(backend, d, bytes);
  return d;
}

async function has(backend: MemoryCacheBackend, digest: string) {
  const c = await backend.getContent(digest);
  if (!c) return false;
  await readAll(c.stream);
  return true;
}

Deno.test("memory: content is LRU within the byte budget", async () => {
  const backend = new MemoryCacheBackend({ maxBytes: 3000 });
  const a = await put(backend, 1000, 1);
  const b = await put(backend, 1000, 2);
  const c = await put(backend, 1000, 3);
  strictEqual(await has(backend, a.digest), true); // a becomes most recent
  const d = await put(backend, 1000, 4);
  deepStrictEqual(
    await Promise.all([a, b, c, d].map((x) => has(backend, x.digest))),
    [true, false, true, true],
  );
  strictEqual(backend.contentBytes, 3000);
});

Deno.test("memory: content over the budget is not kept; bytes are copies", async () => {
  const backend = new MemoryCacheBackend({ maxBytes: 100 });
  const big = bytesOf(101, 1);
  const kept = await writeContent(
    backend,
    { mediaType: LAYER_TYPE, digest: digestOf(big), size: 101 },
    big,
  );
  strictEqual(kept, false);
  const small = bytesOf(10, 2);
  const d = { mediaType: LAYER_TYPE, digest: digestOf(small), size: 10 };
  await writeContent(backend, d, small);
  small[0] ^= 1; // the caller's array is not the stored one
  const got = await readAll((await backend.getContent(d.digest))!.stream);
  strictEqual(digestOf(got), d.digest);
  got[0] ^= 1;
  strictEqual(
    digestOf(await readAll((await backend.getContent(d.digest))!.stream)),
    d.digest,
  );
});

Deno.test("memory: index entries are LRU within the count, and copies", async () => {
  const backend = new MemoryCacheBackend({ maxEntries: 2 });
  const rec = (key: string) => ({
    kind: "tags" as const,
    key,
    tags: ["v1"],
    fetchedAt: 1,
  });
  await backend.putIndex(rec("a"));
  await backend.putIndex(rec("b"));
  await backend.getIndex("tags", "a");
  await backend.putIndex(rec("c"));
  strictEqual(await backend.getIndex("tags", "b"), undefined);
  const a = await backend.getIndex("tags", "a");
  deepStrictEqual(a, rec("a"));
  a!.tags.push("mutated");
  deepStrictEqual((await backend.getIndex("tags", "a"))!.tags, ["v1"]);
  strictEqual(
    await backend.getIndex("refs", "a"),
    undefined,
    "kinds are separate",
  );
});

Deno.test("memory: an aborted writer stores nothing", async () => {
  const backend = new MemoryCacheBackend();
  const bytes = bytesOf(10, 3);
  const d = { mediaType: LAYER_TYPE, digest: digestOf(bytes), size: 10 };
  const w = (await backend.openContentWriter(d))!;
  await w.write(bytes);
  await w.abort();
  await w.commit();
  strictEqual(await backend.getContent(d.digest), undefined);
});
