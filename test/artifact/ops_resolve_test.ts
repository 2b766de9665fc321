/**
 * resolve_test.go of the Go module (its resolveArtifactRef tables), every
 * case,
 * against a real registry instead of a mock tag lister: the default bases
 * (gsoci.azurecr.io/giantswarm/klaus-*) become bases on the test registry,
 * `custom.registry.io/org` becomes `<host>/org`. Pinned tags and digests must
 * not touch the network, which a counting fetch checks.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { InvalidReferenceError, NotFoundError } from "../../src/mod.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { clientFor, errorOf, MT, rawPush } from "./fixtures_ops.ts";

Deno.test({
  name: "resolve (resolve_test.go against a real registry)",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const counter = countingFetch();
    const client = clientFor(reg, { fetch: counter.fetch });
    const h = reg.host;
    const plugins = `${h}/giantswarm/klaus-plugins`;
    const personalities = `${h}/giantswarm/klaus-personalities`;
    const toolchains = `${h}/giantswarm/klaus-toolchains`;
    try {
      const layout: Record<string, string[]> = {
        "giantswarm/klaus-plugins/gs-ae": ["v0.0.1", "v0.0.3", "v0.0.2"],
        "giantswarm/klaus-personalities/sre": ["v0.1.0", "v0.2.0"],
        "giantswarm/klaus-toolchains/go": ["v1.0.0", "v1.1.0"],
        "giantswarm/klaus-toolchains/python": ["v0.5.0"],
        "org/my-plugin": ["v2.0.0"],
        "org/no-semver": ["latest", "main", "dev"],
      };
      for (const [repo, tags] of Object.entries(layout)) {
        await rawPush(reg, repo, tags, {
          config: "{}",
          configMediaType: MT.pluginConfig,
        });
      }

      type Case = {
        name: string;
        ref: string;
        want?: string;
        wantErr?: true;
        offline?: true;
      };
      const run = async (
        resolve: (ref: string) => Promise<string>,
        cases: Case[],
      ) => {
        for (const c of cases) {
          counter.reset();
          if (c.wantErr) {
            const e = await errorOf(resolve(c.ref));
            ok(e.message !== "", c.name);
          } else {
            strictEqual(await resolve(c.ref), c.want, c.name);
          }
          if (c.offline) strictEqual(counter.count(), 0, `${c.name}: offline`);
        }
      };

      await t.step("ResolveArtifactRef", async () => {
        await run((r) => client.resolvePluginRef(r), [
          { name: "empty ref returns error", ref: "", wantErr: true },
          {
            name: "whitespace-only ref returns error",
            ref: "   ",
            wantErr: true,
          },
          {
            name: "short name with explicit tag",
            ref: "gs-ae:v0.0.2",
            want: `${plugins}/gs-ae:v0.0.2`,
            offline: true,
          },
          {
            name: "short name without tag resolves latest",
            ref: "gs-ae",
            want: `${plugins}/gs-ae:v0.0.3`,
          },
          {
            name: "short name with latest tag resolves actual",
            ref: "gs-ae:latest",
            want: `${plugins}/gs-ae:v0.0.3`,
          },
          {
            name: "full ref with tag returned as-is",
            ref: `${h}/org/my-plugin:v2.0.0`,
            want: `${h}/org/my-plugin:v2.0.0`,
            offline: true,
          },
          {
            name: "full ref with digest returned as-is",
            ref: `${h}/org/my-plugin@sha256:abc123`,
            want: `${h}/org/my-plugin@sha256:abc123`,
            offline: true,
          },
          {
            name: "full ref without tag resolves latest",
            ref: `${h}/org/my-plugin`,
            want: `${h}/org/my-plugin:v2.0.0`,
          },
          {
            name: "full ref with latest tag resolves actual",
            ref: `${h}/org/my-plugin:latest`,
            want: `${h}/org/my-plugin:v2.0.0`,
          },
          {
            name: "whitespace trimmed",
            ref: "  gs-ae:v0.0.2  ",
            want: `${plugins}/gs-ae:v0.0.2`,
            offline: true,
          },
          {
            name: "unknown short name returns error",
            ref: "nonexistent",
            wantErr: true,
          },
          {
            name: "full ref with no semver tags returns error",
            ref: `${h}/org/no-semver`,
            wantErr: true,
          },
          {
            name: "full ref with latest tag and no semver tags returns error",
            ref: `${h}/org/no-semver:latest`,
            wantErr: true,
          },
        ]);
      });

      await t.step("ResolveToolchainRef", async () => {
        await run((r) => client.resolveToolchainRef(r), [
          { name: "short name", ref: "go", want: `${toolchains}/go:v1.1.0` },
          {
            name: "short name with explicit tag",
            ref: "go:v1.0.0",
            want: `${toolchains}/go:v1.0.0`,
            offline: true,
          },
          { name: "unknown short name", ref: "rust", wantErr: true },
        ]);
      });

      await t.step("ResolvePluginRef", async () => {
        await run((r) => client.resolvePluginRef(r), [
          {
            name: "short name resolves latest",
            ref: "gs-ae",
            want: `${plugins}/gs-ae:v0.0.3`,
          },
          {
            name: "short name with explicit tag",
            ref: "gs-ae:v0.0.2",
            want: `${plugins}/gs-ae:v0.0.2`,
          },
          { name: "unknown plugin", ref: "nonexistent", wantErr: true },
        ]);
      });

      await t.step("ResolvePersonalityRef", async () => {
        await run((r) => client.resolvePersonalityRef(r), [
          {
            name: "short name resolves latest",
            ref: "sre",
            want: `${personalities}/sre:v0.2.0`,
          },
          {
            name: "short name with explicit tag",
            ref: "sre:v0.1.0",
            want: `${personalities}/sre:v0.1.0`,
          },
          { name: "unknown personality", ref: "nonexistent", wantErr: true },
        ]);
      });

      await t.step("error messages (the Go wording)", async () => {
        const e1 = await errorOf(client.resolvePluginRef(""));
        ok(e1 instanceof InvalidReferenceError);
        strictEqual(e1.message, "empty artifact reference");
        const e2 = await errorOf(client.resolvePluginRef(`${h}/org/no-semver`));
        ok(e2 instanceof NotFoundError);
        strictEqual(e2.message, `no semver tags found for ${h}/org/no-semver`);
        const e3 = await errorOf(client.resolvePluginRef("nonexistent"));
        ok(
          e3.message.startsWith(`listing tags for ${plugins}/nonexistent: `),
          e3.message,
        );
        ok(e3 instanceof NotFoundError, `${e3}`);
      });

      await t.step("resolveLatestVersion, list and resolve", async () => {
        strictEqual(
          await client.resolveLatestVersion(`${plugins}/gs-ae`),
          `${plugins}/gs-ae:v0.0.3`,
        );
        deepStrictEqual(
          (await client.list(`${plugins}/gs-ae`)).sort(),
          ["v0.0.1", "v0.0.2", "v0.0.3"],
        );
        const digest = await client.resolve(`${plugins}/gs-ae:v0.0.3`);
        ok(digest.startsWith("sha256:"));
        counter.reset();
        strictEqual(await client.resolve(`${plugins}/gs-ae@${digest}`), digest);
        strictEqual(counter.count(), 0, "a digest reference resolves offline");
        const e = await errorOf(client.resolve(`${plugins}/gs-ae:v9.9.9`));
        ok(e instanceof NotFoundError, `${e}`);
        ok(e.message.startsWith(`resolving ${plugins}/gs-ae:v9.9.9: `));
      });
    } finally {
      await client.close();
      await reg.stop();
    }
  },
});
