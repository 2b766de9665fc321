/**
 * The whole round trip through the public `Client`, on both registry
 * implementations (`registries.ts`): push the fixtures and a plugin with a
 * 30 MiB incompressible layer, list under a registry base, versions and
 * latest among 130 semver tags (more than one page of our n=100 and the peer's default 50), describe a
 * personality whose dependencies live on the same registry, pull identical
 * trees, count the requests of an up-to-date pull (1) and of an unchanged
 * push (3), read everything back with skopeo, and serve it through the
 * edge API (`worker/deno_main.ts`).
 *
 * Credentials come from a Docker config file (`DOCKER_CONFIG`) for the
 * client and from `REGISTRY_AUTH` for the edge API, as a user would set
 * them. Each step is independent where it can be; one that needs what an
 * earlier step made says so when that step failed.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  Client,
  type ClientOptions,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../../src/mod.ts";
import { startServer } from "../../worker/deno_main.ts";
import { contentTree, fixture, writeTree } from "../artifact/fixtures_ops.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import type { RegistryHandle } from "../harness/registry.ts";
import { seedIndex, sha256 } from "../harness/seed.ts";
import { inspectRaw } from "../harness/skopeo.ts";
import { interopRegistries, type InteropRegistry } from "./registries.ts";

const BASE = fixture("plugins/base");
const SRE = fixture("personalities/sre");
const MiB = 1024 * 1024;
const BIG_BYTES = 30 * MiB;
/** v0.130.0 … v0.1.0: the order versions must come in. */
const SEMVER_TAGS = Array.from({ length: 130 }, (_, i) => `v0.${130 - i}.0`);
const MT = {
  pluginConfig: "application/vnd.giantswarm.klaus-plugin.config.v1+json",
  pluginContent: "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
  personalityConfig:
    "application/vnd.giantswarm.klaus-personality.config.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
} as const;

/** `bytes` of incompressible (random) data. */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  // getRandomValues fills at most 64 KiB per call.
  for (let off = 0; off < size; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(off + 65536, size)));
  }
  return out;
}

/** What earlier steps produced; `need` fails clearly when one is missing. */
class Made {
  #values = new Map<string, string>();
  set(what: string, value: string): void {
    this.#values.set(what, value);
  }
  need(what: string): string {
    const v = this.#values.get(what);
    if (v === undefined) {
      throw new Error(`needs ${what}, which an earlier step failed to make`);
    }
    return v;
  }
}

