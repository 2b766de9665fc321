/**
 * pull_test.go of the Go module — there unit tests of the parts a
 * pull assembles — ported as real pulls from a real registry, with the same
 * assertions; plus the `.oci-cache.json` a Go pull leaves, as ours leaves it,
 * `isCached` / `readCacheEntry` after a pull, and the warnings for skipped
 * archive entries.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { CACHE_FILE_NAME } from "../../src/artifact/cache_entry.ts";
import {
  InvalidReferenceError,
  isCached,
  NotFoundError,
  readCacheEntry,
  writeCacheEntry,
} from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { tarGz } from "../harness/seed.ts";
import {
  ANN,
  clientFor,
  errorOf,
  MT,
  rawPush,
  snapshotTree,
  straySiblings,
  withTempDir,
  writeTree,
} from "./fixtures_ops.ts";

const PERS = "giantswarm/klaus-personalities";
const PLUG = "giantswarm/klaus-plugins";

async function personality(
  reg: RegistryHandle,
  repo: string,
  tag: string,
  config: unknown,
  annotations: Record<string, string> | undefined,
  files: Record<string, string>,
) {
  return await rawPush(reg, `${PERS}/${repo}`, [tag], {
    config: JSON.stringify(config),
    configMediaType: MT.personalityConfig,
    annotations,
    layers: [{ mediaType: MT.personalityContent, bytes: await tarGz(files) }],
  });
}

Deno.test({
  name: "pull (pull_test.go against a real registry)",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg);
    try {
      await t.step("ParsePersonalityFromDir", async () => {
        const pushed = await personality(
          reg,
          "sre",
          "v1.0.0",
          {
            toolchain: {
              repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
              tag: "v1.0.0",
            },
            plugins: [{
              repository:
                "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-platform",
              tag: "v1.2.0",
            }],
          },
          { [ANN.name]: "sre", [ANN.description]: "SRE personality" },
          {
            "SOUL.md": "You are an SRE.",
          },
        );
        await withTempDir(async (tmp) => {
          const dir = `${tmp}/sre`;
          const ref = reg.ref(`${PERS}/sre`, "v1.0.0");
          const p = await client.pullPersonality(ref, dir);
          strictEqual(p.personality.name, "sre");
          strictEqual(p.personality.version, "v1.0.0");
          strictEqual(p.personality.description, "SRE personality");
          strictEqual(
            p.personality.toolchain?.repository,
            "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
          );
          strictEqual(p.personality.plugins?.length, 1);
          strictEqual(p.personality.plugins[0].tag, "v1.2.0");
          strictEqual(p.soul, "You are an SRE.");
          strictEqual(p.dir, dir);
          strictEqual(p.digest, pushed.digest);
          strictEqual(p.ref, ref);
          strictEqual(p.tag, "v1.0.0");
          strictEqual(p.cached, false);
        });
      });

      await t.step("ParsePersonalityFromDir_CachedWithConfig", async () => {
        await personality(reg, "cached", "v1.0.0", {
          toolchain: { repository: "" },
        }, {
          [ANN.name]: "cached",
          [ANN.description]: "cached personality",
        }, { "README.md": "no soul here" });
        await withTempDir(async (tmp) => {
          const ref = reg.ref(`${PERS}/cached`, "v1.0.0");
          const first = await client.pullPersonality(ref, `${tmp}/c`);
          strictEqual(first.cached, false);
          const p = await client.pullPersonality(ref, `${tmp}/c`);
          strictEqual(p.personality.name, "cached");
          strictEqual(p.personality.description, "cached personality");
          strictEqual(p.cached, true);
          strictEqual(p.soul, "");
        });
      });

      await t.step("ParsePersonalityFromDir_NoFiles", async () => {
        await personality(reg, "empty", "v1.0.0", {}, undefined, {});
        await withTempDir(async (tmp) => {
          const p = await client.pullPersonality(
            reg.ref(`${PERS}/empty`, "v1.0.0"),
            `${tmp}/e`,
          );
          strictEqual(p.personality.description ?? "", "");
          strictEqual(p.personality.name, "");
          strictEqual(p.soul, "");
          deepStrictEqual(await snapshotTree(`${tmp}/e`), {
            [CACHE_FILE_NAME]:
              (await snapshotTree(`${tmp}/e`))[CACHE_FILE_NAME],
          });
        });
      });

      await t.step("PluginFromAnnotations", async () => {
        await rawPush(reg, `${PLUG}/gs-platform`, ["v1"], {
          config: `{"skills":["kubernetes"]}`,
          configMediaType: MT.pluginConfig,
          annotations: { [ANN.name]: "gs-platform" },
          layers: [{
            mediaType: MT.pluginContent,
            bytes: await tarGz({ "skills/kubernetes/SKILL.md": "# k8s" }),
          }],
        });
        await withTempDir(async (tmp) => {
          const p = await client.pullPlugin(
            reg.ref(`${PLUG}/gs-platform`, "v1"),
            `${tmp}/p`,
          );
          strictEqual(p.plugin.name, "gs-platform");
          strictEqual(p.plugin.version, "v1");
          deepStrictEqual(p.plugin.skills, ["kubernetes"]);
          strictEqual(
            await Deno.readTextFile(`${tmp}/p/skills/kubernetes/SKILL.md`),
            "# k8s",
          );
        });
      });

      await t.step("PluginFromAnnotations_Full", async () => {
        await rawPush(reg, `${PLUG}/full-plugin`, ["v2.0.0"], {
          config:
            `{"skills":["alpha","beta"],"commands":["cmd-a","cmd-b"],"agents":["agent-x"],"hasHooks":true,"mcpServers":["mcp-one"],"lspServers":["lsp-one"]}`,
          configMediaType: MT.pluginConfig,
          annotations: {
            [ANN.name]: "full-plugin",
            [ANN.description]: "A full-featured plugin",
            [ANN.authorName]: "Test",
            [ANN.authorEmail]: "test@test.com",
            [ANN.repository]: "https://github.com/test/repo",
            [ANN.license]: "MIT",
            [ANN.keywords]: "test",
          },
          layers: [{
            mediaType: MT.pluginContent,
            bytes: await tarGz({ "commands/cmd-a.md": "a" }),
          }],
        });
        await withTempDir(async (tmp) => {
          const p = (await client.pullPlugin(
            reg.ref(`${PLUG}/full-plugin`, "v2.0.0"),
            `${tmp}/p`,
          )).plugin;
          strictEqual(p.name, "full-plugin");
          strictEqual(p.version, "v2.0.0");
          strictEqual(p.author?.email, "test@test.com");
          strictEqual(p.hasHooks, true);
          strictEqual(p.mcpServers?.length, 1);
          strictEqual(p.lspServers?.length, 1);
          strictEqual(p.agents?.length, 1);
        });
      });

      await t.step("ParsePersonalityFromDir_NilConfigJSON", async () => {
        // An old `.oci-cache.json` without configJSON and annotations (as
        // the Go module wrote it before v0.0.9) answers the pull: metadata is lost,
        // the version is the tag.
        const pushed = await personality(
          reg,
          "no-config",
          "v1.0.0",
          {
            toolchain: { repository: "example.com/go" },
          },
          { [ANN.name]: "no-config" },
          {},
        );
        await withTempDir(async (tmp) => {
          const dir = `${tmp}/n`;
          await Deno.mkdir(dir);
          const ref = reg.ref(`${PERS}/no-config`, "v1.0.0");
          await writeCacheEntry(dir, { digest: pushed.digest, ref });
          const p = await client.pullPersonality(ref, dir);
          strictEqual(p.cached, true);
          strictEqual(p.personality.name, "");
          strictEqual(p.personality.version, "v1.0.0");
        });
      });

      await t.step("ParsePersonalityFromDir_WithFullMetadata", async () => {
        await personality(reg, "sre", "v2.0.0", {
          toolchain: {
            repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            tag: "v1.2.0",
          },
          plugins: [
            {
              repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
              tag: "v0.1.0",
            },
            {
              repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre",
              tag: "v0.2.0",
            },
          ],
        }, {
          [ANN.name]: "sre",
          [ANN.description]: "SRE personality",
          [ANN.authorName]: "Giant Swarm GmbH",
          [ANN.repository]: "https://github.com/giantswarm/klaus-personalities",
          [ANN.license]: "Apache-2.0",
          [ANN.keywords]: "giantswarm,sre",
        }, { "SOUL.md": "# SRE Personality\n\nYou are an SRE expert." });
        await withTempDir(async (tmp) => {
          const dir = `${tmp}/sre`;
          const p = await client.pullPersonality(
            reg.ref(`${PERS}/sre`, "v2.0.0"),
            dir,
          );
          strictEqual(p.personality.name, "sre");
          strictEqual(p.personality.version, "v2.0.0");
          strictEqual(p.personality.author?.name, "Giant Swarm GmbH");
          strictEqual(p.personality.license, "Apache-2.0");
          strictEqual(p.personality.keywords?.length, 2);
          strictEqual(
            p.personality.toolchain?.repository,
            "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
          );
          strictEqual(p.personality.toolchain?.tag, "v1.2.0");
          strictEqual(p.personality.plugins?.length, 2);
          strictEqual(p.soul, "# SRE Personality\n\nYou are an SRE expert.");
          strictEqual(p.dir, dir);
        });
      });

      await t.step(
        ".oci-cache.json as Go writes it; isCached, readCacheEntry",
        async () => {
          const config = `{"skills":["b<&>"],"commands":["a"]}`;
          const pushed = await rawPush(reg, `${PLUG}/cache-shape`, ["v1.0.0"], {
            config,
            configMediaType: MT.pluginConfig,
            annotations: {
              [ANN.name]: "cache-shape",
              [ANN.authorName]: "A",
              [ANN.description]: "d",
            },
            layers: [{
              mediaType: MT.pluginContent,
              bytes: await tarGz({
                "commands/a.md": "hello\n",
                "x/y/z.txt": "deep",
              }),
            }],
          });
          await withTempDir(async (tmp) => {
            const dir = `${tmp}/plugins/cache-shape`;
            const ref = reg.ref(`${PLUG}/cache-shape`, "v1.0.0");
            strictEqual(await isCached(dir, pushed.digest), false);
            const before = Date.now();
            await client.pullPlugin(ref, dir);
            const text = await Deno.readTextFile(`${dir}/${CACHE_FILE_NAME}`);
            // Go's MarshalIndent: keys in order, two spaces, no trailing newline,
            // configJSON nested and, as Go compacts a RawMessage with HTML
            // escaping, `<&>` written as \u003c\u0026\u003e; annotation keys
            // sorted.
            const m = text.match(/"pulledAt": "([^"]+)"/);
            ok(m, text);
            const expected = [
              "{",
              `  "digest": "${pushed.digest}",`,
              `  "ref": "${ref}",`,
              `  "pulledAt": "${m[1]}",`,
              `  "configJSON": {`,
              `    "skills": [`,
              `      "b\\u003c\\u0026\\u003e"`,
              `    ],`,
              `    "commands": [`,
              `      "a"`,
              `    ]`,
              `  },`,
              `  "annotations": {`,
              `    "${ANN.authorName}": "A",`,
              `    "${ANN.description}": "d",`,
              `    "${ANN.name}": "cache-shape"`,
              `  }`,
              "}",
            ].join("\n");
            strictEqual(text, expected);
            ok(
              /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/
                .test(m[1]),
              m[1],
            );
            const at = Date.parse(m[1]);
            ok(at >= before - 1000 && at <= Date.now() + 1000, m[1]);
            strictEqual(
              (await Deno.stat(`${dir}/${CACHE_FILE_NAME}`)).mode! & 0o777,
              0o644,
            );
            strictEqual(await isCached(dir, pushed.digest), true);
            strictEqual(await isCached(dir, "sha256:" + "0".repeat(64)), false);
            const entry = await readCacheEntry(dir);
            deepStrictEqual(entry, {
              digest: pushed.digest,
              ref,
              pulledAt: m[1],
              configJSON: { skills: ["b<&>"], commands: ["a"] },
              annotations: {
                [ANN.authorName]: "A",
                [ANN.description]: "d",
                [ANN.name]: "cache-shape",
              },
            });
            strictEqual(
              await Deno.readTextFile(`${dir}/commands/a.md`),
              "hello\n",
            );
            strictEqual(await Deno.readTextFile(`${dir}/x/y/z.txt`), "deep");
            deepStrictEqual(await straySiblings(dir), []);
          });
        },
      );

      await t.step(
        "a pull of another version replaces the tree exactly",
        async () => {
          await rawPush(reg, `${PLUG}/swap`, ["v1"], {
            config: "{}",
            configMediaType: MT.pluginConfig,
            layers: [{
              mediaType: MT.pluginContent,
              bytes: await tarGz({ "old.txt": "old", "keep/a.txt": "1" }),
            }],
          });
          await rawPush(reg, `${PLUG}/swap`, ["v2"], {
            config: "{}",
            configMediaType: MT.pluginConfig,
            layers: [{
              mediaType: MT.pluginContent,
              bytes: await tarGz({ "new.txt": "new", "keep/a.txt": "2" }),
            }],
          });
          await withTempDir(async (tmp) => {
            const dir = `${tmp}/swap`;
            await client.pullPlugin(reg.ref(`${PLUG}/swap`, "v1"), dir);
            await Deno.writeTextFile(`${dir}/local-edit.txt`, "mine");
            const p = await client.pullPlugin(
              reg.ref(`${PLUG}/swap`, "v2"),
              dir,
            );
            strictEqual(p.cached, false);
            const tree = await snapshotTree(dir);
            deepStrictEqual(Object.keys(tree).sort(), [
              CACHE_FILE_NAME,
              "keep",
              "keep/a.txt",
              "new.txt",
            ]);
            strictEqual(await Deno.readTextFile(`${dir}/keep/a.txt`), "2");
            deepStrictEqual(await straySiblings(dir), []);
          });
        },
      );

      await t.step(
        "concurrent pulls into one directory stay consistent",
        async () => {
          for (const v of ["c1", "c2"]) {
            await rawPush(reg, `${PLUG}/concurrent`, [v], {
              config: `{"commands":["${v}"]}`,
              configMediaType: MT.pluginConfig,
              layers: [{
                mediaType: MT.pluginContent,
                bytes: await tarGz({
                  [`commands/${v}.md`]: v,
                  "big.txt": v.repeat(200_000),
                }),
              }],
            });
          }
          await withTempDir(async (tmp) => {
            const dir = `${tmp}/concurrent`;
            for (let round = 0; round < 3; round++) {
              const tags = ["c1", "c2", "c1", "c2", "c1", "c2"];
              const results = await Promise.all(
                tags.map((v) =>
                  client.pullPlugin(reg.ref(`${PLUG}/concurrent`, v), dir)
                ),
              );
              // Each result describes what its own reference pulled.
              results.forEach((r, i) =>
                deepStrictEqual(r.plugin.commands, [tags[i]])
              );
              // The directory holds one complete version, matching its entry.
              const entry = await readCacheEntry(dir);
              const v =
                (entry.configJSON as { commands: string[] }).commands[0];
              const names = Object.keys(await snapshotTree(dir)).sort();
              deepStrictEqual(names, [
                CACHE_FILE_NAME,
                "big.txt",
                "commands",
                `commands/${v}.md`,
              ]);
              strictEqual(
                await Deno.readTextFile(`${dir}/big.txt`),
                v.repeat(200_000),
              );
              deepStrictEqual(await straySiblings(dir), []);
              await Deno.remove(dir, { recursive: true });
            }
          });
        },
      );

      await t.step(
        "skipped symlinks are reported through onWarning",
        async () => {
          await withTempDir(async (tmp) => {
            // GNU tar (`./`-prefixed entries) of a tree with a symlink and a
            // hard link.
            const src = `${tmp}/src`;
            await writeTree(src, {
              "commands/hello.md": "hi",
              "target.txt": "t",
            });
            await Deno.symlink("target.txt", `${src}/link.txt`);
            await Deno.symlink("/etc/passwd", `${src}/commands/passwd.md`);
            await Deno.link(`${src}/target.txt`, `${src}/hard.txt`);
            const tgz = `${tmp}/x.tgz`;
            const out = await new Deno.Command("tar", {
              args: ["-czf", tgz, "-C", src, "."],
              stdout: "null",
              stderr: "piped",
            }).output();
            strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
            await rawPush(reg, `${PLUG}/links`, ["v1"], {
              config: `{"commands":["hello"]}`,
              configMediaType: MT.pluginConfig,
              layers: [{
                mediaType: MT.pluginContent,
                bytes: await Deno.readFile(tgz),
              }],
            });
            const warnings: string[] = [];
            const dir = `${tmp}/dest`;
            await client.pullPlugin(reg.ref(`${PLUG}/links`, "v1"), dir, {
              onWarning: (w) => warnings.push(w),
            });
            strictEqual(warnings.length, 3, warnings.join("\n"));
            ok(
              warnings.some((w) =>
                w.includes("link.txt") && /symlink|symbolic/i.test(w)
              ),
              warnings.join("\n"),
            );
            ok(
              warnings.some((w) => w.includes("commands/passwd.md")),
              warnings.join("\n"),
            );
            // One of target.txt / hard.txt is stored as a hard link by tar.
            ok(
              warnings.some((w) =>
                /hard ?link|link/i.test(w) && /(target|hard)\.txt/.test(w)
              ),
              warnings.join("\n"),
            );
            strictEqual(
              await Deno.readTextFile(`${dir}/commands/hello.md`),
              "hi",
            );
            for (const name of ["link.txt", "commands/passwd.md"]) {
              const e = await errorOf(Deno.lstat(`${dir}/${name}`));
              ok(e instanceof Deno.errors.NotFound, name);
            }
          });
        },
      );

      await t.step("reference errors (the Go wording)", async () => {
        await withTempDir(async (tmp) => {
          const noTag = reg.ref(`${PLUG}/swap`);
          const e1 = await errorOf(client.pullPlugin(noTag, `${tmp}/x`));
          ok(e1 instanceof InvalidReferenceError);
          strictEqual(
            e1.message,
            `reference "${noTag}" must include a tag or digest`,
          );
          const gone = reg.ref(`${PLUG}/swap`, "v9");
          const e2 = await errorOf(client.pullPlugin(gone, `${tmp}/x`));
          ok(e2 instanceof NotFoundError);
          ok(e2.message.startsWith(`resolving ${gone}: `), e2.message);
          // A personality is not a plugin: no plugin content layer.
          const pref = reg.ref(`${PERS}/sre`, "v1.0.0");
          const e3 = await errorOf(client.pullPlugin(pref, `${tmp}/x`));
          strictEqual(
            e3.message,
            `no content layer found in ${pref} (expected media type ${MT.pluginContent})`,
          );
          // Nothing was created for failed pulls.
          deepStrictEqual([...Deno.readDirSync(tmp)], []);
        });
      });

      await t.step("file modes survive a push and a pull", async () => {
        await withTempDir(async (tmp) => {
          await writeTree(`${tmp}/src`, {
            "hooks/run.sh": "#!/bin/sh\necho hi\n",
            "private.txt": "secret",
            "commands/hello.md": "hello",
          });
          await Deno.chmod(`${tmp}/src/hooks/run.sh`, 0o755);
          await Deno.chmod(`${tmp}/src/private.txt`, 0o600);
          await Deno.chmod(`${tmp}/src/commands/hello.md`, 0o644);
          const ref = reg.ref(`${PLUG}/modes`, "v1");
          await client.pushPlugin(`${tmp}/src`, ref, { name: "modes" });
          await client.pullPlugin(ref, `${tmp}/dest`);
          const tree = await snapshotTree(`${tmp}/dest`);
          const src = await snapshotTree(`${tmp}/src`);
          for (
            const f of ["hooks/run.sh", "private.txt", "commands/hello.md"]
          ) {
            strictEqual(tree[f], src[f], f);
          }
          ok(tree["hooks/run.sh"].startsWith("file 755 "));
          ok(tree["private.txt"].startsWith("file 600 "));
        });
      });

      await t.step(
        "a pull by digest: tag and version empty, then cached offline",
        async () => {
          const pushed = await personality(reg, "digest", "v3.0.0", {}, {
            [ANN.name]: "d",
          }, {
            "SOUL.md": "soul",
          });
          await withTempDir(async (tmp) => {
            const ref = reg.ref(`${PERS}/digest`, pushed.digest);
            const p = await client.pullPersonality(ref, `${tmp}/d`);
            deepStrictEqual(
              [p.ref, p.tag, p.digest, p.personality.version, p.soul, p.cached],
              [ref, "", pushed.digest, "", "soul", false],
            );
            const again = await client.pullPersonality(ref, `${tmp}/d`);
            strictEqual(again.cached, true);
            strictEqual(again.tag, "");
          });
        },
      );
    } finally {
      await client.close();
      await reg.stop();
    }
  },
});
