/**
 * Edge caching inside workerd, against the real registry and a real KV
 * namespace: miss → fresh → stale → fresh, stale-if-error while the
 * registry is stopped, coalescing of identical in-flight requests, and at
 * most one KV write per key per second. The suite's config sets a 1 s fresh
 * and a 6 s stale window.
 */
import {
  createExecutionContext,
  env,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorkerApp, type Env } from "../../worker/index.ts";
import {
  outboundLog,
  registry,
  resetOutboundLog,
  retag,
  sleep,
  testEnv,
} from "./workerd_helpers.ts";

const t = testEnv(env);
const FRESH_MS = 1000;
const STALE_MS = 6000;

const get = (path: string, init?: RequestInit) =>
  SELF.fetch(`https://klaus.example${path}`, init);

async function until<T>(
  what: string,
  ms: number,
  fn: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function maxAge(res: Response): number {
  return Number(
    /max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1],
  );
}

describe("edge cache in workerd", () => {
  afterAll(async () => {
    await registry(t, "up");
  });

  it("goes miss → fresh → stale → fresh, revalidating in the background", async () => {
    // A tag of its own, so nothing that ran before has cached it.
    await retag(t, "klaus-plugins/churn", "v0.0.1", "v0.0.1-swr");
    const path = "/v1/plugins/churn?version=v0.0.1-swr";
    await resetOutboundLog();
    const miss = await get(path);
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-klaus-cache")).toBe("miss");
    expect(maxAge(miss)).toBe(FRESH_MS / 1000);
    expect(miss.headers.get("age")).toBeNull();
    const etag = miss.headers.get("etag");
    expect(etag).toBe(`"${t.pushed["plugin/churn:v0.0.1"]}"`);
    const body = await miss.text();
    const upstream = (await outboundLog()).length;
    expect(upstream).toBeGreaterThan(0);

    const fresh = await get(path);
    expect(fresh.headers.get("x-klaus-cache")).toBe("fresh");
    expect(fresh.headers.get("etag")).toBe(etag);
    expect(fresh.headers.get("age")).toBe("0");
    expect(maxAge(fresh)).toBeLessThanOrEqual(FRESH_MS / 1000);
    expect(await fresh.text()).toBe(body);
    expect((await outboundLog()).length).toBe(upstream); // no registry request

    await sleep(FRESH_MS + 200);
    const stale = await get(path);
    expect(stale.headers.get("x-klaus-cache")).toBe("stale");
    expect(maxAge(stale)).toBe(0);
    expect(Number(stale.headers.get("age"))).toBeGreaterThanOrEqual(1);
    expect(stale.headers.get("cache-control")).toContain(
      `stale-while-revalidate=${STALE_MS / 1000}`,
    );
    expect(await stale.text()).toBe(body);
    // The answer did not wait for the registry; the revalidation follows.
    const probe = await until("revalidation request", 5000, async () => {
      const log = await outboundLog();
      return log.length > upstream ? log.slice(upstream) : undefined;
    });
    expect(
      probe.every((e) => e.url.includes("/klaus-plugins/churn/manifests/")),
    ).toBe(true);
    const again = await until("fresh again", 5000, async () => {
      const r = await get(path);
      await r.body?.cancel();
      return r.headers.get("x-klaus-cache") === "fresh" ? r : undefined;
    });
    expect(again.headers.get("etag")).toBe(etag);
  });

  it("serves stale entries while the registry is stopped, then fails past the stale window", async () => {
    await retag(t, "klaus-plugins/churn", "v0.0.1", "v0.0.1-sie");
    const path = "/v1/plugins/churn?version=v0.0.1-sie";
    const primed = await get(path);
    expect(primed.status).toBe(200);
    expect(primed.headers.get("x-klaus-cache")).toBe("miss");
    const etag = primed.headers.get("etag");
    const body = await primed.text();
    const primedAt = Date.now();
    await registry(t, "down");
    try {
      await sleep(FRESH_MS + 200);
      const stale = await get(path);
      expect(stale.status).toBe(200);
      expect(stale.headers.get("x-klaus-cache")).toBe("stale");
      expect(stale.headers.get("etag")).toBe(etag);
      expect(await stale.text()).toBe(body);
      // Once the background revalidation has failed, answers say so.
      const warned = await until(
        "stale-if-error warning",
        STALE_MS - 2000,
        async () => {
          const r = await get(path);
          await r.body?.cancel();
          return r.headers.get("warning") ? r : undefined;
        },
      );
      expect(warned.status).toBe(200);
      expect(warned.headers.get("x-klaus-cache")).toBe("stale");
      expect(warned.headers.get("warning")).toMatch(/^111 /);
      // Past the stale window the entry is no longer served.
      await sleep(
        Math.max(0, primedAt + FRESH_MS + STALE_MS + 300 - Date.now()),
      );
      const gone = await get(path);
      expect([502, 504]).toContain(gone.status);
      const err = await gone.json() as {
        error: { code: string; message: string };
      };
      expect(err.error.code).toMatch(/^registry_/);
      expect(gone.headers.get("cache-control")).toBe("no-store");
      for (const s of t.secrets) expect(err.error.message).not.toContain(s);
      // A name never cached fails the same way, at once.
      const cold = await get("/v1/plugins/example-kubernetes/versions");
      expect([502, 504]).toContain(cold.status);
      await cold.body?.cancel();
    } finally {
      await registry(t, "up");
    }
    const back = await get(path);
    expect(back.status).toBe(200);
    expect(back.headers.get("etag")).toBe(etag);
    await back.body?.cancel();
  });

  it("coalesces identical concurrent requests into one registry request", async () => {
    await retag(t, "klaus-plugins/churn", "v0.0.1", "v0.0.1-co");
    const path = "/v1/plugins/churn?version=v0.0.1-co";
    await resetOutboundLog();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => get(path)),
    );
    const digests = new Set<string>();
    for (const r of answers) {
      expect(r.status).toBe(200);
      digests.add(((await r.json()) as { digest: string }).digest);
    }
    expect([...digests]).toEqual([t.pushed["plugin/churn:v0.0.1"]]);
    const manifestRequests = (await outboundLog()).filter((e) =>
      e.url.includes("/klaus-plugins/churn/manifests/v0.0.1-co")
    );
    expect(manifestRequests.length).toBe(1);
  });

  it("writes a KV key at most once per second", async () => {
    const writes = new Map<string, number[]>();
    const kv = env.KLAUS_CACHE as unknown as NonNullable<Env["KLAUS_CACHE"]>;
    const counting: NonNullable<Env["KLAUS_CACHE"]> = {
      get: kv.get.bind(kv) as typeof kv.get,
      getWithMetadata: kv.getWithMetadata.bind(kv),
      delete: kv.delete.bind(kv),
      put(key, value, options) {
        writes.set(key, [...(writes.get(key) ?? []), Date.now()]);
        return kv.put(key, value, options);
      },
    };
    // Everything is stale at once: each request revalidates in the background.
    const app = buildWorkerApp({
      ...(env as unknown as Env),
      KLAUS_CACHE: counting,
      CACHE_FRESH_TTL_SECONDS: "0.001",
    });
    const path = "/v1/plugins/churn/versions";
    const started = Date.now();
    let requests = 0;
    let last: string[] = [];
    // The tag list changes before every request, so every revalidation
    // has something new to store.
    while (Date.now() - started < 3000) {
      await retag(t, "klaus-plugins/churn", "v0.0.1", `v0.1.${requests}`);
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`https://klaus.example${path}`),
        env,
        ctx,
      );
      expect(res.status).toBe(200);
      last = ((await res.json()) as { versions: string[] }).versions;
      await waitOnExecutionContext(ctx);
      requests++;
    }
    // Revalidations did land: the answers kept up with the registry.
    expect(last.length).toBeGreaterThan(2);
    expect(requests).toBeGreaterThan(5);
    // Keys are hashed; this route only reads the tag list of churn.
    const tagWrites = [...writes].filter(([k]) => k.includes("/tags/"));
    expect(tagWrites.length).toBeGreaterThan(0);
    // Rewritten as the tags changed, but never twice within a second.
    expect(Math.max(...tagWrites.map(([, v]) => v.length)))
      .toBeGreaterThanOrEqual(2);
    for (const [key, times] of writes) {
      for (let i = 1; i < times.length; i++) {
        expect(times[i] - times[i - 1], `${key} written twice within a second`)
          .toBeGreaterThanOrEqual(1000);
      }
    }
  });
});
