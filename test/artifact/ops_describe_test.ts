/**
 * describe_test.go of the Go module, every test and assertion,
 * against a real registry. Plugins and personalities are put there as the
 * Go test registry serves them (config + manifest annotations, no layers);
 * toolchains as multi-platform image indexes with index annotations (what
 * the klaus-toolchains CI pushes) and as single image manifests.
 * Adapted where we differ on purpose (README, "Differences from klaus-oci (Go)"): a
 * digest reference gives tag "" and version "".
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type Client,
  InvalidArtifactError,
  NotFoundError,
} from "../../src/mod.ts";
import { toolchainFromAnnotations } from "../../src/artifact/describe_parse.ts";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { seedArtifact, seedIndex } from "../harness/seed.ts";
import { ANN, clientFor, errorOf, MT, rawPush } from "./fixtures_ops.ts";

const PLUGINS = "giantswarm/klaus-plugins";
const PERSONALITIES = "giantswarm/klaus-personalities";
const TOOLCHAINS = "giantswarm/klaus-toolchains";

/** Go's buildKlausAnnotations(commonMetadata{…}), spelled out. */
function meta(m: {
  name?: string;
  description?: string;
  author?: { name?: string; email?: string; url?: string };
  homepage?: string;
  repository?: string;
  license?: string;
  keywords?: string[];
}): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (m.name) out[ANN.name] = m.name;
  if (m.description) out[ANN.description] = m.description;
  if (m.homepage) out[ANN.homepage] = m.homepage;
  if (m.repository) out[ANN.repository] = m.repository;
  if (m.license) out[ANN.license] = m.license;
  if (m.keywords?.length) out[ANN.keywords] = m.keywords.join(",");
  if (m.author?.name) out[ANN.authorName] = m.author.name;
  if (m.author?.email) out[ANN.authorEmail] = m.author.email;
  if (m.author?.url) out[ANN.authorUrl] = m.author.url;
  return Object.keys(out).length ? out : undefined;
}

const GO_TOOLCHAIN_FULL = {
  [ANN.name]: "go",
  [ANN.description]: "Go toolchain for Klaus",
  [ANN.authorName]: "Giant Swarm GmbH",
  [ANN.homepage]: "https://docs.giantswarm.io/klaus/",
  [ANN.repository]: "https://github.com/giantswarm/klaus-images",
  [ANN.license]: "Apache-2.0",
  [ANN.keywords]: "giantswarm,go,toolchain",
};

