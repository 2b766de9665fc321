import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { readPluginFromDir } from "../src/artifact/read_plugin.ts";
import { MemoryCacheBackend } from "../src/cache/memory_backend.ts";
import type { BackgroundScheduler } from "../src/cache/scheduler.ts";
import { TrackedScheduler } from "../src/cache/scheduler.ts";
import type { CacheStatus } from "../src/cache/status.ts";
import { Client } from "../src/client.ts";
import { InvalidReferenceError } from "../src/errors.ts";
import type { OciStore } from "../src/oci/store.ts";
import type { Reference } from "../src/ref/reference_type.ts";
import { TimeoutError } from "../src/registry/timeout_error.ts";
import { countingFetch } from "./harness/counting_fetch.ts";
import { hang, startServer } from "./harness/faulty_registry.ts";
import { startRegistry } from "./harness/registry.ts";
import { missing } from "./harness/require.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** A scheduler that counts what it is given and runs it tracked. */
class CountingScheduler implements BackgroundScheduler {
  scheduled = 0;
  #inner = new TrackedScheduler();
  schedule(work: Promise<unknown>): void {
    this.scheduled++;
    this.#inner.schedule(work);
  }
  drain(): Promise<void> {
    return this.#inner.drain();
  }
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined; e = (e as Error).cause) out.push(e);
  return out;
}

Deno.test({
  name: "Client.withCallOptions: views report cache status and share one stack",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const ref = reg.ref("plugins/base", "v0.1.0");
    try {
      const pusher = new Client({ plainHttp: true });
      const dir = `${FIXTURES}plugins/base`;
      const pushed = await pusher.pushPlugin(
        dir,
        ref,
        await readPluginFromDir(dir),
      );
      await pusher.close();

      await t.step("cold is a miss, warm is fresh", async () => {
        const counted = countingFetch();
        const client = new Client({
          plainHttp: true,
          fetch: counted.fetch,
          cache: { store: new MemoryCacheBackend() },
        });
        try {
          const cold: CacheStatus[] = [];
          const d1 = await client
            .withCallOptions({ onCacheStatus: (s) => cold.push(s) })
            .describePlugin(ref);
          strictEqual(d1.digest, pushed.digest);
          ok(cold.includes("miss"), `cold: ${cold}`);
          const asked = counted.count();
          ok(asked > 0);

          // Another view of the same client: the cache it filled is shared.
          const warm: CacheStatus[] = [];
          const d2 = await client
            .withCallOptions({ onCacheStatus: (s) => warm.push(s) })
            .describePlugin(ref);
          deepStrictEqual(d2, d1);
          ok(warm.length > 0, "the warm view reported nothing");
          deepStrictEqual(warm.filter((s) => s !== "fresh"), [], `${warm}`);
          strictEqual(counted.count(), asked, "a warm answer asked the net");

          // The client itself still answers, and views hear only their own calls.
          const heard = [cold.length, warm.length];
          deepStrictEqual(await client.listPluginVersions(ref), ["v0.1.0"]);
          deepStrictEqual([cold.length, warm.length], heard);
          const versions: CacheStatus[] = [];
          await client
            .withCallOptions({ onCacheStatus: (s) => versions.push(s) })
            .listPluginVersions(ref);
          deepStrictEqual(versions, ["fresh"]);
        } finally {
          await client.close();
        }
      });

      await t.step(
        "background revalidation goes to the view's scheduler",
        async () => {
          const client = new Client({
            plainHttp: true,
            cache: { store: new MemoryCacheBackend(), freshTtlMs: 0 },
          });
          const scheduler = new CountingScheduler();
          try {
            await client.describePlugin(ref);
            const statuses: CacheStatus[] = [];
            // A view of a view keeps the parent's scheduler and adds a callback.
            const view = client
              .withCallOptions({ scheduler })
              .withCallOptions({ onCacheStatus: (s) => statuses.push(s) });
            const d = await view.describePlugin(ref);
            strictEqual(d.digest, pushed.digest);
            ok(statuses.includes("stale"), `${statuses}`);
            ok(scheduler.scheduled > 0, "revalidation was not scheduled");
            await scheduler.drain();
          } finally {
            await client.close();
          }
        },
      );
    } finally {
      await reg.stop();
    }
  },
});

Deno.test("Client: timeoutMs and retry reach the registry client", async () => {
  // A fault a real registry does not produce on demand: accept, never answer.
  const s = startServer((req) => hang(req, s.closed));
  const client = new Client({
    plainHttp: true,
    timeoutMs: 100,
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
  });
  try {
    const started = Date.now();
    await rejects(client.resolve(`${s.host}/p/x:v1`), (e: unknown) => {
      const timeout = causes(e).find((c) => c instanceof TimeoutError);
      ok(timeout instanceof TimeoutError, String(e));
      strictEqual(timeout.timeoutMs, 100);
      return true;
    });
    strictEqual(s.requests.length, 2, "one attempt and one retry");
    ok(Date.now() - started < 5_000);
  } finally {
    await client.close();
    await s.close();
  }
});

Deno.test("Client: ocidir:// addresses go to the layout option", async () => {
  const seen: Reference[] = [];
  const refuse = (): Promise<never> =>
    Promise.reject(new InvalidReferenceError("no layouts here"));
  const layout: OciStore = {
    resolve: (ref) => {
      seen.push(ref);
      return Promise.reject(new InvalidReferenceError("no layouts here"));
    },
    fetchManifest: refuse,
    fetchBlob: refuse,
    blobExists: refuse,
    pushBlob: refuse,
    pushBlobStream: refuse,
    listReferrers: refuse,
    pushManifest: refuse,
    listTags: refuse,
    listRepositories: refuse,
  };
  const client = new Client({ layout });
  await rejects(
    client.withCallOptions({}).resolve("ocidir:///nowhere/store:v1"),
    InvalidReferenceError,
  );
  strictEqual(seen.length, 1);
  strictEqual(seen[0].tag, "v1");
  await client.close();
});
