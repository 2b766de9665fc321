/**
 * Round trips with the shared fixtures against a real registry in open and
 * token modes: what we push skopeo reads (the exact manifest and config
 * bytes the Go module writes, test/fixtures/README.md); what skopeo copies,
 * what GNU tar packs (`./`-prefixed entries) and what the legacy CI pushed
 * with the oras CLI (before the Go module's v0.0.9) we describe and pull.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type Client,
  readPersonalityFromDir,
  readPluginFromDir,
  UnauthorizedError,
} from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import {
  type RegistryHandle,
  type RegistryMode,
  startRegistry,
} from "../harness/registry.ts";
import { seedArtifact, sha256 } from "../harness/seed.ts";
import { copy, inspectConfigRaw, inspectRaw } from "../harness/skopeo.ts";
import {
  ANN,
  clientFor,
  contentTree,
  errorOf,
  fixture,
  MT,
  text,
} from "./fixtures_ops.ts";

const BASE = fixture("plugins/base");
const SRE = fixture("personalities/sre");
const LEGACY = fixture("personalities/legacy-sre");
const SRE_CONFIG =
  `{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"0.1.14"}}`;

async function gnuTarGz(dir: string, out: string): Promise<Uint8Array> {
  const r = await new Deno.Command("tar", {
    args: ["-czf", out, "-C", dir, "."],
    stdout: "null",
    stderr: "piped",
  }).output();
  strictEqual(r.code, 0, text(r.stderr));
  return await Deno.readFile(out);
}

function authed(reg: RegistryHandle): Client {
  return clientFor(reg, {
    registryAuthEnv: "KLAUS_TEST_AUTH",
    env: { KLAUS_TEST_AUTH: reg.dockerConfigBase64() },
  });
}

async function roundTrip(mode: RegistryMode, t: Deno.TestContext) {
  const reg = await startRegistry({ mode });
  const client = authed(reg);
  const tmp = await Deno.makeTempDir({ prefix: `klaus-rt-${mode}-` });
  const plugins = `${reg.host}/giantswarm/klaus-plugins`;
  const personalities = `${reg.host}/giantswarm/klaus-personalities`;
  try {
    const basePlugin = await readPluginFromDir(BASE);
    const sre = await readPersonalityFromDir(SRE);
    const baseRef = `${plugins}/base:v0.1.0`;
    const sreRef = `${personalities}/sre:v1.0.0`;
    let baseDigest = "";

    await t.step(
      "push; skopeo reads the exact manifest and config",
      async () => {
        baseDigest =
          (await client.pushPlugin(BASE, baseRef, basePlugin)).digest;
        const raw = await inspectRaw(baseRef, { registry: reg });
        strictEqual(await sha256(raw), baseDigest);
        const m = JSON.parse(text(raw));
        deepStrictEqual(Object.keys(m), [
          "schemaVersion",
          "mediaType",
          "config",
          "layers",
          "annotations",
        ]);
        strictEqual(m.schemaVersion, 2);
        strictEqual(m.mediaType, MT.manifest);
        deepStrictEqual(Object.keys(m.config), ["mediaType", "digest", "size"]);
        strictEqual(m.config.mediaType, MT.pluginConfig);
        strictEqual(m.layers.length, 1);
        deepStrictEqual(Object.keys(m.layers[0]), [
          "mediaType",
          "digest",
          "size",
        ]);
        strictEqual(m.layers[0].mediaType, MT.pluginContent);
        deepStrictEqual(m.annotations, {
          [ANN.authorEmail]: "planeteers@giantswarm.io",
          [ANN.authorName]: "Giant Swarm GmbH",
          [ANN.description]: "A base Klaus plugin with common commands",
          [ANN.keywords]: "giantswarm,klaus,plugins",
          [ANN.license]: "Apache-2.0",
          [ANN.name]: "base",
          [ANN.repository]: "https://github.com/giantswarm/klaus-plugins",
        });
        strictEqual(
          text(await inspectConfigRaw(baseRef, { registry: reg })),
          `{"commands":["hello"]}`,
        );

        await client.pushPersonality(SRE, sreRef, sre);
        strictEqual(
          text(await inspectConfigRaw(sreRef, { registry: reg })),
          SRE_CONFIG,
        );
        const pm = JSON.parse(
          text(await inspectRaw(sreRef, { registry: reg })),
        );
        strictEqual(pm.config.mediaType, MT.personalityConfig);
        strictEqual(pm.layers[0].mediaType, MT.personalityContent);
        if (mode === "token") ok(reg.tokenRequests > 0, "tokens were used");
      },
    );

    await t.step("describe, list, versions", async () => {
      const d = await client.describePlugin("base");
      deepStrictEqual(d, {
        ref: baseRef,
        tag: "v0.1.0",
        digest: baseDigest,
        plugin: { ...basePlugin, version: "v0.1.0" },
      });
      const p = await client.describePersonality("sre:v1.0.0");
      // `plugins: []` is not stored (omitempty): it comes back absent.
      const { plugins: _none, ...sreMeta } = sre;
      deepStrictEqual(p.personality, { ...sreMeta, version: "v1.0.0" });
      deepStrictEqual(await client.listPlugins(), [{
        name: "base",
        version: "v0.1.0",
        repository: `${plugins}/base`,
        reference: baseRef,
      }]);
      deepStrictEqual(await client.listPersonalityVersions("sre"), ["v1.0.0"]);
    });

    await t.step("pull gives the source tree", async () => {
      const pb = await client.pullPlugin(baseRef, `${tmp}/base`);
      deepStrictEqual(
        await contentTree(`${tmp}/base`),
        await contentTree(BASE),
      );
      deepStrictEqual(pb.plugin, { ...basePlugin, version: "v0.1.0" });
      const ps = await client.pullPersonality(sreRef, `${tmp}/sre`);
      deepStrictEqual(await contentTree(`${tmp}/sre`), await contentTree(SRE));
      strictEqual(ps.soul, await Deno.readTextFile(`${SRE}/SOUL.md`));
      strictEqual(ps.personality.toolchain?.tag, "0.1.14");
    });

    await t.step("we read what skopeo copied", async () => {
      const copied = `${plugins}/base-copy:v0.1.0`;
      await copy(baseRef, copied, { registry: reg });
      const d = await client.describePlugin(copied);
      strictEqual(d.digest, baseDigest);
      strictEqual(d.plugin.name, "base");
      deepStrictEqual(d.plugin.commands, ["hello"]);
      await client.pullPlugin(copied, `${tmp}/base-copy`);
      deepStrictEqual(
        await contentTree(`${tmp}/base-copy`),
        await contentTree(BASE),
      );
    });

    await t.step("we read a GNU tar layer (./-prefixed entries)", async () => {
      const layer = await gnuTarGz(BASE, `${tmp}/gnu.tgz`);
      await seedArtifact(reg, "giantswarm/klaus-plugins/gnu", ["v1.0.0"], {
        configMediaType: MT.pluginConfig,
        configJson: `{"commands":["hello"]}`,
        layerMediaType: MT.pluginContent,
        layerBytes: layer,
        annotations: { [ANN.name]: "gnu" },
      });
      const p = await client.pullPlugin(`${plugins}/gnu:v1.0.0`, `${tmp}/gnu`);
      strictEqual(p.plugin.name, "gnu");
      deepStrictEqual(p.plugin.commands, ["hello"]);
      deepStrictEqual(await contentTree(`${tmp}/gnu`), await contentTree(BASE));
    });

    await t.step(
      "legacy oras-pushed artifacts describe and pull with empty metadata",
      async () => {
        // The old klaus-personalities CI: `oras push` with a metadata config,
        // org.opencontainers annotations and `tar -czf … -C dir .`.
        const layer = await gnuTarGz(LEGACY, `${tmp}/legacy.tgz`);
        await seedArtifact(reg, "giantswarm/klaus-personalities/legacy", [
          "v0.1.0",
        ], {
          configMediaType: MT.personalityConfig,
          configJson: { name: "sre", version: "v0.1.0" },
          layerMediaType: MT.personalityContent,
          layerBytes: layer,
          annotations: {
            "org.opencontainers.image.title": "sre",
            "org.opencontainers.image.version": "v0.1.0",
            "org.opencontainers.image.description": "SRE personality",
          },
        });
        const ref = `${personalities}/legacy:v0.1.0`;
        const d = await client.describePersonality(ref);
        strictEqual(d.personality.name, "");
        strictEqual(d.personality.description, undefined);
        strictEqual(d.personality.author, undefined);
        strictEqual(d.personality.toolchain?.repository ?? "", "");
        strictEqual(d.personality.plugins?.length ?? 0, 0);
        strictEqual(d.personality.version, "v0.1.0");
        const p = await client.pullPersonality(ref, `${tmp}/legacy`);
        strictEqual(p.personality.name, "");
        strictEqual(p.personality.version, "v0.1.0");
        strictEqual(p.soul, await Deno.readTextFile(`${LEGACY}/SOUL.md`));
        deepStrictEqual(
          await contentTree(`${tmp}/legacy`),
          await contentTree(LEGACY),
        );
        // Legacy plugin shape too: metadata in the config, no annotations.
        await seedArtifact(reg, "giantswarm/klaus-plugins/legacy", ["v0.0.1"], {
          configMediaType: MT.pluginConfig,
          configJson: {
            name: "gs-base",
            version: "v0.0.1",
            description: "old",
          },
          layerMediaType: MT.pluginContent,
          layerBytes: await gnuTarGz(BASE, `${tmp}/legacy-plugin.tgz`),
        });
        const lp = await client.describePlugin("legacy");
        deepStrictEqual(lp.plugin, { name: "", version: "v0.0.1" });
      },
    );

    if (mode !== "open") {
      await t.step("without credentials the registry refuses", async () => {
        const anon = clientFor(reg, { env: {} });
        try {
          const e = await errorOf(anon.describePlugin(baseRef));
          ok(e instanceof UnauthorizedError, `${e}`);
          const e2 = await errorOf(
            anon.pushPlugin(BASE, `${plugins}/anon:v1`, basePlugin),
          );
          ok(e2 instanceof UnauthorizedError, `${e2}`);
        } finally {
          await anon.close();
        }
      });
    }
  } finally {
    await client.close();
    await reg.stop();
    await Deno.remove(tmp, { recursive: true });
  }
}

for (const mode of ["open", "token"] as const) {
  Deno.test({
    name: `round trip with the fixtures (${mode} registry)`,
    ignore: missing("docker-registry", "skopeo", "tar", "openssl"),
    fn: (t) => roundTrip(mode, t),
  });
}
