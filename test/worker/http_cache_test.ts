import { deepStrictEqual, equal } from "node:assert/strict";
import { RequestScope } from "../../worker/cache/scope.ts";
import {
  cacheControl,
  cachingHeaders,
  etagFor,
  ifNoneMatchHits,
} from "../../worker/cache/http_cache.ts";
import { TrackedScheduler } from "../../src/cache/scheduler.ts";

const W = { freshTtlMs: 30_000, staleTtlMs: 86_400_000 };

Deno.test("Cache-Control follows the answer's freshness", () => {
  const table: [Parameters<typeof cacheControl>[0], string][] = [
    [
      { status: "miss" },
      "public, max-age=30, stale-while-revalidate=86400, stale-if-error=86400",
    ],
    [
      { status: "fresh", ageMs: 12_500 },
      "public, max-age=17, stale-while-revalidate=86400, stale-if-error=86400",
    ],
    [
      { status: "fresh", ageMs: 40_000 },
      "public, max-age=0, stale-while-revalidate=86400, stale-if-error=86400",
    ],
    [
      { status: "stale", ageMs: 40_000 },
      "public, max-age=0, stale-while-revalidate=86400, stale-if-error=86400",
    ],
  ];
  for (const [state, want] of table) equal(cacheControl(state, W), want);
});

Deno.test("caching headers: ETag, Age, X-Klaus-Cache, Warning", () => {
  deepStrictEqual(cachingHeaders('"e"', { status: "miss", ageMs: 5 }, W), {
    "ETag": '"e"',
    "Cache-Control":
      "public, max-age=30, stale-while-revalidate=86400, stale-if-error=86400",
    "X-Klaus-Cache": "miss",
  });
  const stale = cachingHeaders('"e"', {
    status: "stale",
    ageMs: 61_900,
    staleIfError: true,
  }, W);
  equal(stale["Age"], "61");
  equal(stale["Warning"], '111 - "Revalidation Failed"');
  const d = `sha256:${"b".repeat(64)}`;
  equal(etagFor("{}", d), `"${d}"`);
  equal(etagFor("{}"), etagFor("{}"));
  equal(etagFor("{}") === etagFor("[]"), false);
});

Deno.test("If-None-Match matching", () => {
  const table: [string | undefined, boolean][] = [
    [undefined, false],
    ['"a"', true],
    ['W/"a"', true],
    ['"b", "a"', true],
    ["*", true],
    ['"b"', false],
    ['"a', false],
  ];
  for (const [h, want] of table) {
    equal(ifNoneMatchHits(h, '"a"'), want, String(h));
  }
});

Deno.test("RequestScope keeps the least fresh status and its age", () => {
  const s = new RequestScope(new TrackedScheduler());
  equal(s.status, "miss");
  s.report("fresh", { entry: "content", key: "d" });
  s.report("fresh", { entry: "tags", key: "t", ageMs: 4000 });
  equal(s.status, "fresh");
  equal(s.ageMs, 4000);
  s.report("stale", { entry: "refs", key: "r", ageMs: 40_000 });
  s.report("fresh", { entry: "content", key: "c", ageMs: 1 });
  equal(s.status, "stale");
  equal(s.ageMs, 40_000);
  equal(s.staleIfError, false);
  s.report("stale", {
    entry: "refs",
    key: "r2",
    ageMs: 50_000,
    error: new Error("down"),
  });
  equal(s.ageMs, 50_000);
  equal(s.staleIfError, true);
  s.report("miss", { entry: "refs", key: "r3" });
  equal(s.status, "miss");
  equal(s.ageMs, undefined);
});
