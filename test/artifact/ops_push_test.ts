/**
 * push_test.go of the Go module — there unit tests of the config blobs and
 * annotations a push writes — ported as real pushes to a real registry,
 * read back with skopeo (`inspect --raw`, `inspect --config --raw`), with
 * the same assertions; plus the Go module's manifest shape, its archive
 * (entry order and exclusions, listed with GNU tar), reproducibility, and
 * its push error messages.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  InvalidReferenceError,
  type Personality,
  type Plugin,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../../src/mod.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { sha256 } from "../harness/seed.ts";
import { inspectConfigRaw, inspectRaw, skopeo } from "../harness/skopeo.ts";
import {
  ANN,
  clientFor,
  errorOf,
  fixture,
  MT,
  text,
  withTempDir,
  writeTree,
} from "./fixtures_ops.ts";

const FORBIDDEN = [
  "name",
  "description",
  "author",
  "homepage",
  "repository",
  "license",
  "keywords",
];

interface Pushed {
  manifest: Record<string, unknown> & {
    config: { mediaType: string; digest: string; size: number };
    layers: { mediaType: string; digest: string; size: number }[];
    annotations?: Record<string, string>;
  };
  raw: Uint8Array;
  config: string;
}

async function read(reg: RegistryHandle, ref: string): Promise<Pushed> {
  const raw = await inspectRaw(ref, { registry: reg });
  const config = text(await inspectConfigRaw(ref, { registry: reg }));
  return { manifest: JSON.parse(text(raw)), raw, config };
}

/** `tar -tzv` of a blob, fetched over raw HTTP: names in archive order. */
async function listLayer(
  reg: RegistryHandle,
  repo: string,
  digest: string,
): Promise<string[]> {
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const child = new Deno.Command("tar", {
    args: ["-tvzf", "-", "--numeric-owner"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  const out = await child.output();
  strictEqual(out.code, 0, text(out.stderr));
  return text(out.stdout).trim().split("\n");
}

Deno.test({
  name: "push (push_test.go against a real registry, read back by skopeo)",
  ignore: missing("docker-registry", "skopeo", "tar"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg);
    const src = await Deno.makeTempDir({ prefix: "klaus-push-src-" });
    await writeTree(src, { "commands/init.md": "init", "README.md": "r" });
    const repo = (name: string) => `giantswarm/klaus-plugins/${name}`;
    try {
      await t.step("PluginConfigBlob_ExcludesCommonMetadata", async () => {
        const p: Plugin = {
          name: "gs-base",
          version: "v1.0.0",
          description: "A base plugin",
          author: { name: "Giant Swarm", email: "dev@giantswarm.io" },
          homepage: "https://giantswarm.io",
          repository: "https://github.com/giantswarm/gs-base",
          license: "Apache-2.0",
          keywords: ["platform", "base"],
          skills: ["kubernetes", "fluxcd"],
          commands: ["init", "deploy"],
          agents: ["code-reviewer"],
          hasHooks: true,
          mcpServers: ["github"],
          lspServers: ["gopls"],
        };
        const ref = reg.ref(repo("blob-full"), "v1.0.0");
        await client.pushPlugin(src, ref, p);
        const { config } = await read(reg, ref);
        const raw = JSON.parse(config);
        for (const k of FORBIDDEN) ok(!(k in raw), `config has ${k}`);
        for (
          const k of [
            "skills",
            "commands",
            "agents",
            "hasHooks",
            "mcpServers",
            "lspServers",
          ]
        ) ok(k in raw, `config lacks ${k}`);
        // Byte-identical to Go's json.Marshal.
        strictEqual(
          config,
          `{"skills":["kubernetes","fluxcd"],"commands":["init","deploy"],"agents":["code-reviewer"],"hasHooks":true,"mcpServers":["github"],"lspServers":["gopls"]}`,
        );
      });

      await t.step("PluginConfigBlob_EmptyComponents", async () => {
        const ref = reg.ref(repo("blob-empty"), "v1.0.0");
        await client.pushPlugin(src, ref, { name: "empty" });
        const { config, manifest } = await read(reg, ref);
        strictEqual(config, "{}");
        strictEqual(
          manifest.config.digest,
          "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        );
      });

      await t.step("PersonalityConfigBlob_ExcludesCommonMetadata", async () => {
        const p: Personality = {
          name: "sre",
          description: "SRE personality",
          author: { name: "Giant Swarm" },
          homepage: "https://giantswarm.io",
          repository: "https://github.com/giantswarm/sre",
          license: "Apache-2.0",
          keywords: ["sre", "ops"],
          toolchain: {
            repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            tag: "v1.0.0",
          },
          plugins: [{
            repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
            tag: "v1.0.0",
          }],
        };
        const ref = reg.ref("giantswarm/klaus-personalities/blob", "v1.0.0");
        await client.pushPersonality(src, ref, p);
        const { config, manifest } = await read(reg, ref);
        const raw = JSON.parse(config);
        for (const k of FORBIDDEN) ok(!(k in raw), `config has ${k}`);
        ok("toolchain" in raw);
        ok("plugins" in raw);
        strictEqual(
          config,
          `{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"v1.0.0"},"plugins":[{"repository":"gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base","tag":"v1.0.0"}]}`,
        );
        strictEqual(manifest.config.mediaType, MT.personalityConfig);
        strictEqual(manifest.layers[0].mediaType, MT.personalityContent);
      });

      await t.step("PersonalityConfigBlob_EmptyComposition", async () => {
        const ref = reg.ref("giantswarm/klaus-personalities/empty", "v1.0.0");
        await client.pushPersonality(src, ref, { name: "empty" });
        const { config } = await read(reg, ref);
        const raw = JSON.parse(config);
        for (const k of FORBIDDEN.filter((k) => k !== "repository")) {
          ok(!(k in raw), `config has ${k}`);
        }
        ok(!("plugins" in raw));
        strictEqual(config, `{"toolchain":{"repository":""}}`);
      });

      await t.step("PushPlugin_AnnotationsFromMetadata", async () => {
        const p: Plugin = {
          name: "gs-base",
          description: "Giant Swarm base plugin",
          author: {
            name: "Giant Swarm",
            email: "dev@giantswarm.io",
            url: "https://giantswarm.io",
          },
          homepage: "https://giantswarm.io/plugins/gs-base",
          repository: "https://github.com/giantswarm/gs-base",
          license: "Apache-2.0",
          keywords: ["platform", "base"],
          skills: ["kubernetes"],
        };
        const ref = reg.ref(repo("ann-full"), "v1.0.0");
        await client.pushPlugin(src, ref, p);
        const { manifest } = await read(reg, ref);
        deepStrictEqual(manifest.annotations, {
          [ANN.name]: "gs-base",
          [ANN.description]: "Giant Swarm base plugin",
          [ANN.authorName]: "Giant Swarm",
          [ANN.authorEmail]: "dev@giantswarm.io",
          [ANN.authorUrl]: "https://giantswarm.io",
          [ANN.homepage]: "https://giantswarm.io/plugins/gs-base",
          [ANN.repository]: "https://github.com/giantswarm/gs-base",
          [ANN.license]: "Apache-2.0",
          [ANN.keywords]: "platform,base",
        });
      });

      await t.step("PushPersonality_AnnotationsFromMetadata", async () => {
        const ref = reg.ref("giantswarm/klaus-personalities/ann", "v1.0.0");
        await client.pushPersonality(src, ref, {
          name: "sre",
          description: "SRE personality",
          author: { name: "Giant Swarm" },
          toolchain: {
            repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            tag: "v1.0.0",
          },
        });
        const a = (await read(reg, ref)).manifest.annotations ?? {};
        strictEqual(a[ANN.name], "sre");
        strictEqual(a[ANN.description], "SRE personality");
        strictEqual(a[ANN.authorName], "Giant Swarm");
        for (
          const absent of [
            ANN.homepage,
            ANN.repository,
            ANN.license,
            ANN.keywords,
            ANN.authorEmail,
            ANN.authorUrl,
          ]
        ) ok(!(absent in a), `${absent} present`);
      });

      await t.step("PushPlugin_MinimalMetadata", async () => {
        const ref = reg.ref(repo("ann-min"), "v1.0.0");
        await client.pushPlugin(src, ref, { name: "minimal" });
        deepStrictEqual((await read(reg, ref)).manifest.annotations, {
          [ANN.name]: "minimal",
        });
      });

      await t.step("PushPlugin_NoMetadata", async () => {
        const ref = reg.ref(repo("ann-none"), "v1.0.0");
        await client.pushPlugin(src, ref, { name: "" });
        const { manifest } = await read(reg, ref);
        ok(!("annotations" in manifest), JSON.stringify(manifest));
      });

      await t.step(
        "manifest shape and archive of the plugins/base fixture (test/fixtures/README.md)",
        async () => {
          const dir = fixture("plugins/base");
          const ref = reg.ref(repo("base"), "v0.1.0");
          const pushed = await client.pushPlugin(
            dir,
            ref,
            await readPluginFromDir(dir),
          );
          const { raw, config, manifest } = await read(reg, ref);
          strictEqual(pushed.digest, await sha256(raw));
          strictEqual(config, `{"commands":["hello"]}`);
          const c = manifest.config;
          const l = manifest.layers[0];
          // Go's json.Marshal of ocispec.Manifest: exact bytes, keys in order,
          // annotations sorted, no artifactType, no timestamps.
          const expected = `{"schemaVersion":2,"mediaType":"${MT.manifest}",` +
            `"config":{"mediaType":"${MT.pluginConfig}","digest":"${c.digest}","size":22},` +
            `"layers":[{"mediaType":"${MT.pluginContent}","digest":"${l.digest}","size":${l.size}}],` +
            `"annotations":{"${ANN.authorEmail}":"planeteers@giantswarm.io","${ANN.authorName}":"Giant Swarm GmbH",` +
            `"${ANN.description}":"A base Klaus plugin with common commands","${ANN.keywords}":"giantswarm,klaus,plugins",` +
            `"${ANN.license}":"Apache-2.0","${ANN.name}":"base","${ANN.repository}":"https://github.com/giantswarm/klaus-plugins"}}`;
          strictEqual(text(raw), expected);
          strictEqual(manifest.layers.length, 1);
          const entries = await listLayer(reg, repo("base"), l.digest);
          // Pre-order walk, byte-wise order, no `./` and no trailing `/` (as
          // Go's tar.FileInfoHeader), normalised owner, mode bits kept (the
          // whatever the checkout's modes are).
          deepStrictEqual(
            entries.map((e) => e.split(/\s+/).slice(5).join(" ")),
            [
              ".claude-plugin",
              ".claude-plugin/plugin.json",
              "commands",
              "commands/hello.md",
            ],
          );
          // Mode bits are the checkout's own (whatever they are here).
          for (const e of entries) {
            const [mode, owner] = e.split(/\s+/);
            const name = e.split(/\s+/).slice(5).join(" ");
            const st = await Deno.stat(`${fixture("plugins/base")}/${name}`);
            strictEqual(mode, modeString(st.isDirectory, st.mode ?? 0), e);
            strictEqual(owner, "0/0", e);
          }
        },
      );

      await t.step("the sre personality fixture", async () => {
        const dir = fixture("personalities/sre");
        const ref = reg.ref("giantswarm/klaus-personalities/sre", "v1.0.0");
        await client.pushPersonality(
          dir,
          ref,
          await readPersonalityFromDir(dir),
        );
        const { config, manifest } = await read(reg, ref);
        strictEqual(
          config,
          `{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"0.1.14"}}`,
        );
        strictEqual(
          manifest.annotations?.[ANN.keywords],
          "giantswarm,sre,kubernetes,platform",
        );
        strictEqual(manifest.annotations?.[ANN.name], "sre");
        const names = (await listLayer(
          reg,
          "giantswarm/klaus-personalities/sre",
          manifest.layers[0].digest,
        ))
          .map((e) => e.split(/\s+/).slice(5).join(" "));
        deepStrictEqual(names, ["SOUL.md", "personality.yaml"]);
      });

      await t.step(
        "reproducible: the same tree gives the same digests",
        async () => {
          await withTempDir(async (tmp) => {
            // Same content, other mtimes and another path: same layer.
            await writeTree(`${tmp}/a`, {
              "commands/x.md": "x",
              "y/z.txt": "z",
            });
            await new Promise((r) => setTimeout(r, 1100));
            await writeTree(`${tmp}/b`, {
              "y/z.txt": "z",
              "commands/x.md": "x",
            });
            const a = await client.pushPlugin(
              `${tmp}/a`,
              reg.ref(repo("repro"), "v1"),
              { name: "r" },
            );
            const b = await client.pushPlugin(
              `${tmp}/b`,
              reg.ref(repo("repro"), "v2"),
              { name: "r" },
            );
            strictEqual(a.digest, b.digest);
            // A .oci-cache.json at any depth is not part of the content.
            await Deno.writeTextFile(`${tmp}/b/.oci-cache.json`, "{}");
            await Deno.writeTextFile(`${tmp}/b/y/.oci-cache.json`, "{}");
            const c = await client.pushPlugin(
              `${tmp}/b`,
              reg.ref(repo("repro"), "v3"),
              { name: "r" },
            );
            strictEqual(c.digest, a.digest);
          });
        },
      );

      await t.step(
        "an abort while packing stops the push before anything is committed",
        async () => {
          await withTempDir(async (tmp) => {
            // Random hex digits: compressible, so packing deflates them
            // (~15 ms per MiB), unlike random bytes, which it only copies
            // into stored blocks and is done with before the abort.
            const big = new Uint8Array(24 * 1024 * 1024);
            const hex = new TextEncoder().encode("0123456789abcdef");
            for (let i = 0; i < big.length; i += 65536) {
              crypto.getRandomValues(big.subarray(i, i + 65536));
            }
            for (let i = 0; i < big.length; i++) big[i] = hex[big[i] & 15];
            await writeTree(tmp, { "big.bin": big });
            const counter = countingFetch();
            const c = clientFor(reg, { fetch: counter.fetch });
            const ac = new AbortController();
            const reason = new Error("stop packing");
            setTimeout(() => ac.abort(reason), 100);
            const started = Date.now();
            const e = await errorOf(
              c.pushPlugin(tmp, reg.ref(repo("aborted"), "v1"), { name: "a" }, {
                signal: ac.signal,
              }),
            );
            strictEqual(e, reason);
            // The layer goes up while it is packed, so an upload may have
            // begun; nothing is committed and its session is given back.
            strictEqual(counter.count({ method: "PUT" }), 0);
            // (A POST cut off by the abort leaves no session to give back.)
            const begun = counter.count({ method: "POST" });
            ok(counter.count({ method: "DELETE" }) <= begun);
            ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
            const e2 = await errorOf(
              c.pushPlugin(src, reg.ref(repo("aborted"), "v1"), { name: "a" }, {
                signal: ac.signal,
              }),
            );
            strictEqual(e2, reason);
            strictEqual(counter.count(), 0);
            await c.close();
          });
        },
      );

      await t.step("push errors (the Go wording)", async () => {
        const noTag = reg.ref(repo("errors"));
        const e1 = await errorOf(client.pushPlugin(src, noTag, { name: "x" }));
        ok(e1 instanceof InvalidReferenceError);
        strictEqual(e1.message, `reference "${noTag}" must include a tag`);
        const e2 = await errorOf(
          client.pushPlugin(
            `${src}/does-not-exist`,
            reg.ref(repo("errors"), "v1"),
            { name: "x" },
          ),
        );
        ok(e2.message.startsWith("creating archive: "), e2.message);
        // The archive is made first: nothing was uploaded (Go left an orphan
        // config blob).
        const r = await skopeo([
          "list-tags",
          `docker://${reg.ref(repo("errors"))}`,
        ], { registry: reg });
        ok(r.code !== 0, "the repository must not exist");
        const catalog = await (await fetch(`${reg.url}/v2/_catalog`)).json();
        ok(
          !catalog.repositories.includes(repo("errors")),
          JSON.stringify(catalog),
        );
      });
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(src, { recursive: true });
    }
  },
});

function modeString(dir: boolean, mode: number): string {
  const bits = "rwxrwxrwx";
  let out = dir ? "d" : "-";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : "-";
  return out;
}
