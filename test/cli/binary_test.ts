/**
 * One command line everywhere: the same entry (`src/cli/main.ts`) as
 *
 * - the single binary `deno task compile` builds (`scripts/compile.ts`:
 *   `deno compile` where `denort` is at hand, else `bun build --compile`),
 *   built here into a temp dir;
 * - TypeScript source under Node 22 (npm `node`, type stripping) and Bun
 *   (npm `bun`);
 * - a `deno install -g` from this checkout into a temp `--root`;
 *
 * each runs `--version`, `list`, `describe`, `pull` and a usage error
 * against a real registry (open mode) and must print exactly what
 * `deno run src/cli/main.ts` prints. The binary and Node also keep the
 * signal contract: SIGINT / SIGTERM during a pull abort it, exit 130 / 143
 * and leave no destination; the next pull repairs what is left.
 *
 * The registry is seeded with the Deno CLI (`plugin push`,
 * `personality push`). Missing runtimes follow `missing()`: ignored on a
 * developer machine, a failure in CI.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import {
  type CliResult,
  MAIN,
  PERSONALITY_SRE,
  PLUGIN_BASE,
  readTree,
  sandbox,
} from "./helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun");
const NODE22 = join(ROOT, "node_modules/.bin/node");
const DENO_BIN_DIR = dirname(Deno.execPath());
const dec = new TextDecoder();
const notCacheFile = (p: string) => p === ".oci-cache.json";

const needs = {
  registry: missing("docker-registry"),
  bun: missing(BUN),
  node22: missing(NODE22),
};

/** How to start the command line: a program and the arguments before ours. */
interface Launcher {
  name: string;
  cmd: string;
  prefix: string[];
}

const deno: Launcher = {
  name: "deno run",
  cmd: Deno.execPath(),
  prefix: ["run", "-A", "--quiet", "--node-modules-dir=none", MAIN],
};
const node22: Launcher = {
  name: "node 22",
  cmd: NODE22,
  prefix: [
    "--experimental-strip-types",
    "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON",
    "--disable-warning=ExperimentalWarning",
    MAIN,
  ],
};
const bun: Launcher = { name: "bun", cmd: BUN, prefix: [MAIN] };

