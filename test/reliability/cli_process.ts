/**
 * The CLI as a real process for the reliability tests: an isolated
 * environment below a temp dir, a hard time limit (a hang is a failure,
 * not a stuck suite), and optionally the process's peak memory.
 *
 * @module
 */
import { MAIN } from "../cli/helpers.ts";

/** What one run did. */
export interface CliRun {
  /** Exit code (`-1` when killed at the limit). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
  /** Wall time in milliseconds. */
  elapsedMs: number;
  /** Whether the run was killed at its limit. */
  timedOut: boolean;
  /** Peak resident memory in KiB (`VmHWM`), when sampled. */
  peakRssKiB?: number;
}

/** Options of {@linkcode runCliWithin}. */
export interface RunOptions {
  /** The process environment (nothing else is inherited). */
  env: Record<string, string>;
  /** Working directory. */
  cwd: string;
  /** Kill the process after this long (milliseconds). */
  limitMs: number;
  /** Sample the peak resident memory from `/proc` (Linux). */
  sampleMemory?: boolean;
}

function denoDir(): string {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/deno`;
  return `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
}

/**
 * An environment below `dir` with no credential or cache of the machine:
 * HOME, XDG cache and an empty `DOCKER_CONFIG`, plus `extra`.
 */
export async function isolatedEnv(
  dir: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  for (const d of ["home", "docker", "xdg-cache", "work"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}/home`,
    XDG_CACHE_HOME: `${dir}/xdg-cache`,
    DOCKER_CONFIG: `${dir}/docker`,
    DENO_DIR: denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `klaus-oci <args>`, killed after `limitMs`. */
export async function runCliWithin(
  args: string[],
  options: RunOptions,
): Promise<CliRun> {
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.limitMs);
  let peak: number | undefined;
  let sampling = options.sampleMemory ?? false;
  const sampler = (async () => {
    while (sampling) {
      const v = await peakRss(child.pid);
      if (v !== undefined) peak = Math.max(peak ?? 0, v);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const out = await child.output();
    const td = new TextDecoder();
    return {
      code: timedOut ? -1 : out.code,
      stdout: td.decode(out.stdout),
      stderr: td.decode(out.stderr),
      elapsedMs: Date.now() - started,
      timedOut,
      peakRssKiB: peak,
    };
  } finally {
    clearTimeout(killer);
    sampling = false;
    await sampler;
  }
}

/** Every regular file below `dir` (absolute paths); none when missing. */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
