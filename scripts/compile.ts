/**
 * `deno task compile [--backend auto|deno|bun] [--output PATH]`: builds the
 * command line (`src/cli/main.ts`) into one self-contained binary, by
 * default `dist/klaus-oci`.
 *
 * - `deno`: `deno compile`. It needs Deno's `denort` runtime, which it
 *   downloads from dl.deno.land on first use (or takes from `$DENORT_BIN`).
 * - `bun`: `bun build --compile`, with the npm `bun` package
 *   (`node_modules/.bin/bun`, else `bun` on PATH); it needs no network.
 * - `auto` (the default): `deno` when `denort` is at hand (`$DENORT_BIN`,
 *   the cached download) or dl.deno.land answers within a few seconds,
 *   else `bun`; a failed `deno compile` falls back to `bun` as well.
 *
 * Prints one line: the binary, how it was built, the time and its size.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname;
const ENTRY = `${ROOT}src/cli/main.ts`;
const DEFAULT_OUTPUT = `${ROOT}dist/klaus-oci`;
/** How long auto waits for dl.deno.land before choosing bun. */
const PROBE_TIMEOUT_MS = 3000;

type Backend = "deno" | "bun";

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function denoDir(): Promise<string | undefined> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
  } catch {
    return undefined;
  }
}

/** Where `deno compile` finds `denort` without downloading, if anywhere. */
async function localDenort(): Promise<string | undefined> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) return exists(bin) ? bin : undefined;
  const dir = await denoDir();
  if (!dir) return undefined;
  const zip =
    `${dir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return exists(zip) ? zip : undefined;
}

async function denortDownloadable(): Promise<boolean> {
  const url =
    `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    const res = await fetch(url, {
      method: "HEAD",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function bunPath(): string {
  const local = `${ROOT}node_modules/.bin/bun`;
  return exists(local) ? local : "bun";
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const child = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).success;
  } catch (e) {
    console.error(`compile: cannot run ${cmd}: ${(e as Error).message}`);
    return false;
  }
}

function build(backend: Backend, output: string): Promise<boolean> {
  if (backend === "deno") {
    return run(Deno.execPath(), [
      "compile",
      "--allow-all",
      "--node-modules-dir=none",
      "--quiet",
      "--output",
      output,
      ENTRY,
    ]);
  }
  return run(bunPath(), ["build", "--compile", "--outfile", output, ENTRY]);
}

async function choose(requested: string): Promise<Backend> {
  if (requested === "deno" || requested === "bun") return requested;
  if (await localDenort()) return "deno";
  return await denortDownloadable() ? "deno" : "bun";
}

async function compile(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: "string", default: "auto" },
      output: { type: "string", default: DEFAULT_OUTPUT },
    },
  });
  const requested = values.backend;
  if (!["auto", "deno", "bun"].includes(requested)) {
    console.error(`compile: --backend must be auto, deno or bun`);
    return 2;
  }
  const output = resolve(values.output);
  await Deno.mkdir(dirname(output), { recursive: true });

  let backend = await choose(requested);
  const started = performance.now();
  let ok = await build(backend, output);
  if (!ok && backend === "deno" && requested === "auto") {
    console.error("compile: deno compile failed; building with bun instead");
    backend = "bun";
    ok = await build(backend, output);
  }
  if (!ok) {
    console.error(`compile: ${backend} build of ${output} failed`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const mib = Deno.statSync(output).size / 2 ** 20;
  const how = backend === "deno" ? "deno compile" : "bun build --compile";
  console.log(
    `${output}: ${how}, ${seconds.toFixed(1)} s, ${mib.toFixed(0)} MiB`,
  );
  return 0;
}

Deno.exit(await compile(Deno.args));
