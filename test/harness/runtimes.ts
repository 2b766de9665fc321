/**
 * The other runtimes the library runs on, as test subprocesses: Bun and
 * Node 22 from npm (`node_modules/.bin`), the system Node (≥ 20) through an
 * esbuild bundle — the way a Node < 22.6 project consumes the library.
 *
 * @module
 */
import { basename, join } from "node:path";
import { missing } from "./require.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "node_modules/.bin");

/** npm `bun`. */
export const BUN: string = join(BIN, "bun");
/** npm `node` (22). */
export const NODE22: string = join(BIN, "node");
/** npm `esbuild`. */
export const ESBUILD: string = join(BIN, "esbuild");

/** Flags that run TypeScript sources under Node 22 quietly. */
export const NODE22_TS_FLAGS: readonly string[] = [
  "--experimental-strip-types",
  "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON",
  "--disable-warning=ExperimentalWarning",
];

/** A `node` on PATH that is not an npm-installed one (the system Node). */
function systemNode(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir || dir.includes("node_modules")) continue;
    try {
      if (Deno.statSync(`${dir}/node`).isFile) return `${dir}/node`;
    } catch {
      // not here
    }
  }
  return "node (system)";
}

/** The system Node, or `"node (system)"` where there is none. */
export const NODE_SYSTEM: string = systemNode();

/** `cmd --version`, trimmed; `""` when it cannot be run. */
export async function runtimeVersion(cmd: string): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args: ["--version"] }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/**
 * Bundles `entry` (TypeScript, with its npm imports) into one ESM file
 * for Node ≥ 20 at `outfile`; throws with esbuild's output on failure.
 */
export async function bundleForNode(
  entry: string,
  outfile: string,
): Promise<void> {
  const built = await new Deno.Command(ESBUILD, {
    args: [
      entry,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      `--outfile=${outfile}`,
      "--log-level=warning",
      // yaml ships CommonJS for Node; an ESM bundle needs `require`.
      "--banner:js=import { createRequire as __klausRequire } from 'node:module'; const require = __klausRequire(import.meta.url);",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!built.success) {
    throw new Error(
      `esbuild failed: ${new TextDecoder().decode(built.stderr)}`,
    );
  }
}

/** A runtime that can run a test script of ours, as a subprocess. */
export interface ScriptRuntime {
  /** For test names, e.g. `Node 22 (type stripping)`. */
  label: string;
  /** True when the runtime is missing here (throws in CI: `missing()`). */
  ignore: boolean;
  /**
   * Runs `script` with `args` in this runtime (the system Node through a
   * bundle made for the call) and returns the last line it printed, parsed
   * as JSON; throws with its output when it fails.
   */
  run<T>(script: string, args?: string[]): Promise<T>;
}

/**
 * Node 22 (type stripping), the system Node (an esbuild bundle) and Bun,
 * each able to run a script of ours that prints a JSON report.
 *
 * @example
 * ```ts ignore
 * for (const rt of scriptRuntimes()) {
 *   Deno.test({ name: `x under ${rt.label}`, ignore: rt.ignore, fn: async () => {
 *     const report = await rt.run<{ ok: boolean }>(SCRIPT, ["arg"]);
 *   } });
 * }
 * ```
 */
export function scriptRuntimes(): ScriptRuntime[] {
  return [
    {
      label: "Node 22 (type stripping)",
      ignore: missing(NODE22),
      run: (script, args = []) =>
        runForReport(NODE22, [...NODE22_TS_FLAGS, script, ...args]),
    },
    {
      label: `the system Node (${NODE_SYSTEM}, esbuild bundle)`,
      ignore: missing(NODE_SYSTEM, ESBUILD),
      async run(script, args = []) {
        const dir = await Deno.makeTempDir({ prefix: "klaus-bundle-" });
        try {
          // The scripts run their main only as the entry (`<name>.bundle.mjs`).
          const bundle = join(dir, `${basename(script, ".ts")}.bundle.mjs`);
          await bundleForNode(script, bundle);
          return await runForReport(NODE_SYSTEM, [bundle, ...args]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    },
    {
      label: "Bun",
      ignore: missing(BUN),
      run: (script, args = []) => runForReport(BUN, ["run", script, ...args]),
    },
  ];
}

async function runForReport<T>(cmd: string, args: string[]): Promise<T> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}\n${stdout}\n${
        dec.decode(out.stderr)
      }`,
    );
  }
  return JSON.parse(stdout.split("\n").pop() ?? "") as T;
}
