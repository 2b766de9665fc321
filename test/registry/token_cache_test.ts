import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { TokenCache } from "../../src/registry/token_cache.ts";
import {
  CATALOG_SCOPE,
  normalizeScopes,
  repositoryScope,
} from "../../src/registry/scope.ts";

Deno.test("scopes: repository and catalog scopes", () => {
  strictEqual(repositoryScope("org/a"), "repository:org/a:pull");
  strictEqual(repositoryScope("org/a", true), "repository:org/a:pull,push");
  strictEqual(CATALOG_SCOPE, "registry:catalog:*");
});

Deno.test("scopes: normalized set (merged actions, sorted, deduplicated)", () => {
  const cases: [string[], string[]][] = [
    [["repository:b:pull", "repository:a:pull"], [
      "repository:a:pull",
      "repository:b:pull",
    ]],
    [["repository:a:push", "repository:a:pull", "repository:a:pull"], [
      "repository:a:pull,push",
    ]],
    [["repository:a:pull repository:a:*"], ["repository:a:*"]],
    [["registry:catalog:*", ""], ["registry:catalog:*"]],
    // A port in the name does not confuse the split at the last colon.
    [["repository:host:5000/a:pull"], ["repository:host:5000/a:pull"]],
  ];
  for (const [input, want] of cases) {
    deepStrictEqual(normalizeScopes(input), want, input.join(" "));
  }
});

Deno.test("token cache: keyed by host and scope set, in any order", () => {
  const c = new TokenCache();
  c.set("h", ["repository:a:pull", "repository:b:pull"], "t1", 300);
  strictEqual(c.get("h", ["repository:b:pull", "repository:a:pull"]), "t1");
  strictEqual(
    c.get("h", ["repository:a:pull", "repository:c:pull"]),
    undefined,
  );
  strictEqual(
    c.get("other", ["repository:a:pull", "repository:b:pull"]),
    undefined,
  );
  c.delete("h", ["repository:a:pull", "repository:b:pull"]);
  strictEqual(
    c.get("h", ["repository:a:pull", "repository:b:pull"]),
    undefined,
  );
});

Deno.test("token cache: expiry from expires_in minus skew; default 60 s", () => {
  let now = 0;
  const c = new TokenCache({ now: () => now, skewMs: 10_000 });
  c.set("h", ["s"], "long", 300);
  c.set("h", ["d"], "default");
  c.set("h", ["short"], "short", 4);
  now = 1_999;
  strictEqual(c.get("h", ["short"]), "short");
  now = 2_000; // 4 s lifetime, skew capped at half of it
  strictEqual(c.get("h", ["short"]), undefined);
  now = 49_999;
  strictEqual(c.get("h", ["d"]), "default");
  now = 50_000;
  strictEqual(c.get("h", ["d"]), undefined);
  now = 289_999;
  strictEqual(c.get("h", ["s"]), "long");
  now = 290_000;
  strictEqual(c.get("h", ["s"]), undefined);
});

Deno.test("token cache: a wider token serves narrower requests", () => {
  const c = new TokenCache();
  c.set("h", ["repository:a:pull,push"], "push-token", 300);
  strictEqual(c.get("h", ["repository:a:pull"]), "push-token");
  strictEqual(c.get("h", ["repository:a:push"]), "push-token");
  strictEqual(c.get("h", ["repository:b:pull"]), undefined);
  strictEqual(c.get("other", ["repository:a:pull"]), undefined);
  c.set("h", ["repository:x:*"], "star", 300);
  strictEqual(c.get("h", ["repository:x:pull,push"]), "star");
  // A narrower token never serves a wider request.
  c.set("h", ["repository:r:pull"], "pull-only", 300);
  strictEqual(c.get("h", ["repository:r:pull,push"]), undefined);
  // Refusal of a token forgets it for every request it served.
  c.delete("h", ["repository:a:pull"]);
  strictEqual(c.get("h", ["repository:a:pull,push"]), undefined);
});
