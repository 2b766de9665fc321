/**
 * resolve_deps_test.go of the Go module, every test and
 * assertion, against a real registry; the toolchain is a multi-platform
 * image index with index annotations. Adapted where we differ on purpose
 * (README, "Differences from klaus-oci (Go)"):
 * every warning names the failing reference (`plugin <ref>: …`,
 * `toolchain <ref>: …`), in a stable order (toolchain first, then plugins
 * in the personality's order).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { Personality } from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { seedIndex } from "../harness/seed.ts";
import { ANN, clientFor, MT, rawPush } from "./fixtures_ops.ts";

Deno.test({
  name: "resolvePersonalityDeps (resolve_deps_test.go against a real registry)",
  ignore: missing("docker-registry", "skopeo"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg);
    const h = reg.host;
    const plugin = (
      repo: string,
      tag: string,
      config: string,
      a: Record<string, string>,
    ) =>
      rawPush(reg, `giantswarm/klaus-plugins/${repo}`, [tag], {
        config,
        configMediaType: MT.pluginConfig,
        annotations: a,
      });
    const toolchain = (repo: string, tag: string, a: Record<string, string>) =>
      seedIndex(reg, `giantswarm/klaus-toolchains/${repo}`, [tag], a);
    const P = (repo: string, tag: string) => ({
      repository: `${h}/giantswarm/klaus-plugins/${repo}`,
      tag,
    });
    const T = (repo: string, tag: string) => ({
      repository: `${h}/giantswarm/klaus-toolchains/${repo}`,
      tag,
    });
    try {
      await plugin("gs-base", "v1.0.0", `{"skills":["kubernetes","fluxcd"]}`, {
        [ANN.name]: "gs-base",
        [ANN.description]: "Base plugin",
        [ANN.authorName]: "Giant Swarm GmbH",
      });
      await plugin("gs-sre", "v0.5.0", `{"commands":["check-cluster"]}`, {
        [ANN.name]: "gs-sre",
        [ANN.description]: "SRE plugin",
      });
      await toolchain("go", "v1.2.0", {
        [ANN.name]: "go",
        [ANN.description]: "Go toolchain for Klaus",
        [ANN.authorName]: "Giant Swarm GmbH",
      });
      await toolchain("go", "v1.0.0", {
        [ANN.name]: "go",
        [ANN.description]: "Go toolchain",
      });

      await t.step("ResolvePersonalityDeps", async () => {
        const deps = await client.resolvePersonalityDeps({
          name: "sre",
          toolchain: T("go", "v1.2.0"),
          plugins: [P("gs-base", "v1.0.0"), P("gs-sre", "v0.5.0")],
        });
        deepStrictEqual(deps.warnings, []);
        ok(deps.toolchain);
        strictEqual(deps.toolchain.toolchain.name, "go");
        strictEqual(deps.toolchain.toolchain.version, "v1.2.0");
        strictEqual(
          deps.toolchain.toolchain.description,
          "Go toolchain for Klaus",
        );
        strictEqual(deps.plugins.length, 2);
        // Input order is kept (Go: names sorted before comparing).
        deepStrictEqual(deps.plugins.map((p) => p.plugin.name), [
          "gs-base",
          "gs-sre",
        ]);
        for (const dp of deps.plugins) {
          ok(dp.digest !== "", `${dp.plugin.name}: digest`);
          ok(dp.tag !== "", `${dp.plugin.name}: tag`);
        }
        deepStrictEqual(deps.plugins[0].plugin.skills, [
          "kubernetes",
          "fluxcd",
        ]);
      });

      await t.step("ResolvePersonalityDeps_MissingPlugin", async () => {
        const missingRef = `${h}/giantswarm/klaus-plugins/gs-missing:v1.0.0`;
        const deps = await client.resolvePersonalityDeps({
          name: "sre",
          toolchain: T("go", "v1.0.0"),
          plugins: [P("gs-base", "v1.0.0"), P("gs-missing", "v1.0.0")],
        });
        strictEqual(deps.warnings.length, 1, deps.warnings.join("\n"));
        ok(
          deps.warnings[0].startsWith(`plugin ${missingRef}: `),
          deps.warnings[0],
        );
        ok(deps.warnings[0].includes("not found"), deps.warnings[0]);
        strictEqual(deps.plugins.length, 1);
        strictEqual(deps.plugins[0].plugin.name, "gs-base");
        ok(deps.toolchain);
      });

      await t.step("ResolvePersonalityDeps_MissingToolchain", async () => {
        const deps = await client.resolvePersonalityDeps({
          name: "sre",
          toolchain: T("missing", "v1.0.0"),
          plugins: [P("gs-base", "v1.0.0")],
        });
        strictEqual(deps.toolchain, undefined);
        strictEqual(deps.warnings.length, 1);
        ok(
          deps.warnings[0].startsWith(
            `toolchain ${h}/giantswarm/klaus-toolchains/missing:v1.0.0: `,
          ),
          deps.warnings[0],
        );
        strictEqual(deps.plugins.length, 1);
        strictEqual(deps.plugins[0].plugin.name, "gs-base");
      });

      await t.step("ResolvePersonalityDeps_NoPlugins", async () => {
        const deps = await client.resolvePersonalityDeps({
          name: "minimal",
          toolchain: T("go", "v1.0.0"),
        });
        deepStrictEqual(deps.warnings, []);
        strictEqual(deps.toolchain?.toolchain.name, "go");
        deepStrictEqual(deps.plugins, []);
      });

      await t.step("ResolvePersonalityDeps_EmptyToolchain", async () => {
        const deps = await client.resolvePersonalityDeps({
          name: "no-toolchain",
          toolchain: { repository: "" },
          plugins: [P("gs-base", "v1.0.0")],
        });
        strictEqual(deps.toolchain, undefined);
        deepStrictEqual(deps.warnings, []);
        strictEqual(deps.plugins.length, 1);
      });

      await t.step("ResolvePersonalityDeps_AllPluginsMissing", async () => {
        const deps = await client.resolvePersonalityDeps({
          name: "all-missing",
          toolchain: T("go", "v1.0.0"),
          plugins: [P("missing-a", "v1.0.0"), P("missing-b", "v2.0.0")],
        });
        ok(deps.toolchain);
        deepStrictEqual(deps.plugins, []);
        strictEqual(deps.warnings.length, 2);
        ok(
          deps.warnings[0].startsWith(
            `plugin ${h}/giantswarm/klaus-plugins/missing-a:v1.0.0: `,
          ),
        );
        ok(
          deps.warnings[1].startsWith(
            `plugin ${h}/giantswarm/klaus-plugins/missing-b:v2.0.0: `,
          ),
        );
      });

      await t.step("ResolvePersonalityDeps_Empty", async () => {
        const deps = await client.resolvePersonalityDeps({ name: "empty" });
        strictEqual(deps.toolchain, undefined);
        deepStrictEqual(deps.plugins, []);
        deepStrictEqual(deps.warnings, []);
      });

      await t.step("ResolvePersonalityDeps_VersionFromTag", async () => {
        await plugin("gs-vft", "v2.3.0", "{}", {
          [ANN.name]: "gs-base",
          [ANN.description]: "Base plugin",
        });
        const deps = await client.resolvePersonalityDeps({
          name: "version-check",
          plugins: [P("gs-vft", "v2.3.0")],
        });
        strictEqual(deps.plugins.length, 1);
        strictEqual(deps.plugins[0].plugin.version, "v2.3.0");
        strictEqual(deps.plugins[0].tag, "v2.3.0");
      });

      await t.step(
        "ResolvePersonalityDeps_ToolchainVersionFromTag",
        async () => {
          await toolchain("go-vft", "v1.5.0", {
            [ANN.name]: "go",
            [ANN.description]: "Go toolchain",
          });
          const deps = await client.resolvePersonalityDeps({
            name: "tc-version",
            toolchain: T("go-vft", "v1.5.0"),
          });
          ok(deps.toolchain);
          strictEqual(deps.toolchain.toolchain.version, "v1.5.0");
          strictEqual(deps.toolchain.toolchain.name, "go");
        },
      );

      // Beyond the Go tests: the reference forms a personality may use.
      await t.step("latest, missing tag and digest references", async () => {
        const base = await client.describePlugin(
          `${h}/giantswarm/klaus-plugins/gs-base:v1.0.0`,
        );
        const p: Personality = {
          name: "forms",
          toolchain: {
            repository: `${h}/giantswarm/klaus-toolchains/go`,
            tag: "latest",
          },
          plugins: [
            { repository: `${h}/giantswarm/klaus-plugins/gs-sre` },
            // The digest wins over the tag (Go's Ref()).
            {
              repository: `${h}/giantswarm/klaus-plugins/gs-base`,
              tag: "v9.9.9",
              digest: base.digest,
            },
          ],
        };
        const deps = await client.resolvePersonalityDeps(p);
        deepStrictEqual(deps.warnings, []);
        strictEqual(deps.toolchain?.tag, "v1.2.0");
        strictEqual(
          deps.plugins[0].ref,
          `${h}/giantswarm/klaus-plugins/gs-sre:v0.5.0`,
        );
        deepStrictEqual(
          [
            deps.plugins[1].digest,
            deps.plugins[1].tag,
            deps.plugins[1].plugin.version,
          ],
          [base.digest, "", ""],
        );
      });

      await t.step(
        "invalid references give warnings, never an error",
        async () => {
          const deps = await client.resolvePersonalityDeps({
            name: "down",
            toolchain: { repository: "bad ref with spaces", tag: "v1" },
            plugins: [{ repository: "", tag: "v1" }],
          });
          strictEqual(deps.toolchain, undefined);
          deepStrictEqual(deps.plugins, []);
          strictEqual(deps.warnings.length, 2, deps.warnings.join("\n"));
          ok(
            deps.warnings[0].startsWith("toolchain bad ref with spaces:v1: "),
            deps.warnings[0],
          );
          ok(deps.warnings[1].startsWith("plugin :v1: "), deps.warnings[1]);
        },
      );
    } finally {
      await client.close();
      await reg.stop();
    }
  },
});
