/**
 * Shared parts of the pull reliability tests: the CLI as a real process
 * (spawned, so a test can signal it), an isolated environment, artifacts
 * put into a real registry, directory snapshots and the siblings a pull
 * may leave next to its destination.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { RegistryHandle } from "../harness/registry.ts";
import { gzip, makeTar } from "../harness/seed.ts";
import { MAIN } from "../cli/helpers.ts";
import { MT, rawPush, type RawPushed } from "../artifact/fixtures_ops.ts";

export { contentTree } from "../artifact/fixtures_ops.ts";

/** Repository of the plugin the tests pull. */
export const PLUGIN_REPO = "giantswarm/klaus-plugins/reliable";
/** Repository of the personality the tests pull. */
export const PERSONALITY_REPO = "giantswarm/klaus-personalities/reliable";

function denoDir(): string {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/deno`;
  return `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
}

/** A clean environment below `dir`: HOME, caches, Docker config. */
export async function cliEnv(dir: string): Promise<Record<string, string>> {
  for (const d of ["home", "docker", "xdg-cache"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}/home`,
    XDG_CACHE_HOME: `${dir}/xdg-cache`,
    DOCKER_CONFIG: `${dir}/docker`,
    DENO_DIR: denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
  };
}

/** Options of {@linkcode spawnCli} and {@linkcode runCli}. */
export interface CliRun {
  env: Record<string, string>;
  cwd: string;
}

/** Starts `klaus-oci <args>` as a child process (stdout, stderr piped). */
export function spawnCli(args: string[], run: CliRun): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd: run.cwd,
    env: run.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** What a finished CLI process did. */
export interface CliOutcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Waits for `child` and collects its output. */
export async function outcome(child: Deno.ChildProcess): Promise<CliOutcome> {
  const out = await child.output();
  const td = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: td.decode(out.stdout),
    stderr: td.decode(out.stderr),
  };
}

/** Runs `klaus-oci <args>` to its end. */
export async function runCli(args: string[], run: CliRun): Promise<CliOutcome> {
  return await outcome(spawnCli(args, run));
}

/**
 * Waits until `path` exists (the pause marker); fails when `child` exits
 * first or after `timeoutMs`.
 */
export async function waitForMarker(
  path: string,
  child: Deno.ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  let exited = false;
  const watch = child.status.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      // not yet
    }
    if (exited) {
      throw new Error(`the CLI exited before the pause point ${path}`);
    }
    await Promise.race([watch, new Promise((r) => setTimeout(r, 20))]);
  }
  throw new Error(`no pause marker ${path} after ${timeoutMs} ms`);
}

/** The `.tmp-*`, `.old-*` and `.del-*` siblings of `dest`, sorted. */
export async function siblingsOf(dest: string): Promise<string[]> {
  const base = basename(dest);
  return (await readdir(dirname(dest))).filter((n) =>
    /^\.(tmp|old|del)-/.test(n.slice(base.length)) && n.startsWith(base)
  ).sort();
}

/** Whether `path` exists (without following a link). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** `n` bytes that do not compress (so a layer spans many chunks). */
export function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

/** Pushes a plugin whose layer holds `files` under `tag`. */
export async function pushPlugin(
  reg: RegistryHandle,
  tag: string,
  files: Record<string, string | Uint8Array>,
): Promise<RawPushed> {
  return await rawPush(reg, PLUGIN_REPO, [tag], {
    config: JSON.stringify({ commands: Object.keys(files).slice(0, 1) }),
    configMediaType: MT.pluginConfig,
    annotations: { "io.giantswarm.klaus.name": "reliable" },
    layers: [{
      mediaType: MT.pluginContent,
      bytes: await gzip(makeTar(files)),
    }],
  });
}

/** Pushes a personality whose layer is the tar.gz `layer` under `tag`. */
export async function pushPersonality(
  reg: RegistryHandle,
  tag: string,
  layer: Uint8Array,
): Promise<RawPushed> {
  return await rawPush(reg, PERSONALITY_REPO, [tag], {
    config: "{}",
    configMediaType: MT.personalityConfig,
    annotations: { "io.giantswarm.klaus.name": "reliable" },
    layers: [{ mediaType: MT.personalityContent, bytes: layer }],
  });
}

/** The start time field of `/proc/<pid>/stat` in base 36 (Linux). */
export async function procStart(pid: number): Promise<string> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return BigInt(ticks).toString(36);
}
