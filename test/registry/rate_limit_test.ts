import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { RegistryError } from "../../src/errors.ts";
import { parseRateLimit } from "../../src/registry/rate_limit.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { startFaultyRegistry } from "../harness/faulty_registry.ts";

const NOW = Date.parse("2026-12-06T00:00:00Z");

const CASES: [string, Record<string, string>, unknown][] = [
  [
    "Docker Hub",
    { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" },
    { limit: 100, windowSeconds: 21600, remaining: 0 },
  ],
  [
    "IETF draft fields",
    {
      "ratelimit-limit": "10",
      "ratelimit-remaining": "0",
      "ratelimit-reset": "30",
    },
    { limit: 10, remaining: 0, resetSeconds: 30 },
  ],
  [
    "combined field",
    { ratelimit: "limit=10, remaining=0, reset=7" },
    { limit: 10, remaining: 0, resetSeconds: 7 },
  ],
  [
    "GitHub style, reset as a Unix time",
    {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(NOW / 1000 + 600),
    },
    { limit: 5000, remaining: 0, resetSeconds: 600 },
  ],
  ["Retry-After only", { "retry-after": "120" }, { resetSeconds: 120 }],
  ["nothing", {}, undefined],
];

for (const [name, headers, want] of CASES) {
  Deno.test(`parseRateLimit: ${name}`, () => {
    deepStrictEqual(parseRateLimit(new Headers(headers), NOW), want);
  });
}

Deno.test("429: retried after Retry-After within the budget, then succeeds", async () => {
  const reg = startFaultyRegistry();
  try {
    reg.addManifest("org/a", "v1", new TextEncoder().encode("{}"), "x");
    let n = 0;
    reg.fault(() =>
      ++n <= 2
        ? new Response(null, { status: 429, headers: { "retry-after": "0" } })
        : undefined
    );
    const store = new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
    });
    const r = await store.listTags({ registry: reg.host, repository: "org/a" });
    deepStrictEqual(r.tags, ["v1"]);
    strictEqual(reg.requests.length, 3);
  } finally {
    await reg.close();
  }
});

Deno.test("429: when giving up, the error names the limit and when it resets", async () => {
  const reg = startFaultyRegistry();
  try {
    reg.fault(() =>
      new Response(
        '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}',
        {
          status: 429,
          headers: {
            "retry-after": "3600",
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "0;w=21600",
          },
        },
      )
    );
    const store = new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
      retry: { maxElapsedMs: 1_000 },
    });
    const started = Date.now();
    await rejects(
      store.listTags({ registry: reg.host, repository: "org/a" }),
      (e: unknown) =>
        e instanceof RegistryError && e.status === 429 &&
        /rate limit 100 requests per 21600 s, 0 remaining, resets in 3600 s/
          .test(e.message),
    );
    // A wait past the budget (an hour) is not started.
    ok(Date.now() - started < 10_000);
    strictEqual(reg.requests.length, 1);
  } finally {
    await reg.close();
  }
});
