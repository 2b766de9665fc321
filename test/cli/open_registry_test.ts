/**
 * End-to-end: every command in both output modes against a real registry
 * (open mode), driven as a subprocess the way a user runs it.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { hasCommand, missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { seedIndex } from "../harness/seed.ts";
import {
  copyTree,
  MAIN,
  PERSONALITY_SRE,
  PLUGIN_BASE,
  readTree,
  type Sandbox,
  sandbox,
} from "./helpers.ts";

const FULL_DIGEST = /^sha256:[0-9a-f]{64}$/;
const notCacheFile = (p: string) => p === ".oci-cache.json";

function lines(text: string): string[] {
  return text.trimEnd().split("\n");
}

/** Exactly one JSON document on stdout. */
function json(stdout: string): unknown {
  return JSON.parse(stdout);
}

Deno.test({
  name: "cli against an open registry",
  ignore: missing("docker-registry", "skopeo"),
  async fn(t) {
    const reg: RegistryHandle = await startRegistry({ mode: "open" });
    const sb: Sandbox = await sandbox();
    try {
      const plugins = `${reg.host}/plugins`;
      const personalities = `${reg.host}/personalities`;
      const toolchains = `${reg.host}/toolchains`;
      const P = ["--plain-http", "--registry", plugins];
      const S = ["--plain-http", "--registry", personalities];
      const T = ["--plain-http", "--registry", toolchains];
      let baseDigest = "";

      await t.step("plugin push (text), then again (json) warns", async () => {
        const first = await sb.ok([
          "plugin",
          "push",
          PLUGIN_BASE,
          "base:v1.0.0",
          ...P,
        ]);
        match(first.stdout, /^base: pushed \(sha256:[0-9a-f]{12}\)\n$/);
        equal(first.stderr, "");
        const again = await sb.ok([
          "plugin",
          "push",
          PLUGIN_BASE,
          `${plugins}/base:v1.0.0`,
          "--json",
          ...P,
        ]);
        const doc = json(again.stdout) as Record<string, string>;
        deepStrictEqual(Object.keys(doc), ["name", "ref", "digest"]);
        equal(doc.name, "base");
        equal(doc.ref, `${plugins}/base:v1.0.0`);
        match(doc.digest, FULL_DIGEST);
        baseDigest = doc.digest;
        ok(first.stdout.includes(baseDigest.slice(0, 19)), "same digest twice");
        equal(
          again.stderr,
          `Warning: tag already exists (${
            baseDigest.slice(0, 19)
          }); pushing will overwrite it\n`,
        );
        // A second version, for versions/list/resolve ordering.
        await sb.ok(["plugin", "push", PLUGIN_BASE, "base:v1.2.0", ...P, "-q"]);
      });

      await t.step("plugin push --dry-run pushes nothing", async () => {
        const text = await sb.ok([
          "plugin",
          "push",
          PLUGIN_BASE,
          "base:v2.0.0",
          "--dry-run",
          ...P,
        ]);
        equal(text.stdout, "base: validated (dry run, push skipped)\n");
        equal(text.stderr, "");
        const j = await sb.ok([
          "plugin",
          "push",
          PLUGIN_BASE,
          "base:v1.0.0",
          "--dry-run",
          "--json",
          ...P,
        ]);
        deepStrictEqual(json(j.stdout), {
          name: "base",
          ref: `${plugins}/base:v1.0.0`,
          digest: "",
          dryRun: true,
        });
        match(j.stderr, /^Warning: tag already exists \(sha256:[0-9a-f]{12}\)/);
        const versions = await sb.ok([
          "plugin",
          "versions",
          "base",
          "--json",
          ...P,
        ]);
        deepStrictEqual(json(versions.stdout), ["v1.2.0", "v1.0.0"]);
      });

      await t.step("plugin push validation fails with exit 1", async () => {
        const empty = `${sb.dir}/empty-plugin`;
        await Deno.mkdir(empty);
        await Deno.writeTextFile(`${empty}/README.md`, "nothing here\n");
        const noContent = await sb.run([
          "plugin",
          "push",
          empty,
          "x:v1.0.0",
          ...P,
        ]);
        equal(noContent.code, 1);
        equal(noContent.stdout, "");
        equal(
          noContent.stderr,
          `error: no recognized plugin content found in ${empty}\n` +
            "Expected at least one of: skills/, agents/, hooks/, commands/, .mcp.json\n",
        );
        const noDir = await sb.run([
          "plugin",
          "push",
          `${sb.dir}/nope`,
          "x:v1",
          ...P,
        ]);
        equal(noDir.code, 1);
        equal(
          noDir.stderr,
          `error: directory does not exist: ${sb.dir}/nope\n`,
        );
        const noTag = await sb.run([
          "plugin",
          "push",
          PLUGIN_BASE,
          "base",
          ...P,
        ]);
        equal(noTag.code, 1);
        equal(
          noTag.stderr,
          `error: reference "${plugins}/base" must include a tag (e.g. ${plugins}/base:v1.0.0)\n`,
        );
        const badPersonality = `${sb.dir}/bad-personality`;
        await Deno.mkdir(badPersonality);
        await Deno.writeTextFile(
          `${badPersonality}/personality.yaml`,
          "description: no name\n",
        );
        const bad = await sb.run([
          "personality",
          "push",
          badPersonality,
          "bad:v1.0.0",
          ...S,
        ]);
        equal(bad.code, 1);
        match(bad.stderr, /^error: .*name is required\n$/);
      });

      await t.step("plugin list", async () => {
        const text = await sb.ok(["plugin", "list", ...P]);
        deepStrictEqual(lines(text.stdout), [
          "NAME   VERSION   REFERENCE",
          `base   v1.2.0    ${plugins}/base:v1.2.0`,
        ]);
        const j = await sb.ok(["plugin", "list", "--json", ...P]);
        deepStrictEqual(json(j.stdout), [{
          name: "base",
          version: "v1.2.0",
          repository: `${plugins}/base`,
          reference: `${plugins}/base:v1.2.0`,
        }]);
        const none = await sb.ok([
          "plugin",
          "list",
          "--plain-http",
          "--registry",
          `${reg.host}/nothing`,
        ]);
        equal(none.stdout, `No plugins found in ${reg.host}/nothing.\n`);
        const noneJson = await sb.ok([
          "plugin",
          "list",
          "--json",
          "--plain-http",
          "--registry",
          `${reg.host}/nothing`,
        ]);
        deepStrictEqual(json(noneJson.stdout), []);
      });

      await t.step("plugin versions", async () => {
        const text = await sb.ok(["plugin", "versions", "base", ...P]);
        equal(text.stdout, "v1.2.0\nv1.0.0\n");
        const full = await sb.ok([
          "plugin",
          "versions",
          `${plugins}/base`,
          "--json",
          "--plain-http",
        ]);
        deepStrictEqual(json(full.stdout), ["v1.2.0", "v1.0.0"]);
      });

      await t.step("plugin describe", async () => {
        const text = await sb.ok(["plugin", "describe", "base:v1.0.0", ...P]);
        deepStrictEqual(lines(text.stdout), [
          "Name:          base",
          "Version:       v1.0.0",
          "Description:   A base Klaus plugin with common commands",
          "Author:        Giant Swarm GmbH <planeteers@giantswarm.io>",
          "Repository:    https://github.com/giantswarm/klaus-plugins",
          "License:       Apache-2.0",
          "Keywords:      giantswarm, klaus, plugins",
          `Digest:        ${baseDigest}`,
          "",
          "Components:",
          "  Commands:      hello",
        ]);
        const j = await sb.ok(["plugin", "describe", "base", "--json", ...P]);
        const d = json(j.stdout) as Record<string, unknown>;
        deepStrictEqual(Object.keys(d), ["ref", "tag", "digest", "plugin"]);
        equal(d.ref, `${plugins}/base:v1.2.0`);
        equal(d.tag, "v1.2.0");
        equal(d.digest, baseDigest, "same content, same digest");
        deepStrictEqual(d.plugin, {
          name: "base",
          version: "v1.2.0",
          description: "A base Klaus plugin with common commands",
          author: {
            name: "Giant Swarm GmbH",
            email: "planeteers@giantswarm.io",
          },
          repository: "https://github.com/giantswarm/klaus-plugins",
          license: "Apache-2.0",
          keywords: ["giantswarm", "klaus", "plugins"],
          commands: ["hello"],
        });
      });

      await t.step("plugin resolve", async () => {
        const text = await sb.ok(["plugin", "resolve", "base", ...P]);
        equal(text.stdout, `${plugins}/base:v1.2.0\n`);
        const latest = await sb.ok([
          "plugin",
          "resolve",
          "base:latest",
          "--json",
          ...P,
        ]);
        deepStrictEqual(json(latest.stdout), { ref: `${plugins}/base:v1.2.0` });
        const pinned = await sb.ok([
          "plugin",
          "resolve",
          "base:v1.0.0",
          "--json",
          ...P,
        ]);
        deepStrictEqual(json(pinned.stdout), { ref: `${plugins}/base:v1.0.0` });
      });

      await t.step("plugin pull round trip, then cached", async () => {
        const dest = `${sb.dir}/pulled/base`;
        const text = await sb.ok(["plugin", "pull", "base:v1.0.0", dest, ...P]);
        equal(text.stdout, `base: pulled (${baseDigest.slice(0, 19)})\n`);
        equal(
          text.stderr,
          "",
          "no progress output when stderr is not a terminal",
        );
        const pulled = await readTree(dest, notCacheFile);
        const source = await readTree(PLUGIN_BASE);
        deepStrictEqual([...pulled.keys()], [...source.keys()]);
        deepStrictEqual(pulled, source);
        const again = await sb.ok([
          "plugin",
          "pull",
          "base:v1.0.0",
          dest,
          "--json",
          ...P,
        ]);
        deepStrictEqual(json(again.stdout), {
          name: "base",
          ref: `${plugins}/base:v1.0.0`,
          digest: baseDigest,
          dir: dest,
          cached: true,
        });
        const upToDate = await sb.ok([
          "plugin",
          "pull",
          "base:v1.0.0",
          dest,
          ...P,
        ]);
        equal(
          upToDate.stdout,
          `base: up-to-date (${baseDigest.slice(0, 19)})\n`,
        );
      });

      await t.step("plugin pull defaults to ./<short name>", async () => {
        const r = await sb.ok(["plugin", "pull", "base", "--json", ...P]);
        const doc = json(r.stdout) as Record<string, unknown>;
        deepStrictEqual(Object.keys(doc), [
          "name",
          "ref",
          "digest",
          "dir",
          "cached",
        ]);
        equal(doc.dir, `${sb.dir}/work/base`);
        equal(doc.ref, `${plugins}/base:v1.2.0`, "resolved before pulling");
        equal(doc.cached, false);
        deepStrictEqual(
          await readTree(`${sb.dir}/work/base`, notCacheFile),
          await readTree(PLUGIN_BASE),
        );
      });

      await seedIndex(reg, "toolchains/go", ["0.1.14", "0.1.15"], {
        "io.giantswarm.klaus.name": "go",
        "io.giantswarm.klaus.description": "Go toolchain",
        "io.giantswarm.klaus.author.name": "Giant Swarm GmbH",
      });

      await t.step("toolchain list, versions, describe, resolve", async () => {
        const list = await sb.ok(["toolchain", "list", "--json", ...T]);
        deepStrictEqual(json(list.stdout), [{
          name: "go",
          version: "0.1.15",
          repository: `${toolchains}/go`,
          reference: `${toolchains}/go:0.1.15`,
        }]);
        const listText = await sb.ok(["toolchain", "list", ...T]);
        deepStrictEqual(lines(listText.stdout), [
          "NAME   VERSION   REFERENCE",
          `go     0.1.15    ${toolchains}/go:0.1.15`,
        ]);
        const versions = await sb.ok(["toolchain", "versions", "go", ...T]);
        equal(versions.stdout, "0.1.15\n0.1.14\n");
        const text = await sb.ok(["toolchain", "describe", "go:0.1.14", ...T]);
        const tl = lines(text.stdout);
        deepStrictEqual(tl.slice(0, 4), [
          "Name:          go",
          "Version:       0.1.14",
          "Description:   Go toolchain",
          "Author:        Giant Swarm GmbH",
        ]);
        match(tl[4], /^Digest: {8}sha256:[0-9a-f]{64}$/);
        const j = await sb.ok(["toolchain", "describe", "go", "--json", ...T]);
        const d = json(j.stdout) as Record<string, unknown>;
        deepStrictEqual(Object.keys(d), ["ref", "tag", "digest", "toolchain"]);
        equal(d.tag, "0.1.15");
        equal((d.toolchain as { name: string }).name, "go");
        const resolved = await sb.ok([
          "toolchain",
          "resolve",
          "go",
          "--json",
          ...T,
        ]);
        deepStrictEqual(json(resolved.stdout), {
          ref: `${toolchains}/go:0.1.15`,
        });
      });

      // The real personality, pointed at this registry's toolchain and
      // plugin, plus a plugin that does not exist (a warning, not an error).
      const sre = `${sb.dir}/sre`;
      await copyTree(PERSONALITY_SRE, sre);
      const yaml = await Deno.readTextFile(`${sre}/personality.yaml`);
      await Deno.writeTextFile(
        `${sre}/personality.yaml`,
        yaml
          .replace(
            "repository: gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
            `repository: ${toolchains}/go`,
          )
          .replace(
            "plugins: []",
            `plugins:\n  - repository: ${plugins}/base\n    tag: v1.0.0\n` +
              `  - repository: ${plugins}/missing\n    tag: v9.9.9\n`,
          ),
      );

      await t.step("personality push, describe with dependencies", async () => {
        const pushed = await sb.ok([
          "personality",
          "push",
          sre,
          "sre:v0.2.0",
          ...S,
        ]);
        match(pushed.stdout, /^sre: pushed \(sha256:[0-9a-f]{12}\)\n$/);
        const text = await sb.ok(["personality", "describe", "sre", ...S]);
        const tl = lines(text.stdout);
        equal(tl[0], "Name:          sre");
        equal(tl[1], "Version:       v0.2.0");
        ok(tl.includes("Author:        Giant Swarm GmbH"));
        ok(tl.includes("Keywords:      giantswarm, sre, kubernetes, platform"));
        ok(tl.includes(`Toolchain:     ${toolchains}/go:0.1.14`));
        const plug = tl.indexOf("Plugins:");
        deepStrictEqual(tl.slice(plug, plug + 3), [
          "Plugins:",
          `  - ${plugins}/base:v1.0.0`,
          `  - ${plugins}/missing:v9.9.9`,
        ]);
        const tc = tl.indexOf("Resolved Toolchain:");
        ok(tc > plug, text.stdout);
        deepStrictEqual(tl.slice(tc + 1, tc + 5).map((l) => l.slice(0, 17)), [
          "  Name:          ",
          "  Version:       ",
          "  Description:   ",
          "  Author:        ",
        ]);
        const rp = tl.indexOf("Resolved Plugin [base]:");
        ok(rp > tc, text.stdout);
        equal(tl[rp + 1], "  Name:          base");
        equal(tl[rp + 2], "  Version:       v1.0.0");
        ok(tl.includes(`  Digest:        ${baseDigest}`));
        ok(
          tl.some((l) =>
            l.startsWith(`Warning: plugin ${plugins}/missing:v9.9.9`)
          ),
          text.stdout,
        );
        const noDeps = await sb.ok([
          "personality",
          "describe",
          "sre",
          "--no-deps",
          ...S,
        ]);
        ok(!noDeps.stdout.includes("Resolved"), noDeps.stdout);
      });

      await t.step(
        "personality describe --json (with and without --deps)",
        async () => {
          const plain = json(
            (await sb.ok(["personality", "describe", "sre", "--json", ...S]))
              .stdout,
          ) as Record<string, unknown>;
          deepStrictEqual(Object.keys(plain), [
            "ref",
            "tag",
            "digest",
            "personality",
          ]);
          const p = plain.personality as Record<string, unknown>;
          deepStrictEqual(p.toolchain, {
            repository: `${toolchains}/go`,
            tag: "0.1.14",
          });
          deepStrictEqual(p.plugins, [
            { repository: `${plugins}/base`, tag: "v1.0.0" },
            { repository: `${plugins}/missing`, tag: "v9.9.9" },
          ]);
          const withDeps = json(
            (await sb.ok([
              "personality",
              "describe",
              "sre:v0.2.0",
              "--json",
              "--deps",
              ...S,
            ])).stdout,
          ) as Record<string, unknown>;
          deepStrictEqual(Object.keys(withDeps), [
            "ref",
            "tag",
            "digest",
            "personality",
            "dependencies",
          ]);
          const deps = withDeps.dependencies as {
            toolchain: { ref: string; tag: string };
            plugins: { digest: string; plugin: { name: string } }[];
            warnings: string[];
          };
          equal(deps.toolchain.ref, `${toolchains}/go:0.1.14`);
          equal(deps.plugins.length, 1);
          equal(deps.plugins[0].digest, baseDigest);
          equal(deps.warnings.length, 1);
          match(deps.warnings[0], /missing:v9\.9\.9/);
        },
      );

      await t.step(
        "personality pull round trip, versions, resolve, list",
        async () => {
          const dest = `${sb.dir}/pulled/sre`;
          const j = await sb.ok([
            "personality",
            "pull",
            "sre",
            dest,
            "--json",
            ...S,
          ]);
          const doc = json(j.stdout) as Record<string, unknown>;
          deepStrictEqual(Object.keys(doc), [
            "name",
            "ref",
            "digest",
            "dir",
            "cached",
          ]);
          equal(doc.name, "sre");
          equal(doc.ref, `${personalities}/sre:v0.2.0`);
          equal(doc.cached, false);
          deepStrictEqual(
            await readTree(dest, notCacheFile),
            await readTree(sre),
          );
          const again = await sb.ok([
            "personality",
            "pull",
            "sre:v0.2.0",
            dest,
            ...S,
          ]);
          match(again.stdout, /^sre: up-to-date \(sha256:[0-9a-f]{12}\)\n$/);
          const versions = await sb.ok([
            "personality",
            "versions",
            "sre",
            "--json",
            ...S,
          ]);
          deepStrictEqual(json(versions.stdout), ["v0.2.0"]);
          const resolved = await sb.ok(["personality", "resolve", "sre", ...S]);
          equal(resolved.stdout, `${personalities}/sre:v0.2.0\n`);
          const list = await sb.ok(["personality", "list", ...S]);
          deepStrictEqual(lines(list.stdout), [
            "NAME   VERSION   REFERENCE",
            `sre    v0.2.0    ${personalities}/sre:v0.2.0`,
          ]);
        },
      );

      await t.step(
        "operation failures exit 1 with one error line",
        async () => {
          const cases = [
            ["plugin", "describe", "nope:v1.0.0", ...P],
            ["plugin", "versions", "nope", ...P],
            ["plugin", "pull", "nope", ...P],
            ["personality", "resolve", "nope", ...S],
          ];
          for (const args of cases) {
            const r = await sb.run(args);
            equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
            equal(r.stdout, "", "nothing on stdout, not even in --json mode");
            match(r.stderr, /^error: \S.*\n$/, r.stderr);
            ok(!/\n\s+at /.test(r.stderr), "no stack trace");
          }
          const j = await sb.run([
            "plugin",
            "describe",
            "nope:v1.0.0",
            "--json",
            ...P,
          ]);
          equal(j.code, 1);
          equal(j.stdout, "");
          match(j.stderr, /nope:v1\.0\.0/);
        },
      );

      await t.step("ocidir:// layouts work like a registry", async () => {
        const root = `${sb.dir}/layouts`;
        await Deno.mkdir(root);
        const pushed = await sb.ok([
          "plugin",
          "push",
          PLUGIN_BASE,
          `ocidir://${root}/base:v1.0.0`,
          "--json",
        ]);
        equal((json(pushed.stdout) as { digest: string }).digest, baseDigest);
        const list = await sb.ok([
          "plugin",
          "list",
          "--registry",
          `ocidir://${root}`,
          "--json",
        ]);
        deepStrictEqual(json(list.stdout), [{
          name: "base",
          version: "v1.0.0",
          repository: `ocidir://${root}/base`,
          reference: `ocidir://${root}/base:v1.0.0`,
        }]);
        const described = await sb.ok([
          "plugin",
          "describe",
          "base",
          "--registry",
          `ocidir://${root}`,
          "--json",
        ]);
        equal(
          (json(described.stdout) as { digest: string }).digest,
          baseDigest,
        );
        const dest = `${sb.dir}/from-layout`;
        const pulled = await sb.ok([
          "plugin",
          "pull",
          `ocidir://${root}/base`,
          dest,
        ]);
        equal(pulled.stdout, `base: pulled (${baseDigest.slice(0, 19)})\n`);
        deepStrictEqual(
          await readTree(dest, notCacheFile),
          await readTree(PLUGIN_BASE),
        );
      });

      await t.step("cache directory: default, env, flags", async () => {
        const describe = ["plugin", "describe", "base:v1.0.0", "--json", ...P];
        await sb.ok(describe);
        ok(
          await exists(`${sb.dir}/xdg-cache/klaus-oci`),
          "default $XDG_CACHE_HOME/klaus-oci",
        );
        const envDir = `${sb.dir}/env-cache`;
        await sb.ok(describe, { env: { KLAUS_OCI_CACHE_DIR: envDir } });
        ok(await exists(envDir), "KLAUS_OCI_CACHE_DIR");
        const flagDir = `${sb.dir}/flag-cache`;
        const off = `${sb.dir}/off-cache`;
        await sb.ok([...describe, "--cache-dir", flagDir], {
          env: { KLAUS_OCI_CACHE_DIR: off, KLAUS_OCI_NO_CACHE: "yes" },
        });
        ok(await exists(flagDir), "--cache-dir beats both variables");
        ok(!await exists(off));
        await sb.ok(describe, {
          env: { KLAUS_OCI_CACHE_DIR: off, KLAUS_OCI_NO_CACHE: "On" },
        });
        ok(!await exists(off), "KLAUS_OCI_NO_CACHE");
        await sb.ok([...describe, "--no-cache"], {
          env: { KLAUS_OCI_CACHE_DIR: off },
        });
        ok(!await exists(off), "--no-cache");
        const home = await sb.ok(describe, { env: { XDG_CACHE_HOME: "" } });
        equal(home.code, 0);
        ok(
          await exists(`${sb.dir}/home/.cache/klaus-oci`),
          "~/.cache/klaus-oci",
        );
      });

      await t.step({
        name: "progress bars on a terminal (script(1) pseudo-terminal)",
        ignore: !hasCommand("script"),
        async fn() {
          const dest = `${sb.dir}/tty-pull`;
          const args = [
            "plugin",
            "pull",
            "base:v1.2.0",
            dest,
            ...P,
          ];
          const tty = await inTerminal(sb, args);
          equal(tty.code, 0, tty.output);
          ok(tty.output.includes("\x1b[2K"), "bars are redrawn in place");
          match(tty.output, /layer +[0-9a-f]{12} \[#+\] 100% .*done/);
          ok(tty.output.includes(`base: pulled (${baseDigest.slice(0, 19)})`));
          const pushed = await inTerminal(sb, [
            "plugin",
            "push",
            PLUGIN_BASE,
            "base:v3.0.0",
            ...P,
          ]);
          equal(pushed.code, 0, pushed.output);
          match(
            pushed.output,
            /(layer|config) +[0-9a-f]{12} already present, skipped/,
          );
          const quiet = await inTerminal(sb, [
            ...args.slice(0, 3),
            `${dest}-q`,
            ...P,
            "--quiet",
          ]);
          equal(quiet.code, 0, quiet.output);
          ok(!quiet.output.includes("\x1b[2K"), "--quiet: no bars");
          ok(!quiet.output.includes("100%"));
        },
      });
    } finally {
      await sb.cleanup();
      await reg.stop();
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Runs the CLI under script(1), which gives it a terminal; output merged. */
async function inTerminal(
  sb: Sandbox,
  args: string[],
): Promise<{ code: number; output: string }> {
  const command = [Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args]
    .map(shellQuote).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: `${sb.dir}/work`,
    env: {
      HOME: `${sb.dir}/home`,
      XDG_CACHE_HOME: `${sb.dir}/xdg-cache`,
      DOCKER_CONFIG: `${sb.dir}/docker`,
      NO_COLOR: "1",
      COLUMNS: "120",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return {
    code: out.code,
    output: td.decode(out.stdout) + td.decode(out.stderr),
  };
}
