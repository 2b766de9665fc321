/**
 * listing_test.go of the Go module, every test and assertion,
 * against a real registry (its catalog is sorted and honours `last`, as the
 * Go test registry). Adapted where we differ on purpose (README,
 * "Differences from klaus-oci (Go)"): repositories that are dropped are
 * reported through `onWarning`, naming the repository.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { ListEntry } from "../../src/mod.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { sortedSemverTags } from "../../src/ref/semver_tags.ts";
import { missing } from "../harness/require.ts";
import {
  freePort,
  type RegistryHandle,
  startRegistry,
} from "../harness/registry.ts";
import { clientFor, errorOf, MT, rawPush } from "./fixtures_ops.ts";

/** A repository per name with those tags (no tags: pushed by digest only). */
async function repos(
  reg: RegistryHandle,
  layout: Record<string, string[]>,
): Promise<void> {
  for (const [repo, tags] of Object.entries(layout)) {
    await rawPush(reg, repo, tags, {
      config: `{"commands":["${repo.split("/").pop()}"]}`,
      configMediaType: MT.pluginConfig,
    });
  }
}

Deno.test({
  name: "listing (listing_test.go against a real registry)",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg);
    const store = new RegistryStore({ plainHttp: true });
    const h = reg.host;
    try {
      await t.step("ListRepositories", async (t) => {
        await repos(reg, {
          "giantswarm/aaa": [],
          "giantswarm/klaus-plugins-extra/foo": ["v1.0.0"],
          "giantswarm/klaus-plugins/gs-base": ["v0.1.0", "v0.2.0"],
          "giantswarm/klaus-plugins/gs-platform": ["v1.0.0", "v1.1.0"],
          "giantswarm/klaus-plugins/no-semver": ["latest", "dev"],
          "giantswarm/zzz": [],
        });
        const cases: [string, string, string[]][] = [
          ["matches only repos under prefix", `${h}/giantswarm/klaus-plugins`, [
            `${h}/giantswarm/klaus-plugins/gs-base`,
            `${h}/giantswarm/klaus-plugins/gs-platform`,
            `${h}/giantswarm/klaus-plugins/no-semver`,
          ]],
          [
            "similar prefix not included",
            `${h}/giantswarm/klaus-plugins-extra`,
            [`${h}/giantswarm/klaus-plugins-extra/foo`],
          ],
          ["no matches returns nil", `${h}/giantswarm/nonexistent`, []],
        ];
        for (const [name, base, want] of cases) {
          await t.step(name, async () => {
            const got = await store.listRepositories(base);
            deepStrictEqual([...got].sort(), [...want].sort());
          });
        }
      });

      const base = `${h}/giantswarm/klaus-plugins`;
      await t.step("ListArtifacts", async (t) => {
        await t.step("discovers artifacts with latest semver", async () => {
          const warnings: string[] = [];
          const a = await client.listPlugins({
            registry: base,
            onWarning: (w) => warnings.push(w),
          });
          strictEqual(a.length, 2, JSON.stringify(a));
          ok(a[0].repository.endsWith("gs-base"));
          ok(a[0].reference.endsWith(":v0.2.0"));
          ok(a[1].repository.endsWith("gs-platform"));
          ok(a[1].reference.endsWith(":v1.1.0"));
          // Dropped, as in Go, but reported (decision 12).
          deepStrictEqual(warnings, [
            `${base}/no-semver: no semver tags found for ${base}/no-semver`,
          ]);
        });
        await t.step("WithFilter keeps only matching repos", async () => {
          const a = await client.listPlugins({
            registry: base,
            filter: (r) => r.endsWith("gs-base"),
          });
          strictEqual(a.length, 1);
          ok(a[0].repository.endsWith("gs-base"));
        });
        await t.step("WithFilter rejecting all returns empty", async () => {
          const seen: string[] = [];
          const a = await client.listPlugins({
            registry: base,
            filter: () => false,
            onWarning: (w) => seen.push(w),
          });
          strictEqual(a.length, 0);
          // Filtered repositories are never contacted, so never reported.
          deepStrictEqual(seen, []);
        });
      });

      await t.step("ListPersonalities", async (t) => {
        await repos(reg, {
          "giantswarm/klaus-personalities/sre": ["v0.1.0", "v0.2.0"],
          "giantswarm/klaus-personalities/engineer": ["v1.0.0"],
          "giantswarm/klaus-personalities/no-semver": ["latest"],
        });
        await t.step(
          "discovers personalities with name and version",
          async () => {
            // The default base of the client points at this registry.
            const p = await client.listPersonalities();
            strictEqual(p.length, 2);
            strictEqual(p[0].name, "engineer");
            strictEqual(p[0].version, "v1.0.0");
            strictEqual(p[1].name, "sre");
            strictEqual(p[1].version, "v0.2.0");
          },
        );
        await t.step("WithFilter narrows results", async () => {
          const p = await client.listPersonalities({
            registry: `${h}/giantswarm/klaus-personalities`,
            filter: (r) => r.endsWith("sre"),
          });
          strictEqual(p.length, 1);
          strictEqual(p[0].name, "sre");
        });
      });

      await t.step("ListPlugins", async () => {
        const p = await client.listPlugins();
        strictEqual(p.length, 2);
        strictEqual(p[0].name, "gs-base");
        strictEqual(p[0].version, "v0.2.0");
        strictEqual(p[1].name, "gs-platform");
      });

      await t.step("ListToolchains", async () => {
        await repos(reg, {
          "giantswarm/klaus-toolchains/go": ["v1.0.0", "v1.1.0"],
          "giantswarm/klaus-toolchains/python": ["v0.5.0"],
        });
        const tc = await client.listToolchains({
          registry: `${h}/giantswarm/klaus-toolchains`,
        });
        strictEqual(tc.length, 2);
        strictEqual(tc[0].name, "go");
        strictEqual(tc[0].version, "v1.1.0");
        strictEqual(tc[1].name, "python");
      });

      await t.step("WithRegistry", async () => {
        await repos(reg, {
          "custom/team/plugins/alpha": ["v2.0.0"],
          "custom/team/plugins/beta": ["v3.0.0"],
        });
        const p = await client.listPlugins({
          registry: `${h}/custom/team/plugins`,
        });
        strictEqual(p.length, 2);
        strictEqual(p[0].name, "alpha");
        strictEqual(p[1].name, "beta");
      });

      await t.step("ListPluginVersions", async (t) => {
        await repos(reg, {
          "giantswarm/klaus-plugins/gs-versions": [
            "v0.1.0",
            "v0.3.0",
            "v0.2.0",
            "latest",
            "dev",
          ],
        });
        await t.step(
          "short name with default registry fails for test server",
          async () => {
            // The default base is unreachable from the test (nothing listens).
            const offline = clientFor(reg, {
              registries: { plugin: `127.0.0.1:${freePort()}/x` },
            });
            const e = await errorOf(offline.listPluginVersions("gs-base"));
            ok(e.message.startsWith("listing versions for 127.0.0.1:"));
          },
        );
        await t.step("short name against the configured base", async () => {
          deepStrictEqual(await client.listPluginVersions("gs-versions"), [
            "v0.3.0",
            "v0.2.0",
            "v0.1.0",
          ]);
        });
        await t.step("full repo returns semver tags descending", async () => {
          deepStrictEqual(
            await client.listPluginVersions(`${base}/gs-versions`),
            ["v0.3.0", "v0.2.0", "v0.1.0"],
          );
        });
        await t.step("empty ref returns error", async () => {
          const e = await errorOf(client.listPluginVersions(""));
          strictEqual(e.message, "empty artifact reference");
        });
        await t.step("whitespace-only ref returns error", async () => {
          const e = await errorOf(client.listPluginVersions("   "));
          strictEqual(e.message, "empty artifact reference");
        });
        await t.step("unknown repository returns error", async () => {
          const e = await errorOf(
            client.listPluginVersions(`${base}/nonexistent`),
          );
          ok(
            e.message.startsWith(
              `listing versions for ${base}/nonexistent: listing tags for`,
            ),
            e.message,
          );
        });
      });

      await t.step("ListPersonalityVersions", async () => {
        await repos(reg, {
          "giantswarm/klaus-personalities/sre-versions": [
            "v1.0.0",
            "v0.2.0",
            "v0.1.0",
            "latest",
          ],
        });
        deepStrictEqual(
          await client.listPersonalityVersions(
            `${h}/giantswarm/klaus-personalities/sre-versions`,
          ),
          ["v1.0.0", "v0.2.0", "v0.1.0"],
        );
      });

      await t.step("ListToolchainVersions", async () => {
        await repos(reg, {
          "giantswarm/klaus-toolchains/go-versions": [
            "v1.1.0",
            "v1.0.0",
            "v0.9.0",
            "nightly",
          ],
        });
        deepStrictEqual(
          await client.listToolchainVersions(
            `${h}/giantswarm/klaus-toolchains/go-versions`,
          ),
          ["v1.1.0", "v1.0.0", "v0.9.0"],
        );
        // Toolchain tags have no `v` (as klaus-toolchains CI tags them) and
        // sort with the others.
        await repos(reg, {
          "giantswarm/klaus-toolchains/go-bare": ["0.1.9", "0.1.14", "0.1.2"],
        });
        deepStrictEqual(await client.listToolchainVersions("go-bare"), [
          "0.1.14",
          "0.1.9",
          "0.1.2",
        ]);
      });

      await t.step("ListVersionsNoSemverTags", async () => {
        await repos(reg, {
          "giantswarm/klaus-plugins/dev-only": ["latest", "dev", "main"],
        });
        deepStrictEqual(
          await client.listPluginVersions(`${base}/dev-only`),
          [],
        );
      });

      await t.step("ExtractNameVersion (ListEntry fields)", async () => {
        const entries = await client.listPlugins();
        const e = entries.find((x) => x.name === "gs-base") as ListEntry;
        deepStrictEqual(e, {
          name: "gs-base",
          version: "v0.2.0",
          repository: `${base}/gs-base`,
          reference: `${base}/gs-base:v0.2.0`,
        });
      });

      await t.step("SortedSemverTags (through the registry)", async (t) => {
        const cases: [string, string[], string[]][] = [
          ["multiple versions sorted descending", [
            "v0.1.0",
            "v1.0.0",
            "v0.5.0",
          ], [
            "v1.0.0",
            "v0.5.0",
            "v0.1.0",
          ]],
          ["non-semver tags filtered out", [
            "v1.0.0",
            "latest",
            "main",
            "v0.5.0",
            "dev",
          ], ["v1.0.0", "v0.5.0"]],
          ["pre-release before release", ["v1.0.0", "v1.1.0-rc.1", "v0.9.0"], [
            "v1.1.0-rc.1",
            "v1.0.0",
            "v0.9.0",
          ]],
          ["single tag", ["v1.0.0"], ["v1.0.0"]],
          ["no semver tags", ["latest", "main"], []],
          ["patch versions sorted correctly", ["v1.0.2", "v1.0.10", "v1.0.1"], [
            "v1.0.10",
            "v1.0.2",
            "v1.0.1",
          ]],
        ];
        let i = 0;
        for (const [name, tags, want] of cases) {
          await t.step(name, async () => {
            const repo = `sorted/case-${i++}`;
            await repos(reg, { [repo]: tags });
            deepStrictEqual(
              await client.listPluginVersions(`${h}/${repo}`),
              want,
            );
          });
        }
        await t.step("empty input", () => {
          deepStrictEqual(sortedSemverTags([]), []);
        });
      });

      await t.step("ListVersionsSingleTag", async () => {
        await repos(reg, { "giantswarm/klaus-plugins/single": ["v1.0.0"] });
        deepStrictEqual(await client.listPluginVersions(`${base}/single`), [
          "v1.0.0",
        ]);
      });

      await t.step("ListVersionsPreRelease", async () => {
        await repos(reg, {
          "giantswarm/klaus-plugins/prerel": [
            "v1.0.0-alpha.1",
            "v1.0.0-beta.1",
            "v1.0.0",
            "v0.9.0",
          ],
        });
        deepStrictEqual(await client.listPluginVersions(`${base}/prerel`), [
          "v1.0.0",
          "v1.0.0-beta.1",
          "v1.0.0-alpha.1",
          "v0.9.0",
        ]);
      });

      await t.step("ListPersonalities_Empty", async () => {
        const p = await client.listPersonalities({
          registry: `${h}/giantswarm/klaus-personalities-empty`,
        });
        deepStrictEqual(p, []);
      });

      await t.step("ListEntry_Fields", async () => {
        await repos(reg, { "fields/klaus-plugins/gs-base": ["v1.0.0"] });
        const entries = await client.listPlugins({
          registry: `${h}/fields/klaus-plugins`,
        });
        strictEqual(entries.length, 1);
        strictEqual(entries[0].name, "gs-base");
        strictEqual(entries[0].version, "v1.0.0");
        ok(entries[0].repository.endsWith("fields/klaus-plugins/gs-base"));
        ok(entries[0].reference.endsWith(":v1.0.0"));
      });

      // A repository whose tags cannot be listed is dropped (as in Go) and
      // reported (Go is silent), the others are still listed.
      await t.step(
        "failing repositories are dropped and reported",
        async () => {
          await repos(reg, {
            "dropped/plugins/good": ["v1.0.0"],
            "dropped/plugins/untagged": [],
            "dropped/plugins/wip": ["main"],
          });
          const warnings: string[] = [];
          const entries = await client.listPlugins({
            registry: `${h}/dropped/plugins`,
            onWarning: (w) => warnings.push(w),
          });
          deepStrictEqual(entries.map((e) => e.name), ["good"]);
          strictEqual(warnings.length, 2, warnings.join("\n"));
          const untagged = `${h}/dropped/plugins/untagged`;
          const wip = `${h}/dropped/plugins/wip`;
          ok(
            warnings.some((w) =>
              w.startsWith(`${untagged}: listing tags for ${untagged}: `)
            ),
            warnings.join("\n"),
          );
          ok(warnings.includes(`${wip}: no semver tags found for ${wip}`));
        },
      );

      await t.step("an unreachable base is an error", async () => {
        const e = await errorOf(
          client.listPlugins({ registry: `127.0.0.1:${freePort()}/x` }),
        );
        ok(e.message.startsWith("listing repositories in 127.0.0.1:"));
      });
    } finally {
      await client.close();
      await reg.stop();
    }
  },
});
