/**
 * Runs the command line as a subprocess (`deno run -A src/cli/main.ts …`)
 * with an isolated environment: a temporary HOME, cache and Docker config,
 * so no credential or cache of the machine leaks into a test.
 */

import { equal } from "node:assert/strict";
import type { CliClient } from "../../src/cli/context.ts";
import { runCli } from "../../src/cli/run.ts";

/** Path of the CLI entry. */
export const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

/** Shared fixtures. */
export const FIXTURES = new URL("../fixtures/", import.meta.url)
  .pathname;
/** The real plugin source. */
export const PLUGIN_BASE = `${FIXTURES}plugins/base`;
/** The real personality source. */
export const PERSONALITY_SRE = `${FIXTURES}personalities/sre`;

/** What a run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A sandbox for CLI runs: a temp dir holding HOME, caches and work dirs. */
export interface Sandbox extends AsyncDisposable {
  /** The temp dir. */
  dir: string;
  /** Runs the CLI with `args`; extra env merged over the sandbox env. */
  run(
    args: string[],
    options?: { env?: Record<string, string>; cwd?: string },
  ): Promise<CliResult>;
  /** Like {@linkcode run} but fails the test unless the exit code is 0. */
  ok(
    args: string[],
    options?: { env?: Record<string, string>; cwd?: string },
  ): Promise<CliResult>;
  /** Removes the temp dir. */
  cleanup(): Promise<void>;
}

function denoDir(): string {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/deno`;
  return `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
}

/** Makes a sandbox; `baseEnv` is added to every run. */
export async function sandbox(
  baseEnv: Record<string, string> = {},
): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-cli-" });
  await Deno.mkdir(`${dir}/home`);
  await Deno.mkdir(`${dir}/docker`);
  await Deno.mkdir(`${dir}/work`);
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}/home`,
    XDG_CACHE_HOME: `${dir}/xdg-cache`,
    DOCKER_CONFIG: `${dir}/docker`,
    DENO_DIR: denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    ...baseEnv,
  };
  const run = async (
    args: string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ): Promise<CliResult> => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: options.cwd ?? `${dir}/work`,
      env: { ...env, ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const td = new TextDecoder();
    return {
      code: out.code,
      stdout: td.decode(out.stdout),
      stderr: td.decode(out.stderr),
    };
  };
  const cleanup = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  return {
    dir,
    run,
    async ok(args, options) {
      const r = await run(args, options);
      equal(
        r.code,
        0,
        `klaus-oci ${
          args.join(" ")
        } exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
      return r;
    },
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
}

/** Every file below `dir` (relative paths, sorted) with its bytes. */
export async function readTree(
  dir: string,
  ignore: (path: string) => boolean = () => false,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (ignore(path)) continue;
      if (e.isDirectory) await walk(path);
      else files.set(path, await Deno.readFile(`${dir}/${path}`));
    }
  };
  await walk("");
  return new Map([...files.entries()].sort(([a], [b]) => a < b ? -1 : 1));
}

/** Copies a directory tree. */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** An in-memory output channel of in-process runs. */
export class Sink {
  text = "";
  constructor(readonly isTTY = false, readonly columns = 120) {}
  write(t: string) {
    this.text += t;
  }
}

/**
 * A client for in-process runs: `overrides`, `close`, and a failure for
 * any other call (the run asked for what the test did not expect).
 */
export function standIn(overrides: Partial<CliClient>): CliClient {
  const client: Record<string, unknown> = {
    resolve: () => Promise.reject(new Error("no such tag")),
    close: () => Promise.resolve(),
  };
  return new Proxy({ ...client, ...overrides } as CliClient, {
    get: (t, k) =>
      (t as unknown as Record<string | symbol, unknown>)[k] ??
        (typeof k === "symbol" || k === "then" ? undefined : () => {
          throw new Error(`unexpected call ${String(k)}`);
        }),
  });
}

/** Runs the command line in this process with `client` and `env`. */
export async function runInProcess(
  args: string[],
  client: CliClient = standIn({}),
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = new Sink();
  const err = new Sink();
  const code = await runCli(args, {
    stdout: out,
    stderr: err,
    env: (n) => env[n],
    createClient: () => client,
    version: "0.0.0",
    closeTimeoutMs: 100,
  });
  return { code, stdout: out.text, stderr: err.text };
}
