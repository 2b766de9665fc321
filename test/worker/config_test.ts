import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  configFromEnv,
  hasRegistryConfig,
  parseBool,
} from "../../worker/config.ts";
import { checkName, checkVersion } from "../../worker/validate.ts";
import { ApiError } from "../../worker/errors.ts";

const read = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("configFromEnv: defaults are the Giant Swarm bases", () => {
  const c = configFromEnv(read({}));
  deepStrictEqual(c.registries, {
    plugin: "gsoci.azurecr.io/giantswarm/klaus-plugins",
    personality: "gsoci.azurecr.io/giantswarm/klaus-personalities",
    toolchain: "gsoci.azurecr.io/giantswarm/klaus-toolchains",
  });
  equal(c.plainHttp, false);
  equal(c.freshTtlMs, 30_000);
  equal(c.staleTtlMs, 86_400_000);
  equal(hasRegistryConfig(read({})), false);
});

Deno.test("configFromEnv: KLAUS_REGISTRY and per-kind overrides", () => {
  const c = configFromEnv(read({
    KLAUS_REGISTRY: "localhost:5000/org/",
    TOOLCHAIN_REGISTRY: "other.test/tc",
    PLAIN_HTTP: "TRUE",
    CACHE_FRESH_TTL_SECONDS: "1.5",
    CACHE_STALE_TTL_SECONDS: "60",
  }));
  deepStrictEqual(c.registries, {
    plugin: "localhost:5000/org/klaus-plugins",
    personality: "localhost:5000/org/klaus-personalities",
    toolchain: "other.test/tc",
  });
  equal(c.plainHttp, true);
  equal(c.freshTtlMs, 1500);
  equal(c.staleTtlMs, 60_000);
  equal(hasRegistryConfig(read({ PLUGIN_REGISTRY: "x.test/p" })), true);
  equal(hasRegistryConfig(read({ KLAUS_REGISTRY: "  " })), false);
  throws(() => configFromEnv(read({ CACHE_FRESH_TTL_SECONDS: "soon" })));
  for (
    const [v, want] of [
      ["1", true],
      ["yes", true],
      ["on", true],
      ["0", false],
      ["", false],
    ] as const
  ) {
    equal(parseBool(v), want, v);
  }
});

Deno.test("checkName accepts one OCI path component only", () => {
  for (const ok of ["gs-base", "a", "a.b", "a_b", "a__b", "a---b", "0x"]) {
    equal(checkName(ok), ok);
  }
  for (
    const bad of [
      "",
      "A",
      "a/b",
      "../a",
      "a b",
      "-a",
      "a-",
      "a..b",
      "a@b",
      "a:b",
      "x".repeat(256),
    ]
  ) {
    throws(
      () => checkName(bad),
      (e) => e instanceof ApiError && e.status === 400,
      bad,
    );
  }
});

Deno.test("checkVersion accepts a tag or a digest", () => {
  equal(checkVersion(undefined), undefined);
  equal(checkVersion([""]), undefined);
  equal(checkVersion(["v1.2.3"]), "v1.2.3");
  equal(checkVersion(["1.0.0_rc-1"]), "1.0.0_rc-1");
  const d = `sha256:${"a".repeat(64)}`;
  equal(checkVersion([d]), d);
  for (
    const bad of [["a", "b"], [".x"], ["v1/.."], ["sha256:abc"], [" v1"], [
      "v".repeat(129),
    ]]
  ) {
    throws(
      () => checkVersion(bad),
      (e) => e instanceof ApiError && e.status === 400,
      bad.join(),
    );
  }
});