Deno.test({
  name: "describe (describe_test.go against a real registry)",
  ignore: missing("docker-registry", "skopeo"),
  async fn(t) {
    const reg: RegistryHandle = await startRegistry({ mode: "open" });
    const client: Client = clientFor(reg);
    const plugin = (
      repo: string,
      tags: string[],
      config: string,
      a?: Record<string, string>,
    ) =>
      rawPush(reg, `${PLUGINS}/${repo}`, tags, {
        config,
        configMediaType: MT.pluginConfig,
        annotations: a,
      });
    const personality = (
      repo: string,
      tags: string[],
      config: string,
      a?: Record<string, string>,
    ) =>
      rawPush(reg, `${PERSONALITIES}/${repo}`, tags, {
        config,
        configMediaType: MT.personalityConfig,
        annotations: a,
      });
    try {
      await t.step("ToolchainFromAnnotations", async (t) => {
        await t.step("full annotations (image index)", async () => {
          await seedIndex(
            reg,
            `${TOOLCHAINS}/full`,
            ["1.0.0"],
            GO_TOOLCHAIN_FULL,
          );
          const d = await client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/full`, "1.0.0"),
          );
          const tc = d.toolchain;
          strictEqual(tc.name, "go");
          strictEqual(tc.description, "Go toolchain for Klaus");
          strictEqual(tc.author?.name, "Giant Swarm GmbH");
          strictEqual(tc.homepage, "https://docs.giantswarm.io/klaus/");
          strictEqual(
            tc.repository,
            "https://github.com/giantswarm/klaus-images",
          );
          strictEqual(tc.license, "Apache-2.0");
          deepStrictEqual(tc.keywords, ["giantswarm", "go", "toolchain"]);
          // The version is the tag, never an annotation.
          strictEqual(tc.version, "1.0.0");
          strictEqual(
            toolchainFromAnnotations(GO_TOOLCHAIN_FULL).version,
            undefined,
          );
        });
        await t.step("minimal annotations", async () => {
          await seedIndex(reg, `${TOOLCHAINS}/python`, ["0.5.0"], {
            [ANN.name]: "python",
          });
          const tc = (await client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/python`, "0.5.0"),
          ))
            .toolchain;
          strictEqual(tc.name, "python");
          strictEqual(tc.author, undefined);
          strictEqual(tc.keywords, undefined);
        });
        await t.step(
          "nil annotations (index without annotations)",
          async () => {
            await seedIndex(reg, `${TOOLCHAINS}/none`, ["0.1.0"]);
            const tc = (await client.describeToolchain(
              reg.ref(`${TOOLCHAINS}/none`, "0.1.0"),
            ))
              .toolchain;
            strictEqual(tc.name, "");
            strictEqual(tc.author, undefined);
          },
        );
        await t.step("version annotation ignored", async () => {
          await seedIndex(reg, `${TOOLCHAINS}/vann`, ["1.2.0"], {
            [ANN.name]: "go",
            "org.opencontainers.image.version": "v1.2.0-from-annotation",
          });
          const tc = (await client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/vann`, "1.2.0"),
          ))
            .toolchain;
          strictEqual(tc.version, "1.2.0");
          strictEqual(
            toolchainFromAnnotations({
              [ANN.name]: "go",
              "org.opencontainers.image.version": "v1.2.0",
            })
              .version,
            undefined,
          );
        });
        await t.step("keywords whitespace trimmed", async () => {
          await seedIndex(reg, `${TOOLCHAINS}/trim`, ["1.0.0"], {
            [ANN.name]: "go",
            [ANN.keywords]: "giantswarm, go , toolchain",
          });
          const tc = (await client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/trim`, "1.0.0"),
          ))
            .toolchain;
          deepStrictEqual(tc.keywords, ["giantswarm", "go", "toolchain"]);
        });
      });

      await t.step("DescribePlugin", async () => {
        const config =
          `{"skills":["kubernetes","fluxcd"],"commands":["hello","init-kubernetes"],"agents":["code-reviewer"],"hasHooks":true,"mcpServers":["github"]}`;
        await plugin(
          "gs-base",
          ["v1.0.0"],
          config,
          meta({
            name: "gs-base",
            description: "A general purpose plugin",
            author: { name: "Giant Swarm GmbH" },
            repository: "https://github.com/giantswarm/claude-code",
            license: "Apache-2.0",
            keywords: ["giantswarm", "platform"],
          }),
        );
        const ref = reg.ref(`${PLUGINS}/gs-base`, "v1.0.0");
        const d = await client.describePlugin(ref);
        strictEqual(d.plugin.name, "gs-base");
        strictEqual(d.plugin.version, "v1.0.0");
        strictEqual(d.plugin.description, "A general purpose plugin");
        strictEqual(d.plugin.author?.name, "Giant Swarm GmbH");
        strictEqual(
          d.plugin.repository,
          "https://github.com/giantswarm/claude-code",
        );
        strictEqual(d.plugin.license, "Apache-2.0");
        strictEqual(d.plugin.skills?.length, 2);
        strictEqual(d.plugin.commands?.length, 2);
        deepStrictEqual(d.plugin.agents, ["code-reviewer"]);
        strictEqual(d.plugin.hasHooks, true);
        deepStrictEqual(d.plugin.mcpServers, ["github"]);
        strictEqual(d.tag, "v1.0.0");
        strictEqual(d.ref, ref);
        ok(d.digest !== "");
      });

      await t.step("DescribePlugin_Minimal", async () => {
        await plugin(
          "commit-commands",
          ["v1.0.0"],
          `{"commands":["commit","push","pr"]}`,
          {
            [ANN.name]: "commit-commands",
          },
        );
        const d = await client.describePlugin(
          reg.ref(`${PLUGINS}/commit-commands`, "v1.0.0"),
        );
        strictEqual(d.plugin.name, "commit-commands");
        strictEqual(d.plugin.version, "v1.0.0");
        strictEqual(d.plugin.author, undefined);
        strictEqual(d.plugin.commands?.length, 3);
      });

      await t.step("DescribePersonality", async () => {
        const config = JSON.stringify({
          toolchain: {
            repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            tag: "v1.0.0",
          },
          plugins: [
            {
              repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
              tag: "latest",
            },
            {
              repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre",
              tag: "v1.2.0",
            },
          ],
        });
        await personality(
          "sre",
          ["v1.0.0"],
          config,
          meta({
            name: "sre",
            description: "SRE personality",
            author: { name: "Giant Swarm GmbH" },
            repository: "https://github.com/giantswarm/klaus-personalities",
            license: "Apache-2.0",
            keywords: ["giantswarm", "sre", "kubernetes"],
          }),
        );
        const ref = reg.ref(`${PERSONALITIES}/sre`, "v1.0.0");
        const d = await client.describePersonality(ref);
        const p = d.personality;
        strictEqual(p.name, "sre");
        strictEqual(p.version, "v1.0.0");
        strictEqual(p.description, "SRE personality");
        strictEqual(p.author?.name, "Giant Swarm GmbH");
        strictEqual(
          p.repository,
          "https://github.com/giantswarm/klaus-personalities",
        );
        strictEqual(p.license, "Apache-2.0");
        strictEqual(p.keywords?.length, 3);
        strictEqual(
          p.toolchain?.repository,
          "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
        );
        strictEqual(p.toolchain?.tag, "v1.0.0");
        strictEqual(p.plugins?.length, 2);
        strictEqual(
          p.plugins[0].repository,
          "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
        );
        strictEqual(p.plugins[1].tag, "v1.2.0");
        strictEqual(d.tag, "v1.0.0");
        strictEqual(d.ref, ref);
        ok(d.digest !== "");
      });

      await t.step("DescribePersonality_Minimal", async () => {
        await personality(
          "go",
          ["v0.3.0"],
          `{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"latest"}}`,
          { [ANN.name]: "go" },
        );
        const p = (await client.describePersonality(
          reg.ref(`${PERSONALITIES}/go`, "v0.3.0"),
        ))
          .personality;
        strictEqual(p.name, "go");
        strictEqual(p.version, "v0.3.0");
        strictEqual(p.author, undefined);
        strictEqual(p.plugins?.length ?? 0, 0);
      });

      await t.step("DescribeToolchain (single image manifest)", async () => {
        const m = await seedArtifact(reg, `${TOOLCHAINS}/go`, ["v1.2.0"], {
          annotations: GO_TOOLCHAIN_FULL,
        });
        const ref = reg.ref(`${TOOLCHAINS}/go`, "v1.2.0");
        const d = await client.describeToolchain(ref);
        const tc = d.toolchain;
        strictEqual(tc.name, "go");
        strictEqual(tc.version, "v1.2.0");
        strictEqual(tc.description, "Go toolchain for Klaus");
        strictEqual(tc.author?.name, "Giant Swarm GmbH");
        strictEqual(tc.homepage, "https://docs.giantswarm.io/klaus/");
        strictEqual(
          tc.repository,
          "https://github.com/giantswarm/klaus-images",
        );
        strictEqual(tc.license, "Apache-2.0");
        strictEqual(tc.keywords?.length, 3);
        strictEqual(tc.keywords?.[0], "giantswarm");
        strictEqual(d.tag, "v1.2.0");
        strictEqual(d.ref, ref);
        strictEqual(d.digest, m.digest);
      });

      await t.step(
        "DescribeToolchain (image index, klaus-toolchains CI shape)",
        async () => {
          // As klaus-toolchains CI pushes them: buildx annotations on the
          // index; org.opencontainers.* too.
          const idx = await seedIndex(
            reg,
            `${TOOLCHAINS}/go-index`,
            ["0.1.14"],
            {
              [ANN.name]: "go",
              [ANN.description]: "Go toolchain for Klaus",
              [ANN.repository]:
                "https://github.com/giantswarm/klaus-toolchains",
              [ANN.license]: "Apache-2.0",
              [ANN.keywords]: "giantswarm,go,toolchain",
              [ANN.authorName]: "Giant Swarm GmbH",
              [ANN.authorUrl]: "https://giantswarm.io",
              "org.opencontainers.image.version": "0.1.14",
              "org.opencontainers.image.source":
                "https://github.com/giantswarm/klaus-toolchains",
            },
            {
              platforms: [
                {
                  architecture: "amd64",
                  annotations: { [ANN.name]: "per-platform-ignored" },
                },
                { architecture: "arm64" },
              ],
            },
          );
          const d = await client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/go-index`, "0.1.14"),
          );
          strictEqual(d.digest, idx.digest);
          deepStrictEqual(d.toolchain, {
            name: "go",
            version: "0.1.14",
            description: "Go toolchain for Klaus",
            author: { name: "Giant Swarm GmbH", url: "https://giantswarm.io" },
            repository: "https://github.com/giantswarm/klaus-toolchains",
            license: "Apache-2.0",
            keywords: ["giantswarm", "go", "toolchain"],
          });
        },
      );

      await t.step("DescribeToolchain_Minimal", async () => {
        await seedArtifact(reg, `${TOOLCHAINS}/python-single`, ["v0.5.0"], {
          configJson: {},
          annotations: {
            [ANN.name]: "python",
            [ANN.description]: "Python toolchain",
          },
        });
        const tc = (await client.describeToolchain(
          reg.ref(`${TOOLCHAINS}/python-single`, "v0.5.0"),
        ))
          .toolchain;
        strictEqual(tc.name, "python");
        strictEqual(tc.version, "v0.5.0");
        strictEqual(tc.description, "Python toolchain");
        strictEqual(tc.author, undefined);
        strictEqual(tc.keywords, undefined);
        strictEqual(tc.homepage ?? "", "");
      });

      await t.step("DescribePlugin_VersionFromTag", async () => {
        await plugin("versioned-plugin", ["v2.5.0"], "{}", {
          [ANN.name]: "versioned-plugin",
        });
        const d = await client.describePlugin(
          reg.ref(`${PLUGINS}/versioned-plugin`, "v2.5.0"),
        );
        strictEqual(d.plugin.version, "v2.5.0");
      });

      await t.step("DescribePlugin_NotFound", async () => {
        const ref = reg.ref(`${PLUGINS}/nonexistent`, "v1.0.0");
        const e = await errorOf(client.describePlugin(ref));
        ok(e instanceof NotFoundError, `${e}`);
        ok(e.message.includes(ref), e.message);
      });

      await t.step("DescribePlugin_InvalidConfigJSON", async () => {
        await plugin("bad-config", ["v1.0.0"], "not valid json");
        const ref = reg.ref(`${PLUGINS}/bad-config`, "v1.0.0");
        const e = await errorOf(client.describePlugin(ref));
        ok(e instanceof InvalidArtifactError, `${e}`);
        ok(
          e.message.startsWith(`parsing plugin config for ${ref}: `),
          e.message,
        );
      });

      await t.step("DescribePlugin_WithAllComponents", async () => {
        const config =
          `{"skills":["alpha","beta"],"commands":["cmd-one","cmd-two","cmd-three"],"agents":["agent-a"],"hasHooks":true,"mcpServers":["server-x","server-y"],"lspServers":["lsp-z"]}`;
        await plugin(
          "full-featured",
          ["v3.0.0"],
          config,
          meta({
            name: "full-featured",
            description: "A plugin with every component type",
            author: {
              name: "Test Author",
              email: "test@example.com",
              url: "https://example.com",
            },
            homepage: "https://docs.example.com",
            repository: "https://github.com/example/repo",
            license: "MIT",
            keywords: ["test", "full", "featured"],
          }),
        );
        const p = (await client.describePlugin(
          reg.ref(`${PLUGINS}/full-featured`, "v3.0.0"),
        ))
          .plugin;
        strictEqual(p.name, "full-featured");
        strictEqual(p.author?.email, "test@example.com");
        strictEqual(p.author?.url, "https://example.com");
        strictEqual(p.homepage, "https://docs.example.com");
        strictEqual(p.keywords?.length, 3);
        strictEqual(p.commands?.length, 3);
        strictEqual(p.mcpServers?.length, 2);
        deepStrictEqual(p.lspServers, ["lsp-z"]);
      });

      await t.step("DescribePersonality_VersionFromTag", async () => {
        await personality(
          "versioned",
          ["v3.1.0"],
          `{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"latest"}}`,
          { [ANN.name]: "versioned" },
        );
        const d = await client.describePersonality(
          reg.ref(`${PERSONALITIES}/versioned`, "v3.1.0"),
        );
        strictEqual(d.personality.version, "v3.1.0");
      });

      await t.step("DescribePersonality_NotFound", async () => {
        const e = await errorOf(
          client.describePersonality(
            reg.ref(`${PERSONALITIES}/nonexistent`, "v1.0.0"),
          ),
        );
        ok(e instanceof NotFoundError, `${e}`);
      });

      await t.step("DescribePersonality_InvalidConfigJSON", async () => {
        await personality("bad", ["v1.0.0"], "{invalid json}");
        const ref = reg.ref(`${PERSONALITIES}/bad`, "v1.0.0");
        const e = await errorOf(client.describePersonality(ref));
        ok(
          e.message.startsWith(`parsing personality config for ${ref}: `),
          e.message,
        );
      });

      await t.step("DescribePersonality_WithPinnedDeps", async () => {
        const config = JSON.stringify({
          toolchain: {
            repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            tag: "v1.2.0",
          },
          plugins: ["gs-base", "gs-godev", "gs-product"].map((n) => ({
            repository: `gsoci.azurecr.io/giantswarm/klaus-plugins/${n}`,
            tag: "v0.1.0",
          })),
        });
        await personality(
          "program-manager",
          ["v2.0.0"],
          config,
          meta({
            name: "program-manager",
            description: "Program manager personality",
            author: { name: "Giant Swarm GmbH" },
            repository: "https://github.com/giantswarm/klaus-personalities",
            license: "Apache-2.0",
            keywords: ["giantswarm", "management"],
          }),
        );
        const p = (await client.describePersonality(
          reg.ref(`${PERSONALITIES}/program-manager`, "v2.0.0"),
        )).personality;
        strictEqual(p.version, "v2.0.0");
        strictEqual(p.plugins?.length, 3);
        for (const ref of p.plugins ?? []) strictEqual(ref.tag, "v0.1.0");
        strictEqual(p.toolchain?.tag, "v1.2.0");
      });

      await t.step("DescribeToolchain_NotFound", async () => {
        const e = await errorOf(
          client.describeToolchain(
            reg.ref(`${TOOLCHAINS}/nonexistent`, "v1.0.0"),
          ),
        );
        ok(e instanceof NotFoundError, `${e}`);
      });

      await t.step("DescribeToolchain_NoAnnotations", async () => {
        await seedArtifact(reg, `${TOOLCHAINS}/bare`, ["v0.1.0"], {
          configJson: {},
        });
        const tc = (await client.describeToolchain(
          reg.ref(`${TOOLCHAINS}/bare`, "v0.1.0"),
        ))
          .toolchain;
        strictEqual(tc.name, "");
        strictEqual(tc.description ?? "", "");
        strictEqual(tc.author, undefined);
        strictEqual(tc.version, "v0.1.0");
      });

      await t.step("DescribeToolchain_VersionFromTag", async () => {
        await seedArtifact(reg, `${TOOLCHAINS}/go-vft`, ["v1.2.0"], {
          configJson: {},
          annotations: {
            [ANN.name]: "go",
            "org.opencontainers.image.version": "v999.0.0",
          },
        });
        const tc = (await client.describeToolchain(
          reg.ref(`${TOOLCHAINS}/go-vft`, "v1.2.0"),
        ))
          .toolchain;
        strictEqual(tc.version, "v1.2.0");
      });

      await t.step("ToolchainFromAnnotations_SingleKeyword", async () => {
        await seedIndex(reg, `${TOOLCHAINS}/single-kw`, ["1.0.0"], {
          [ANN.name]: "test",
          [ANN.keywords]: "single",
        });
        const tc = (await client.describeToolchain(
          reg.ref(`${TOOLCHAINS}/single-kw`, "1.0.0"),
        ))
          .toolchain;
        deepStrictEqual(tc.keywords, ["single"]);
      });

      // Digest references give an empty tag and version (Go puts the digest
      // there; README, "Differences from klaus-oci (Go)"), on every
      // resolution path of describe.
      await t.step("digest references: tag and version are empty", async () => {
        const pushed = await plugin(
          "by-digest",
          ["v1.0.0"],
          `{"commands":["hello"]}`,
          {
            [ANN.name]: "by-digest",
          },
        );
        const ref = reg.ref(`${PLUGINS}/by-digest`, pushed.digest);
        const d = await client.describePlugin(ref);
        deepStrictEqual(
          {
            ref: d.ref,
            tag: d.tag,
            digest: d.digest,
            version: d.plugin.version,
          },
          { ref, tag: "", digest: pushed.digest, version: "" },
        );
        strictEqual(d.plugin.name, "by-digest");
        const idx = await seedIndex(reg, `${TOOLCHAINS}/tc-digest`, ["2.0.0"], {
          [ANN.name]: "go",
        });
        const td = await client.describeToolchain(
          reg.ref(`${TOOLCHAINS}/tc-digest`, idx.digest),
        );
        deepStrictEqual([td.tag, td.toolchain.version, td.digest], [
          "",
          "",
          idx.digest,
        ]);
      });

      await t.step(
        "short names and latest resolve to the highest semver tag",
        async () => {
          await plugin(
            "multi",
            ["v0.1.0", "v0.10.0", "v0.9.0", "latest"],
            "{}",
            { [ANN.name]: "multi" },
          );
          for (
            const r of [
              "multi",
              "multi:latest",
              reg.ref(`${PLUGINS}/multi`),
              reg.ref(`${PLUGINS}/multi`, "latest"),
            ]
          ) {
            const d = await client.describePlugin(r);
            strictEqual(d.ref, reg.ref(`${PLUGINS}/multi`, "v0.10.0"), r);
            strictEqual(d.tag, "v0.10.0");
            strictEqual(d.plugin.version, "v0.10.0");
          }
          const tc = await client.describeToolchain("go-index");
          strictEqual(tc.ref, reg.ref(`${TOOLCHAINS}/go-index`, "0.1.14"));
          const pe = await client.describePersonality("sre");
          strictEqual(pe.ref, reg.ref(`${PERSONALITIES}/sre`, "v1.0.0"));
          const e = await errorOf(client.describePlugin("no-such-plugin"));
          ok(
            e.message.startsWith(`resolving plugin ref "no-such-plugin": `),
            e.message,
          );
        },
      );
    } finally {
      await client.close();
      await reg.stop();
    }
  },
});
