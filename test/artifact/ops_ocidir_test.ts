/**
 * `ocidir://` targets (README, "OCI image layouts"): every operation works on OCI image
 * layouts on disk — push, describe, list (a base `ocidir://<root>` lists
 * every layout below it), versions, resolve, deps, pull — and skopeo
 * (`oci:<dir>:<tag>`) reads what we write while we read what it writes.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  NotFoundError,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { seedIndex, sha256 } from "../harness/seed.ts";
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

Deno.test({
  name:
    "ocidir:// layouts: push, describe, list, versions, pull; skopeo interop",
  ignore: missing("docker-registry", "skopeo"),
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "klaus-ocidir-" });
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg, {
      registries: {
        plugin: `ocidir://${root}/plugins`,
        personality: `ocidir://${root}/personalities`,
        toolchain: `ocidir://${root}/toolchains`,
      },
    });
    const regClient = clientFor(reg);
    try {
      const plugin = await readPluginFromDir(BASE);
      const v1 = `ocidir://${root}/plugins/base:v1`;
      let digest = "";

      await t.step(
        "push; the directory is an OCI layout skopeo reads",
        async () => {
          digest = (await client.pushPlugin(BASE, v1, plugin)).digest;
          const layout = JSON.parse(
            await Deno.readTextFile(`${root}/plugins/base/oci-layout`),
          );
          deepStrictEqual(layout, { imageLayoutVersion: "1.0.0" });
          const index = JSON.parse(
            await Deno.readTextFile(`${root}/plugins/base/index.json`),
          );
          strictEqual(index.schemaVersion, 2);
          deepStrictEqual(
            index.manifests.map((
              m: { digest: string; annotations?: Record<string, string> },
            ) => [
              m.digest,
              m.annotations?.["org.opencontainers.image.ref.name"],
            ]),
            [[digest, "v1"]],
          );
          const raw = await inspectRaw(`oci:${root}/plugins/base:v1`);
          strictEqual(await sha256(raw), digest);
          const m = JSON.parse(text(raw));
          strictEqual(m.config.mediaType, MT.pluginConfig);
          strictEqual(m.layers[0].mediaType, MT.pluginContent);
          strictEqual(m.annotations[ANN.name], "base");
          strictEqual(
            text(await inspectConfigRaw(`oci:${root}/plugins/base:v1`)),
            `{"commands":["hello"]}`,
          );
          // A second tag, and a second plugin, for listing.
          await client.pushPlugin(
            BASE,
            `ocidir://${root}/plugins/base:v1.2.0`,
            plugin,
          );
          await client.pushPlugin(
            BASE,
            `ocidir://${root}/plugins/base:latest`,
            plugin,
          );
          await client.pushPlugin(
            BASE,
            `ocidir://${root}/plugins/nested/other:v0.0.1`,
            {
              ...plugin,
              name: "other",
            },
          );
        },
      );

      await t.step("describe by tag, digest and short name", async () => {
        const d = await client.describePlugin(v1);
        deepStrictEqual(d, {
          ref: v1,
          tag: "v1",
          digest,
          plugin: { ...plugin, version: "v1" },
        });
        const byDigest = await client.describePlugin(
          `ocidir://${root}/plugins/base@${digest}`,
        );
        deepStrictEqual([byDigest.tag, byDigest.plugin.version], ["", ""]);
        const short = await client.describePlugin("base");
        strictEqual(short.ref, `ocidir://${root}/plugins/base:v1.2.0`);
        const e = await errorOf(
          client.describePlugin(`ocidir://${root}/plugins/base:v9`),
        );
        ok(e instanceof NotFoundError, `${e}`);
      });

      await t.step("list, versions, resolve", async () => {
        deepStrictEqual(await client.listPlugins(), [
          {
            name: "base",
            version: "v1.2.0",
            repository: `ocidir://${root}/plugins/base`,
            reference: `ocidir://${root}/plugins/base:v1.2.0`,
          },
          {
            name: "other",
            version: "v0.0.1",
            repository: `ocidir://${root}/plugins/nested/other`,
            reference: `ocidir://${root}/plugins/nested/other:v0.0.1`,
          },
        ]);
        deepStrictEqual(await client.listPluginVersions("base"), [
          "v1.2.0",
          "v1",
        ]);
        deepStrictEqual(
          (await client.list(`ocidir://${root}/plugins/base`)).sort(),
          ["latest", "v1", "v1.2.0"],
        );
        strictEqual(
          await client.resolvePluginRef("base:latest"),
          `ocidir://${root}/plugins/base:v1.2.0`,
        );
        strictEqual(await client.resolve(v1), digest);
      });

      await t.step("pull, up to date, by digest", async () => {
        const dest = `${root}/out/base`;
        const p = await client.pullPlugin(v1, dest);
        strictEqual(p.cached, false);
        strictEqual(p.digest, digest);
        deepStrictEqual(p.plugin, { ...plugin, version: "v1" });
        deepStrictEqual(await contentTree(dest), await contentTree(BASE));
        strictEqual((await client.pullPlugin(v1, dest)).cached, true);
        strictEqual(
          (await client.pullPlugin(
            `ocidir://${root}/plugins/base@${digest}`,
            dest,
          ))
            .cached,
          true,
        );
      });

      await t.step("we read what skopeo writes into a layout", async () => {
        // Our registry push, copied by skopeo into a layout.
        const sre = await readPersonalityFromDir(SRE);
        const regRef = reg.ref("giantswarm/klaus-personalities/sre", "v1.0.0");
        const pushed = await regClient.pushPersonality(SRE, regRef, sre);
        await Deno.mkdir(`${root}/personalities`);
        await Deno.mkdir(`${root}/toolchains`);
        await copy(regRef, `oci:${root}/personalities/sre:v1.0.0`, {
          registry: reg,
        });
        const d = await client.describePersonality("sre");
        strictEqual(d.digest, pushed.digest);
        strictEqual(d.ref, `ocidir://${root}/personalities/sre:v1.0.0`);
        strictEqual(d.personality.toolchain?.tag, "0.1.14");
        const p = await client.pullPersonality(
          `ocidir://${root}/personalities/sre:v1.0.0`,
          `${root}/out/sre`,
        );
        strictEqual(p.soul, await Deno.readTextFile(`${SRE}/SOUL.md`));
        // A toolchain image index, copied by skopeo, described from its
        // index annotations; deps resolve against layouts too.
        await seedIndex(reg, "giantswarm/klaus-toolchains/go", ["0.1.14"], {
          [ANN.name]: "go",
          [ANN.description]: "Go toolchain for Klaus",
        });
        await copy(
          reg.ref("giantswarm/klaus-toolchains/go", "0.1.14"),
          `oci:${root}/toolchains/go:0.1.14`,
          { registry: reg },
        );
        const tc = await client.describeToolchain("go");
        strictEqual(tc.tag, "0.1.14");
        strictEqual(tc.toolchain.description, "Go toolchain for Klaus");
        const deps = await client.resolvePersonalityDeps({
          name: "x",
          toolchain: {
            repository: `ocidir://${root}/toolchains/go`,
            tag: "0.1.14",
          },
          plugins: [{ repository: `ocidir://${root}/plugins/base` }],
        });
        deepStrictEqual(deps.warnings, []);
        strictEqual(deps.toolchain?.toolchain.name, "go");
        strictEqual(deps.plugins[0].tag, "v1.2.0");
        deepStrictEqual(
          (await client.listToolchains()).map((e) => e.reference),
          [`ocidir://${root}/toolchains/go:0.1.14`],
        );
      });

      await t.step(
        "skopeo copies our layout to a registry, we read it there",
        async () => {
          await copy(
            `oci:${root}/plugins/base:v1`,
            reg.ref("copied/base", "v1"),
            {
              registry: reg,
            },
          );
          const d = await regClient.describePlugin(
            reg.ref("copied/base", "v1"),
          );
          strictEqual(d.digest, digest);
          strictEqual(d.plugin.name, "base");
        },
      );
    } finally {
      await client.close();
      await regClient.close();
      await reg.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
