/**
 * Start-up of the command line as whole processes, with `hyperfine -N`
 * (no shell; warm-up runs first, so the page cache and Deno's module and
 * code caches are warm):
 *
 * - `--version`: `deno run -A src/cli/main.ts --version`, the `bun build
 *   --compile` binary's `--version`, `skopeo --version`;
 * - a warm `describe`: `plugin describe <ref>` against the registry with
 *   the file cache already holding the answer (no request), from Deno and
 *   from the binary, beside `skopeo inspect --raw docker://<ref>` (which
 *   has no cache: two requests); and `describe ocidir://…` of a local OCI
 *   layout (no cache: the layout is read) beside `skopeo inspect --raw
 *   oci:<layout>:t`.
 *
 * @module
 */
import { join } from "node:path";
import type { CliTool } from "./cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const dec = new TextDecoder();

/** One hyperfine result, times in ms. */
export interface StartupRow {
  /** What ran. */
  name: string;
  /** Who: `deno`, `binary`, `skopeo`. */
  who: string;
  /** The group: `--version`, `describe (registry, warm cache)`, … */
  group: string;
  /** Median wall time. */
  median: number;
  /** Mean wall time. */
  mean: number;
  /** Standard deviation. */
  stddev: number;
  /** Mean user CPU time. */
  user: number;
  /** Mean system CPU time. */
  system: number;
  /** Runs. */
  runs: number;
}

/** The start-up measurement, or why there is none. */
export type StartupResult =
  | { measured: true; hyperfine: string; rows: StartupRow[] }
  | { measured: false; reason: string };

interface Job {
  name: string;
  who: string;
  group: string;
  argv: string[];
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", `'"'"'`)}'`;
}

async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr).trim()}`,
    );
  }
  return dec.decode(out.stdout);
}

/**
 * Measures start-up and warm describe with hyperfine (`runs` runs after 3
 * warm-ups each). `tools[0]` pushes the plugin `pluginDir` to `ref` (a
 * plain-HTTP registry, tag included) and to a local OCI layout first.
 *
 * @example
 * ```ts ignore
 * const r = await measureStartup(root, tools, ref, pluginDir, 20);
 * ```
 */
export async function measureStartup(
  root: string,
  tools: CliTool[],
  ref: string,
  pluginDir: string,
  runs: number,
): Promise<StartupResult> {
  let version: string;
  try {
    version = (await run("hyperfine", ["--version"])).trim();
  } catch {
    return { measured: false, reason: "hyperfine is not installed" };
  }
  const home = await Deno.makeTempDir({ dir: root, prefix: "startup-" });
  const env = { DOCKER_CONFIG: home, NO_COLOR: "1" };
  const cache = join(home, "cache");
  // An OCI layout store for ocidir://, filled by our push; skopeo reads
  // the same layout (the repository directory) with oci:<dir>:<tag>.
  const store = join(home, "store");
  const ocidirRef = `ocidir://${store}/base:v1.0.0`;
  const [deno] = tools;
  await run(deno.argv[0], [
    ...deno.argv.slice(1),
    "--quiet",
    "--plain-http",
    "--no-cache",
    "plugin",
    "push",
    pluginDir,
    ref,
  ], env);
  await run(deno.argv[0], [
    ...deno.argv.slice(1),
    "--quiet",
    "plugin",
    "push",
    pluginDir,
    ocidirRef,
  ], env);
  const jobs: Job[] = [];
  for (const t of tools) {
    jobs.push({
      name: `${t.id} --version`,
      who: t.id,
      group: "--version",
      argv: [...t.argv, "--version"],
    });
  }
  jobs.push({
    name: "skopeo --version",
    who: "skopeo",
    group: "--version",
    argv: ["skopeo", "--version"],
  });
  for (const t of tools) {
    const argv = [
      ...t.argv,
      "--plain-http",
      "--cache-dir",
      cache,
      "plugin",
      "describe",
      ref,
    ];
    await run(argv[0], argv.slice(1), env); // fills the cache
    jobs.push({
      name: `${t.id} plugin describe (warm cache)`,
      who: t.id,
      group: "describe, registry (ours: warm file cache, no request)",
      argv,
    });
  }
  jobs.push({
    name: "skopeo inspect --raw docker://…",
    who: "skopeo",
    group: "describe, registry (ours: warm file cache, no request)",
    argv: [
      "skopeo",
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${ref}`,
    ],
  });
  for (const t of tools) {
    jobs.push({
      name: `${t.id} plugin describe ocidir://`,
      who: t.id,
      group: "describe, local OCI layout",
      argv: [...t.argv, "--no-cache", "plugin", "describe", ocidirRef],
    });
  }
  jobs.push({
    name: "skopeo inspect --raw oci:…",
    who: "skopeo",
    group: "describe, local OCI layout",
    argv: ["skopeo", "inspect", "--raw", `oci:${join(store, "base")}:v1.0.0`],
  });
  try {
    const rows: StartupRow[] = [];
    for (const job of jobs) {
      const json = join(home, "hyperfine.json");
      await run("hyperfine", [
        "-N",
        "--warmup",
        "3",
        "--runs",
        String(runs),
        "--export-json",
        json,
        job.argv.map(quote).join(" "),
      ], env);
      const r = JSON.parse(await Deno.readTextFile(json)).results[0];
      rows.push({
        name: job.name,
        who: job.who,
        group: job.group,
        median: r.median * 1000,
        mean: r.mean * 1000,
        stddev: r.stddev * 1000,
        user: r.user * 1000,
        system: r.system * 1000,
        runs: r.times.length,
      });
    }
    return { measured: true, hyperfine: version, rows };
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}
