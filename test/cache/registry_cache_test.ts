/**
 * The cache in front of a real registry (distribution 2.8): the warm
 * describe path makes no request at all (counted at the fetch), a second
 * process's store on the same directory is warm too, catalogs keep the
 * trailing-slash semantics, stale entries answer while the registry is
 * down, and a moved tag is picked up once it is back.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type CacheOptions, CachingStore } from "../../src/cache/mod.ts";
import { RegistryStore } from "../../src/registry/mod.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { seedArtifact } from "../harness/seed.ts";
import { Clock } from "./fake_store.ts";
import { readAll, StatusLog, tempDir } from "./helpers.ts";

const ignore = missing("docker-registry", "htpasswd", "openssl");
const AUTH_ENV = "KLAUS_OCI_TEST_REGISTRY_AUTH";
const PLUGIN_CONFIG = "application/vnd.giantswarm.klaus-plugin.config.v1+json";
const HOUR = 3_600_000;

function inner(reg: RegistryHandle, fetch: typeof globalThis.fetch) {
  return new RegistryStore({
    plainHttp: true,
    fetch,
    registryAuthEnv: AUTH_ENV,
    env: { [AUTH_ENV]: reg.dockerConfigBase64() },
    // a stopped registry refuses connections; no need to wait on retries
    retry: { maxRetries: 1, baseDelayMs: 10 },
  });
}

/** Go's Describe path: latest tag, manifest, config. */
async function describe(
  store: CachingStore,
  reg: RegistryHandle,
  repository: string,
  log: StatusLog,
) {
  const repo = { registry: reg.host, repository };
  const { tags } = await store.listTags(repo, log);
  const tag = tags.filter((t) => t.startsWith("v")).sort().at(-1)!;
  const m = await store.fetchManifest({ ...repo, tag }, log);
  const config = JSON.parse(new TextDecoder().decode(m.bytes))
    .config as Descriptor;
  const bytes = await readAll(await store.fetchBlob(repo, config, log));
  return {
    tag,
    digest: m.descriptor.digest,
    config: JSON.parse(new TextDecoder().decode(bytes)),
  };
}

for (const mode of ["open", "token"] as const) {
  Deno.test({
    name: `registry cache (${mode}): the warm describe path makes no request`,
    ignore,
    async fn() {
      const reg = await startRegistry({ mode });
      try {
        await using dir = await tempDir();
        for (const tag of ["v0.1.0", "v0.2.0"]) {
          await seedArtifact(reg, "klaus-plugins/base", [tag], {
            configMediaType: PLUGIN_CONFIG,
            configJson: { name: "base", tag },
          });
        }
        const counting = countingFetch();
        const clock = new Clock(Date.now());
        const options: CacheOptions = { dir: dir.path, now: clock.now };
        const cold = new CachingStore(inner(reg, counting.fetch), options);
        const log = new StatusLog();
        const first = await describe(cold, reg, "klaus-plugins/base", log);
        deepStrictEqual(first.config, { name: "base", tag: "v0.2.0" });
        deepStrictEqual(log.statuses, ["miss", "miss", "miss"]);
        // (token mode adds 401 challenges and token requests on top)
        const answered = (method: string, kind: string) =>
          counting.requests.filter((r) =>
            r.method === method && r.kind === kind && r.status === 200
          ).length;
        strictEqual(answered("GET", "tags"), 1);
        strictEqual(answered("GET", "manifest"), 1);
        strictEqual(
          counting.count({ method: "HEAD" }),
          0,
          "no HEAD before the GET",
        );
        strictEqual(answered("GET", "blob"), 1);
        await cold.close();

        // the same process, and a "second process" on the same directory
        for (const label of ["same store", "new store"]) {
          counting.reset();
          clock.advance(5_000);
          const store = label === "same store"
            ? cold
            : new CachingStore(inner(reg, counting.fetch), options);
          const warmLog = new StatusLog();
          const warm = await describe(
            store,
            reg,
            "klaus-plugins/base",
            warmLog,
          );
          deepStrictEqual(warm, first, label);
          strictEqual(counting.requests.length, 0, label);
          deepStrictEqual(warmLog.statuses, ["fresh", "fresh", "fresh"], label);
          await store.close();
        }
      } finally {
        await reg.stop();
      }
    },
  });
}