/** A home, caches and a working directory of one launcher's own. */
async function isolation(dir: string): Promise<Record<string, string>> {
  for (const d of ["home", "docker", "xdg-cache", "work"]) {
    await Deno.mkdir(join(dir, d), { recursive: true });
  }
  return {
    // deno for the `deno install` shim, which runs `deno run`.
    PATH: `${DENO_BIN_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(dir, "home"),
    XDG_CACHE_HOME: join(dir, "xdg-cache"),
    DOCKER_CONFIG: join(dir, "docker"),
    DENO_DIR: Deno.env.get("DENO_DIR") ??
      join(
        Deno.env.get("XDG_CACHE_HOME") ??
          join(Deno.env.get("HOME") ?? "/root", ".cache"),
        "deno",
      ),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
}

function command(
  launcher: Launcher,
  args: string[],
  dir: string,
  env: Record<string, string>,
): Deno.Command {
  return new Deno.Command(launcher.cmd, {
    args: [...launcher.prefix, ...args],
    cwd: join(dir, "work"),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(
  launcher: Launcher,
  args: string[],
  dir: string,
  env: Record<string, string>,
): Promise<CliResult> {
  const out = await command(launcher, args, dir, env).output();
  // The launcher's own directory reads the same for every launcher.
  const same = (s: string) => s.replaceAll(dir, "<dir>");
  return {
    code: out.code,
    stdout: same(dec.decode(out.stdout)),
    stderr: same(dec.decode(out.stderr)),
  };
}

/** The commands every launcher runs; `host` is the registry. */
function script(host: string): string[][] {
  const P = ["--plain-http", "--registry", `${host}/plugins`];
  const S = ["--plain-http", "--registry", `${host}/personalities`];
  return [
    ["--version"],
    ["plugin", "list", ...P],
    ["personality", "list", "--json", ...S],
    ["plugin", "describe", "base", ...P],
    ["personality", "describe", "--json", "sre:v1.0.0", ...S],
    ["plugin", "pull", "base", ...P],
    ["personality", "pull", "--json", "sre", "pulled-sre", ...S],
    ["plugin", "nope"],
  ];
}

/** Runs the script with `launcher` in `dir`; checks the pulled trees. */
async function runScript(
  launcher: Launcher,
  host: string,
  dir: string,
): Promise<CliResult[]> {
  const env = await isolation(dir);
  const results: CliResult[] = [];
  for (const args of script(host)) {
    results.push(await run(launcher, args, dir, env));
  }
  deepStrictEqual(
    await readTree(join(dir, "work/base"), notCacheFile),
    await readTree(PLUGIN_BASE),
    `${launcher.name}: plugin pull`,
  );
  deepStrictEqual(
    await readTree(join(dir, "work/pulled-sre"), notCacheFile),
    await readTree(PERSONALITY_SRE),
    `${launcher.name}: personality pull`,
  );
  return results;
}

/** Waits until `path` exists (a pause marker), at most `ms`. */
async function waitFor(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`${path} did not appear within ${ms} ms`);
}

/**
 * A pull held at its first extracted bytes, then `signal`: it must exit
 * with `code`, print nothing on stdout and leave no destination; the next
 * pull (same launcher) succeeds and leaves nothing but the destination.
 * The interrupted pull removes its `.tmp-*` sibling itself before it
 * exits (`test/reliability/pull_kill_test.ts`: "a graceful stop cleans
 * up").
 */
async function interruptedPull(
  launcher: Launcher,
  host: string,
  dir: string,
  signal: "SIGINT" | "SIGTERM",
  code: number,
): Promise<void> {
  const env = await isolation(dir);
  const marker = join(dir, "paused");
  const args = [
    "plugin",
    "pull",
    "base",
    "--plain-http",
    "--registry",
    `${host}/plugins`,
  ];
  const child = command(launcher, args, dir, {
    ...env,
    KLAUS_OCI_TEST_PAUSE: `extracting:${marker}`,
  }).spawn();
  const out = child.output();
  try {
    await waitFor(marker, 30_000);
  } catch (e) {
    child.kill("SIGKILL");
    const r = await out;
    throw new Error(`${(e as Error).message}\n${dec.decode(r.stderr)}`);
  }
  equal(Number(await Deno.readTextFile(marker)), child.pid);
  child.kill(signal);
  const r = await out;
  const stderr = dec.decode(r.stderr);
  equal(r.code, code, `${launcher.name} after ${signal}: ${stderr}`);
  equal(r.signal, null, "exited by itself, not killed by the signal");
  equal(dec.decode(r.stdout), "");
  ok(!/ReferenceError|TypeError|at .*:\d+:\d+/.test(stderr), stderr);
  const work = join(dir, "work");
  const names = async () =>
    (await Array.fromAsync(Deno.readDir(work), (e) => e.name)).sort();
  deepStrictEqual(await names(), []);
  const again = await run(launcher, args, dir, env);
  equal(again.code, 0, again.stderr);
  deepStrictEqual(await names(), ["base"]);
  deepStrictEqual(
    await readTree(join(work, "base"), notCacheFile),
    await readTree(PLUGIN_BASE),
  );
}

Deno.test({
  name:
    "one CLI everywhere: compiled binary, Node 22, Bun and deno install -g print what deno run prints",
  ignore: needs.registry,
  async fn(t) {
    const reg: RegistryHandle = await startRegistry({ mode: "open" });
    const tmp = await Deno.makeTempDir({ prefix: "klaus-oci-binary-" });
    try {
      // Seeded with the Deno CLI from source.
      {
        await using sb = await sandbox();
        const P = ["--plain-http", "--registry", `${reg.host}/plugins`];
        const S = ["--plain-http", "--registry", `${reg.host}/personalities`];
        await sb.ok(["plugin", "push", PLUGIN_BASE, "base:v1.0.0", ...P]);
        await sb.ok([
          "personality",
          "push",
          PERSONALITY_SRE,
          "sre:v1.0.0",
          ...S,
        ]);
      }

      const expected = await runScript(deno, reg.host, join(tmp, "deno"));
      // The reference itself is right before anything is compared to it.
      const [version, list, , describe, , pull, pullJson, usage] = expected;
      equal(version.stdout.trim(), `klaus-oci ${await denoJsonVersion()}`);
      match(list.stdout, /^NAME +VERSION +REFERENCE\nbase +v1\.0\.0 /);
      match(describe.stdout, /^Name: +base\n/m);
      match(pull.stdout, /^base: pulled \(sha256:[0-9a-f]{12}\)\n$/);
      equal(JSON.parse(pullJson.stdout).dir, "<dir>/work/pulled-sre");
      equal(usage.code, 2);
      for (const r of expected.slice(0, -1)) equal(r.code, 0, r.stderr);
      for (const r of expected.slice(0, -1)) equal(r.stderr, "");

      const same = async (launcher: Launcher) => {
        const got = await runScript(
          launcher,
          reg.host,
          join(tmp, launcher.name),
        );
        const args = script(reg.host);
        for (const [i, r] of got.entries()) {
          deepStrictEqual(
            r,
            expected[i],
            `${launcher.name} ${args[i].join(" ")}`,
          );
        }
      };

      let binary: Launcher | undefined;
      await t.step({
        name: "deno task compile builds the binary (scripts/compile.ts, auto)",
        ignore: needs.bun,
        fn: async () => {
          const output = join(tmp, "dist", "klaus-oci");
          const built = await new Deno.Command(Deno.execPath(), {
            args: ["task", "--quiet", "compile", "--output", output],
            cwd: ROOT,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const stdout = dec.decode(built.stdout);
          equal(built.code, 0, `${stdout}\n${dec.decode(built.stderr)}`);
          match(
            stdout,
            /: (deno compile|bun build --compile), [\d.]+ s, \d+ MiB\n$/,
          );
          ok((await Deno.stat(output)).isFile);
          binary = { name: "binary", cmd: output, prefix: [] };
        },
      });

      await t.step({
        name: "the binary: version, list, describe, pull, usage",
        ignore: needs.bun,
        fn: () => same(binary!),
      });
      await t.step({
        name:
          "the binary: SIGINT during a pull exits 130; the next pull repairs",
        ignore: needs.bun,
        fn: () =>
          interruptedPull(
            binary!,
            reg.host,
            join(tmp, "sigint"),
            "SIGINT",
            130,
          ),
      });
      await t.step({
        name: "node 22 runs the entry from source: same output",
        ignore: needs.node22,
        fn: () => same(node22),
      });
      await t.step({
        name: "node 22: SIGTERM during a pull exits 143; the next pull repairs",
        ignore: needs.node22,
        fn: () =>
          interruptedPull(
            node22,
            reg.host,
            join(tmp, "sigterm"),
            "SIGTERM",
            143,
          ),
      });
      await t.step({
        name: "bun runs the entry from source: same output",
        ignore: needs.bun,
        fn: () => same(bun),
      });

      await t.step("deno install -g from this checkout", async () => {
        const root = join(tmp, "install-root");
        const installed = await new Deno.Command(Deno.execPath(), {
          args: [
            "install",
            "-g",
            "-A",
            "--quiet",
            "--root",
            root,
            "-n",
            "klaus-oci",
            "--config",
            join(ROOT, "deno.json"),
            "--node-modules-dir=none",
            MAIN,
          ],
          cwd: tmp,
          env: { DENO_NO_UPDATE_CHECK: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        equal(installed.code, 0, dec.decode(installed.stderr));
        await same({
          name: "deno install",
          cmd: join(root, "bin", "klaus-oci"),
          prefix: [],
        });
      });
    } finally {
      await reg.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

async function denoJsonVersion(): Promise<string> {
  const text = await Deno.readTextFile(join(ROOT, "deno.json"));
  return JSON.parse(text).version;
}
