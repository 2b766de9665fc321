/**
 * One push or pull of the benchmark under any runtime — Deno, Node ≥ 22.6
 * (type stripping), Node 20 (an esbuild bundle of this file), Bun — written
 * with nothing but web standards and `node:` built-ins, so peak RSS can be
 * compared runtime against runtime on the very same script:
 *
 *   deno run -A bench/runtime_op.ts push <pluginDir> <ref>
 *   node --experimental-strip-types bench/runtime_op.ts pull <ref> <destDir>
 *   bun run bench/runtime_op.ts push <pluginDir> <ref>
 *
 * `push` is `Client.pushPlugin`, `pull` is `Client.pullPlugin` (per-file
 * limit raised to 1 GiB for both, as in `bench/op.ts`), over plain HTTP.
 * Credentials come from the library's usual chain (`DOCKER_CONFIG`, …).
 *
 * Prints one JSON line {@linkcode RuntimeOpResult}: the time of the call
 * alone and the process's kernel high-water mark (`VmHWM` from
 * `/proc/self/status`; 0 where there is no `/proc`).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { Client, readPluginFromDir } from "../src/mod.ts";

/** What one run reports. */
export interface RuntimeOpResult {
  /** `push` or `pull`. */
  op: string;
  /** Runtime and version, e.g. `node 22.23.3`. */
  runtime: string;
  /** Milliseconds the library call took inside the process. */
  ms: number;
  /** Peak resident set size of the process in bytes (`VmHWM`; 0: unknown). */
  peakRssBytes: number;
}

/**
 * The runtime's name and version.
 *
 * @example
 * ```ts ignore
 * console.log(runtimeName()); // "deno 2.9.6"
 * ```
 */
export function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

function vmHwm(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(
      readFileSync("/proc/self/status", "utf8"),
    );
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const [op, a, b] = process.argv.slice(2);
  if ((op !== "push" && op !== "pull") || !a || !b) {
    console.error(
      "usage: runtime_op.ts push <pluginDir> <ref> | pull <ref> <dest>",
    );
    process.exit(2);
  }
  const client = new Client({ plainHttp: true });
  const t0 = performance.now();
  try {
    // The random files are over the default per-file limit (100 MiB).
    const limits = { maxFileBytes: 1024 * 1024 * 1024 };
    if (op === "push") {
      await client.pushPlugin(a, b, await readPluginFromDir(a), { limits });
    } else {
      await client.pullPlugin(a, b, { limits });
    }
  } finally {
    await client.close();
  }
  const result: RuntimeOpResult = {
    op,
    runtime: runtimeName(),
    ms: performance.now() - t0,
    peakRssBytes: vmHwm(),
  };
  console.log(JSON.stringify(result));
}

// Not `import.meta.main`: Node 20 has none. A bundle or a direct run of
// this file has it as argv[1].
const entry = process.argv[1] ?? "";
if (/runtime_op(\.bundle)?\.(ts|mjs)$/.test(entry)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