Deno.test({
  name: "registry cache: catalog with a sibling prefix, cached",
  ignore,
  async fn() {
    const reg = await startRegistry();
    try {
      for (
        const repo of [
          "klaus-plugins/a",
          "klaus-plugins/b",
          "klaus-plugins-extra/c",
        ]
      ) {
        await seedArtifact(reg, repo, ["v1.0.0"]);
      }
      const counting = countingFetch();
      const store = new CachingStore(inner(reg, counting.fetch));
      for (
        const base of [
          `${reg.host}/klaus-plugins`,
          `${reg.host}/klaus-plugins/`,
        ]
      ) {
        deepStrictEqual((await store.listRepositories(base)).sort(), [
          `${reg.host}/klaus-plugins/a`,
          `${reg.host}/klaus-plugins/b`,
        ]);
      }
      deepStrictEqual(
        await store.listRepositories(`${reg.host}/klaus-plugins-extra`),
        [
          `${reg.host}/klaus-plugins-extra/c`,
        ],
      );
      strictEqual(counting.count({ kind: "catalog" }), 2);
      await store.close();
    } finally {
      await reg.stop();
    }
  },
});

Deno.test({
  name:
    "registry cache: stale answers while the registry is down, a moved tag once it is back",
  ignore,
  async fn() {
    const reg = await startRegistry();
    try {
      await using dir = await tempDir();
      const v1 = await seedArtifact(reg, "klaus-plugins/base", ["v1.0.0"], {
        configMediaType: PLUGIN_CONFIG,
        configJson: { generation: 1 },
      });
      const clock = new Clock(Date.now());
      const counting = countingFetch();
      const background = new CachingStore(inner(reg, counting.fetch), {
        dir: dir.path,
        now: clock.now,
      });
      const foreground = new CachingStore(inner(reg, counting.fetch), {
        dir: dir.path,
        now: clock.now,
        backgroundRefresh: false,
      });
      const ref = {
        registry: reg.host,
        repository: "klaus-plugins/base",
        tag: "v1.0.0",
      };
      const log = new StatusLog();
      await describe(background, reg, "klaus-plugins/base", log);

      await reg.down();
      clock.advance(HOUR);
      // background refresh: the stale answer at once, the revalidation fails
      const stale = await describe(background, reg, "klaus-plugins/base", log);
      deepStrictEqual(stale.config, { generation: 1 });
      deepStrictEqual(log.statuses.slice(-3), ["stale", "stale", "fresh"]);
      await background.close();
      ok(
        counting.requests.some((r) => r.status === 0),
        "the registry was tried",
      );
      await describe(background, reg, "klaus-plugins/base", log);
      ok(log.details.at(-3)?.error, "the failed revalidation is reported");
      // revalidate-first: the registry is asked, fails, the stale entry answers
      counting.reset();
      const r = await foreground.resolve(ref, log);
      strictEqual(r.descriptor.digest, v1.digest);
      strictEqual(log.last, "stale");
      ok(log.lastDetail?.error);
      ok(counting.requests.length > 0);
      // past the stale TTL the failure surfaces
      clock.advance(24 * HOUR);
      await rejects(() => foreground.resolve(ref));

      await reg.up();
      const v2 = await seedArtifact(reg, "klaus-plugins/base", ["v1.0.0"], {
        configMediaType: PLUGIN_CONFIG,
        configJson: { generation: 2 },
      });
      const moved = await describe(foreground, reg, "klaus-plugins/base", log);
      strictEqual(moved.digest, v2.digest);
      deepStrictEqual(moved.config, { generation: 2 });
      await foreground.close();
    } finally {
      await reg.stop();
    }
  },
});
