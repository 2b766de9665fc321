/**
 * One of several processes sharing a cache directory (fs_backend_test.ts):
 * runs a full resolution round — catalog, tags, manifests, configs, layers
 * — over a deterministic fake registry, then prints its inner call counts.
 *
 * Usage: deno run -A fs_process_script.ts <dir> <maxBytes>
 */
import { CachingStore } from "../../src/cache/mod.ts";
import { bytesOf, FakeStore, REGISTRY } from "./fake_store.ts";

export const REPOS = ["a", "b", "c", "d", "e"].map((n) => `team/${n}`);
export const TAGS = ["v1.0.0", "v1.1.0", "v2.0.0"];
export const LAYER_BYTES = 300 * 1024;

/** The same registry content in every process. */
export function seededFake(): FakeStore {
  const fake = new FakeStore();
  REPOS.forEach((repo, i) =>
    TAGS.forEach((tag, j) =>
      fake.addArtifact(
        repo,
        tag,
        { repo, tag },
        bytesOf(LAYER_BYTES, i * 10 + j + 1),
      )
    )
  );
  return fake;
}

/** Reads everything once; returns the inner calls made. */
export async function fullRound(store: CachingStore, fake: FakeStore) {
  const repos = await store.listRepositories(REGISTRY);
  for (const full of repos) {
    const repository = full.slice(REGISTRY.length + 1);
    const { tags } = await store.listTags(fake.repo(repository));
    for (const tag of tags) {
      const m = await store.fetchManifest(fake.ref(repository, tag));
      const doc = JSON.parse(new TextDecoder().decode(m.bytes));
      for (const d of [doc.config, ...doc.layers]) {
        const s = await store.fetchBlob(fake.repo(repository), d);
        await new Response(s).arrayBuffer();
      }
    }
  }
  return fake.calls;
}

if (import.meta.main) {
  const [dir, maxBytes] = Deno.args;
  const fake = seededFake();
  const store = new CachingStore(fake, { dir, maxBytes: Number(maxBytes) });
  const calls = await fullRound(store, fake);
  await store.close();
  console.log(JSON.stringify(calls));
}
