import {
  deepStrictEqual,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  catalogBasesOf,
  catalogCacheKey,
  isStaleIfErrorEligible,
  refCacheKey,
  Singleflight,
  tagsCacheKey,
  TrackedScheduler,
  worstCacheStatus,
} from "../../src/cache/mod.ts";
import {
  DeniedError,
  DigestMismatchError,
  InvalidReferenceError,
  NotFoundError,
  RegistryError,
  UnauthorizedError,
} from "../../src/errors.ts";

Deno.test("singleflight: one run per key at a time, errors shared", async () => {
  const f = new Singleflight();
  let runs = 0;
  const slow = (v: number) => () => {
    runs++;
    return new Promise<number>((r) => setTimeout(() => r(v), 5));
  };
  const results = await Promise.all([
    f.do("a", slow(1)),
    f.do("a", slow(2)),
    f.do("b", slow(3)),
  ]);
  deepStrictEqual(results, [1, 1, 3]);
  strictEqual(runs, 2);
  strictEqual(f.has("a"), false);
  const boom = () => Promise.reject(new Error("boom"));
  await Promise.all([
    rejects(f.do("c", boom), /boom/),
    rejects(f.do("c", boom), /boom/),
  ]);
  // after settling, the next call runs again
  strictEqual(await f.do("a", () => Promise.resolve(9)), 9);
});

Deno.test("singleflight: the work is aborted only when every caller gave up", async () => {
  const f = new Singleflight();
  let aborted = false;
  const work = (signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => resolve(1), 50);
      signal.addEventListener("abort", () => {
        aborted = true;
        clearTimeout(t);
        reject(signal.reason);
      });
    });
  const a = new AbortController();
  const b = new AbortController();
  const pa = f.do("k", work, a.signal);
  const pb = f.do("k", work, b.signal);
  a.abort(new Error("a gave up"));
  await rejects(pa, /a gave up/);
  strictEqual(aborted, false);
  b.abort(new Error("b gave up"));
  await rejects(pb, /b gave up/);
  strictEqual(aborted, true);
  await rejects(
    f.do("x", work, AbortSignal.abort(new Error("already"))),
    /already/,
  );
});

Deno.test("scheduler: drain waits for work scheduled meanwhile", async () => {
  const s = new TrackedScheduler();
  const order: string[] = [];
  s.schedule(
    new Promise<void>((r) =>
      setTimeout(() => {
        order.push("first");
        s.schedule(
          new Promise<void>((r2) =>
            setTimeout(() => (order.push("second"), r2()), 5)
          ),
        );
        r();
      }, 5)
    ),
  );
  s.schedule(Promise.reject(new Error("ignored")));
  await s.drain();
  deepStrictEqual(order, ["first", "second"]);
  strictEqual(s.size, 0);
});

Deno.test("keys: Go's ref and tag keys, catalog keys with one trailing slash", () => {
  const repo = {
    registry: "localhost:5000",
    repository: "giantswarm/klaus-plugins/base",
  };
  strictEqual(
    tagsCacheKey(repo),
    "localhost:5000/giantswarm/klaus-plugins/base",
  );
  strictEqual(
    refCacheKey({ ...repo, tag: "v1.0.0" }),
    "localhost:5000/giantswarm/klaus-plugins/base:v1.0.0",
  );
  for (
    const base of [
      "localhost:5000/giantswarm/klaus-plugins",
      "localhost:5000/giantswarm/klaus-plugins/",
      "localhost:5000/giantswarm/klaus-plugins//",
    ]
  ) {
    strictEqual(
      catalogCacheKey(base),
      "localhost:5000/giantswarm/klaus-plugins/",
    );
  }
  strictEqual(catalogCacheKey("localhost:5000"), "localhost:5000/");
  strictEqual(
    tagsCacheKey({ registry: "ocidir://", repository: "rel/store" }),
    `ocidir://${Deno.cwd()}/rel/store`,
  );
  strictEqual(
    tagsCacheKey({ registry: "ocidir://", repository: "/abs/store" }),
    "ocidir:///abs/store",
  );
  strictEqual(catalogCacheKey("ocidir:///abs/root"), "ocidir:///abs/root/");
  throws(() => refCacheKey(repo), InvalidReferenceError);
  deepStrictEqual(catalogBasesOf(repo), [
    "localhost:5000",
    "localhost:5000/giantswarm",
    "localhost:5000/giantswarm/klaus-plugins",
  ]);
  deepStrictEqual(catalogBasesOf({ registry: "h", repository: "r" }), ["h"]);
  deepStrictEqual(
    catalogBasesOf({ registry: "ocidir://", repository: "/srv/layouts/base" }),
    ["ocidir:///srv/layouts", "ocidir:///srv", "ocidir:///"],
  );
});

Deno.test("stale-if-error: which failures a stale entry may stand in for", () => {
  const table: [unknown, boolean][] = [
    [new RegistryError("503", { status: 503 }), true],
    [new RegistryError("500", { status: 500 }), true],
    [new RegistryError("429", { status: 429 }), true],
    [new RegistryError("retries spent"), true],
    [new TypeError("connection refused"), true],
    [new DOMException("timed out", "TimeoutError"), true],
    [new RegistryError("404", { status: 404 }), false],
    [new RegistryError("401", { status: 401 }), false],
    [new RegistryError("403", { status: 403 }), false],
    [new NotFoundError("gone"), false],
    [new UnauthorizedError("no"), false],
    [new DeniedError("no"), false],
    [new DigestMismatchError("bad"), false],
    [new DOMException("aborted", "AbortError"), false],
    [new Error("other"), false],
  ];
  for (const [e, want] of table) {
    strictEqual(isStaleIfErrorEligible(e), want, String(e));
  }
});

Deno.test("worstCacheStatus orders miss > stale > fresh", () => {
  strictEqual(worstCacheStatus("fresh", "fresh"), "fresh");
  strictEqual(worstCacheStatus("stale", "fresh"), "stale");
  strictEqual(worstCacheStatus("fresh", "miss"), "miss");
  strictEqual(worstCacheStatus("miss", "stale"), "miss");
});