async function roundTrip(
  target: InteropRegistry,
  t: Deno.TestContext,
): Promise<void> {
  const started = performance.now();
  await using reg: RegistryHandle = await target.start();
  const tmp = await Deno.makeTempDir({ prefix: "klaus-interop-" });
  const counter = countingFetch();
  const registryRequests = () =>
    counter.requests.filter((r) => new URL(r.url).host === reg.host);
  const configDir = join(tmp, "docker");
  await Deno.mkdir(configDir);
  await reg.writeDockerConfig(configDir);
  const plugins = `${reg.host}/giantswarm/klaus-plugins`;
  const personalities = `${reg.host}/giantswarm/klaus-personalities`;
  const toolchains = `${reg.host}/giantswarm/klaus-toolchains`;
  const options: ClientOptions = {
    plainHttp: true,
    // Only the Docker config file: nothing from the developer's HOME.
    env: { DOCKER_CONFIG: configDir },
    fetch: counter.fetch,
    registries: {
      plugin: plugins,
      personality: personalities,
      toolchain: toolchains,
    },
  };
  const client = new Client(options);
  const made = new Made();
  const baseRef = `${plugins}/base:v0.1.0`;
  const sreRef = `${personalities}/sre:v1.0.0`;
  const bigRef = `${plugins}/big:v1.0.0`;
  const depsRef = `${personalities}/with-deps:v1.0.0`;
  const basePlugin = await readPluginFromDir(BASE);
  const sre = await readPersonalityFromDir(SRE);
  const bigSrc = join(tmp, "src-big");
  const semverSrc = join(tmp, "src-semver");
  const depsSrc = join(tmp, "src-with-deps");

  try {
    await t.step("push the plugin and personality fixtures", async () => {
      made.set(
        "base",
        (await client.pushPlugin(BASE, baseRef, basePlugin)).digest,
      );
      made.set("sre", (await client.pushPersonality(SRE, sreRef, sre)).digest);
    });

    await t.step(
      "push a plugin with a 30 MiB incompressible layer and pull it back identical",
      async () => {
        await writeTree(bigSrc, {
          ".claude-plugin/plugin.json": JSON.stringify({
            name: "big",
            description: "30 MiB of random bytes",
          }),
          "commands/big.md": "# big\n",
          "data/random.bin": randomBytes(BIG_BYTES),
        });
        const plugin = await readPluginFromDir(bigSrc);
        const { digest } = await client.pushPlugin(bigSrc, bigRef, plugin);
        made.set("big", digest);
        const manifest = JSON.parse(
          new TextDecoder().decode(
            await inspectRaw(bigRef, { registry: reg }),
          ),
        );
        ok(
          manifest.layers[0].size >= BIG_BYTES,
          `layer of ${
            manifest.layers[0].size
          } bytes: random data does not compress`,
        );
        const pulled = await client.pullPlugin(bigRef, join(tmp, "big"));
        strictEqual(pulled.digest, digest);
        deepStrictEqual(
          await contentTree(join(tmp, "big")),
          await contentTree(bigSrc),
        );
      },
    );

    await t.step("tag one artifact 130 times (v0.1.0 … v0.130.0)", async () => {
      await writeTree(semverSrc, {
        ".claude-plugin/plugin.json": JSON.stringify({ name: "semver" }),
        "commands/semver.md": "# semver\n",
      });
      const plugin = await readPluginFromDir(semverSrc);
      const digests = new Set<string>();
      // Oldest first, as a release history would be pushed.
      for (const tag of [...SEMVER_TAGS].reverse()) {
        digests.add(
          (await client.pushPlugin(
            semverSrc,
            `${plugins}/semver:${tag}`,
            plugin,
          ))
            .digest,
        );
      }
      deepStrictEqual(digests.size, 1, "one artifact under every tag");
      made.set("semver", [...digests][0]);
    });

    await t.step(
      "push a personality whose toolchain and plugins live on the same registry",
      async () => {
        // The toolchain is a multi-platform image index, pushed by skopeo:
        // what another client puts into this registry we must describe.
        const index = await seedIndex(reg, "giantswarm/klaus-toolchains/go", [
          "0.1.14",
        ], { "io.giantswarm.klaus.name": "go" });
        made.set("toolchain", index.digest);
        await writeTree(depsSrc, {
          "SOUL.md": await Deno.readTextFile(join(SRE, "SOUL.md")),
          "personality.yaml": [
            "name: with-deps",
            "description: SRE personality with dependencies on this registry",
            "toolchain:",
            `  repository: ${toolchains}/go`,
            `  tag: "0.1.14"`,
            "plugins:",
            // No tag: the highest semver tag, resolved at describe time.
            `  - repository: ${plugins}/base`,
            `  - repository: ${plugins}/semver`,
            "    tag: v0.130.0",
            "",
          ].join("\n"),
        });
        const personality = await readPersonalityFromDir(depsSrc);
        made.set(
          "with-deps",
          (await client.pushPersonality(depsSrc, depsRef, personality)).digest,
        );
      },
    );

    await t.step(
      "list plugins and personalities under the registry base",
      async () => {
        counter.reset();
        const warnings: string[] = [];
        const onWarning = (w: string) => warnings.push(w);
        const byName = <T extends { name: string }>(a: T[]) =>
          [...a].sort((x, y) => x.name.localeCompare(y.name));
        const entry = (base: string, name: string, version: string) => ({
          name,
          version,
          repository: `${base}/${name}`,
          reference: `${base}/${name}:${version}`,
        });
        deepStrictEqual(
          byName(await client.listPlugins({ registry: plugins, onWarning })),
          [
            entry(plugins, "base", "v0.1.0"),
            entry(plugins, "big", "v1.0.0"),
            entry(plugins, "semver", "v0.130.0"),
          ],
        );
        deepStrictEqual(
          byName(
            await client.listPersonalities({
              registry: personalities,
              onWarning,
            }),
          ),
          [
            entry(personalities, "sre", "v1.0.0"),
            entry(personalities, "with-deps", "v1.0.0"),
          ],
        );
        // The toolchains sort last in the catalog: the page holding them is
        // the last one, and the peer still sends a Link (without a port, and
        // with an empty `last` that would start over).
        const tc = await client.listToolchains({
          registry: toolchains,
          onWarning,
        });
        deepStrictEqual(tc, [entry(toolchains, "go", "0.1.14")]);
        deepStrictEqual(warnings, []);
        deepStrictEqual(
          counter.requests.filter((r) => new URL(r.url).host !== reg.host),
          [],
          "every listing request goes to the registry's own origin",
        );
      },
    );

    await t.step(
      "versions and latest among 130 semver tags (more than one page)",
      async () => {
        const tags = await client.list(`${plugins}/semver`);
        deepStrictEqual([...tags].sort(), [...SEMVER_TAGS].sort());
        deepStrictEqual(
          await client.listPluginVersions("semver"),
          SEMVER_TAGS,
        );
        strictEqual(
          await client.resolvePluginRef("semver"),
          `${plugins}/semver:v0.130.0`,
        );
        strictEqual(
          await client.resolveLatestVersion(`${plugins}/semver`),
          `${plugins}/semver:v0.130.0`,
        );
        const d = await client.describePlugin("semver");
        strictEqual(d.tag, "v0.130.0");
        strictEqual(d.digest, made.need("semver"));
        deepStrictEqual(await client.listPluginVersions("base"), ["v0.1.0"]);
        deepStrictEqual(
          await client.listPersonalityVersions("sre"),
          ["v1.0.0"],
        );
      },
    );

    await t.step(
      "describe a personality and resolve its dependencies on the same registry",
      async () => {
        const d = await client.describePersonality(depsRef);
        strictEqual(d.digest, made.need("with-deps"));
        deepStrictEqual(d.personality.toolchain, {
          repository: `${toolchains}/go`,
          tag: "0.1.14",
        });
        deepStrictEqual(d.personality.plugins, [
          { repository: `${plugins}/base` },
          { repository: `${plugins}/semver`, tag: "v0.130.0" },
        ]);
        const deps = await client.resolvePersonalityDeps(d.personality);
        deepStrictEqual(deps.warnings, []);
        strictEqual(deps.toolchain?.digest, made.need("toolchain"));
        strictEqual(deps.toolchain?.toolchain.name, "go");
        deepStrictEqual(
          deps.plugins.map((p) => [p.ref, p.digest, p.plugin.name]),
          [
            [baseRef, made.need("base"), "base"],
            [`${plugins}/semver:v0.130.0`, made.need("semver"), "semver"],
          ],
        );
        // By short name, the fixture: `plugins: []` is not stored.
        const { plugins: _none, ...sreMeta } = sre;
        deepStrictEqual(
          (await client.describePersonality("sre:v1.0.0")).personality,
          { ...sreMeta, version: "v1.0.0" },
        );
      },
    );

    await t.step("pull gives the source trees", async () => {
      const pb = await client.pullPlugin(baseRef, join(tmp, "base"));
      strictEqual(pb.digest, made.need("base"));
      strictEqual(pb.cached, false);
      deepStrictEqual(pb.plugin, { ...basePlugin, version: "v0.1.0" });
      deepStrictEqual(
        await contentTree(join(tmp, "base")),
        await contentTree(BASE),
      );
      const ps = await client.pullPersonality(sreRef, join(tmp, "sre"));
      strictEqual(ps.digest, made.need("sre"));
      strictEqual(ps.soul, await Deno.readTextFile(join(SRE, "SOUL.md")));
      deepStrictEqual(
        await contentTree(join(tmp, "sre")),
        await contentTree(SRE),
      );
      await client.pullPersonality(depsRef, join(tmp, "with-deps"));
      deepStrictEqual(
        await contentTree(join(tmp, "with-deps")),
        await contentTree(depsSrc),
      );
    });

    await t.step(
      "an up-to-date re-pull makes exactly 1 registry request",
      async () => {
        made.need("base");
        counter.reset();
        const again = await client.pullPlugin(baseRef, join(tmp, "base"));
        strictEqual(again.cached, true);
        strictEqual(
          registryRequests().length,
          1,
          JSON.stringify(counter.counts()),
        );
      },
    );

    await t.step(
      "an unchanged re-push makes exactly 3 requests (HEAD config, HEAD layer, PUT manifest)",
      async () => {
        const before = made.need("base");
        counter.reset();
        const { digest } = await client.pushPlugin(BASE, baseRef, basePlugin);
        strictEqual(digest, before);
        strictEqual(registryRequests().length, 3);
        deepStrictEqual(counter.counts(), {
          "HEAD blob": 2,
          "PUT manifest": 1,
        });
      },
    );

    await t.step("skopeo inspect --raw reads what we pushed", async () => {
      const pushed: [string, string, string][] = [
        [baseRef, "base", MT.pluginConfig],
        [sreRef, "sre", MT.personalityConfig],
        [bigRef, "big", MT.pluginConfig],
        [`${plugins}/semver:v0.130.0`, "semver", MT.pluginConfig],
        [`${plugins}/semver:v0.1.0`, "semver", MT.pluginConfig],
        [depsRef, "with-deps", MT.personalityConfig],
      ];
      const failures: string[] = [];
      for (const [ref, what, configType] of pushed) {
        const digest = made.need(what);
        try {
          const raw = await inspectRaw(ref, { registry: reg });
          strictEqual(await sha256(raw), digest, `${ref}: digest`);
          const m = JSON.parse(new TextDecoder().decode(raw));
          strictEqual(m.config.mediaType, configType, `${ref}: config type`);
        } catch (e) {
          failures.push(`${ref}: ${e instanceof Error ? e.message : e}`);
        }
      }
      deepStrictEqual(failures, []);
    });

    await t.step(
      "the edge API (worker/deno_main.ts) serves what was pushed",
      async () => {
        const vars: Record<string, string> = {
          KLAUS_REGISTRY: `${reg.host}/giantswarm`,
          PLAIN_HTTP: "true",
          REGISTRY_AUTH: reg.dockerConfigBase64(),
          KLAUS_OCI_CACHE_DIR: join(tmp, "edge-cache"),
        };
        await using server = await startServer({
          port: 0,
          log: false,
          env: (n) => vars[n],
        });
        const get = async (path: string) => {
          const res = await fetch(`${server.url}${path}`);
          const text = await res.text();
          strictEqual(res.status, 200, `GET ${path}: ${res.status} ${text}`);
          return JSON.parse(text);
        };
        const list = await get("/v1/plugins") as {
          items: { name: string; version: string; reference: string }[];
        };
        deepStrictEqual(
          list.items.map((i) => [i.name, i.version, i.reference]).sort(),
          [
            ["base", "v0.1.0", baseRef],
            ["big", "v1.0.0", bigRef],
            ["semver", "v0.130.0", `${plugins}/semver:v0.130.0`],
          ],
        );
        const semver = await get("/v1/plugins/semver");
        strictEqual(semver.tag, "v0.130.0");
        strictEqual(semver.ref, `${plugins}/semver:v0.130.0`);
        strictEqual(semver.digest, made.need("semver"));
        strictEqual(semver.plugin.name, "semver");
        deepStrictEqual(await get("/v1/plugins/semver/versions"), {
          versions: SEMVER_TAGS,
        });
        const base = await get("/v1/plugins/base");
        deepStrictEqual(base, {
          ref: baseRef,
          tag: "v0.1.0",
          digest: made.need("base"),
          plugin: { ...basePlugin, version: "v0.1.0" },
        });
        const ps = await get("/v1/personalities") as {
          items: { name: string; version: string }[];
        };
        deepStrictEqual(
          ps.items.map((i) => [i.name, i.version]).sort(),
          [["sre", "v1.0.0"], ["with-deps", "v1.0.0"]],
        );
      },
    );
  } finally {
    await client.close();
    await Deno.remove(tmp, { recursive: true });
    console.log(
      `interop round trip on ${target.label}: ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
  }
}

for (const target of interopRegistries()) {
  Deno.test({
    name: `interop round trip on ${target.label}`,
    ignore: target.ignore,
    fn: (t) => roundTrip(target, t),
  });
}
