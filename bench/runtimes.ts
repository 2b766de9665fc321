/**
 * Time and peak RSS of one push and one pull of the same corpus under each
 * runtime the library supports, on the same registry, all running the same
 * script (`bench/runtime_op.ts`, one process per run), for each corpus
 * given (the benchmark passes 256 MiB random, the text tree and the mixed
 * tree):
 *
 * - Deno (`deno run -A`), the TypeScript source;
 * - Node 22 (npm `node`, `node_modules/.bin/node`) with type stripping;
 * - the system Node (20 here) running an esbuild bundle of the script;
 * - Bun (npm `bun`), the TypeScript source.
 *
 * The runtimes alternate (the order rotates every round) after one
 * discarded warm-up round. A runtime that is not installed is reported as
 * such, not left out silently.
 *
 * @module
 */
import { join } from "node:path";
import type { RegistryHandle } from "../test/harness/registry.ts";
import {
  BUN,
  bundleForNode,
  ESBUILD,
  NODE22,
  NODE22_TS_FLAGS,
  NODE_SYSTEM,
  runtimeVersion,
} from "../test/harness/runtimes.ts";
import type { Corpus } from "./corpora.ts";
import { discard, settle } from "./procs.ts";
import type { RuntimeOpResult } from "./runtime_op.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SCRIPT = new URL("./runtime_op.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** The runs of one runtime. */
export interface RuntimeRuns {
  /** Label, e.g. `Node 22 (type stripping)`. */
  label: string;
  /** `node 22.23.3`, from the script itself (empty when not run). */
  version: string;
  /** Why it was not measured (`undefined`: measured). */
  missing?: string;
  /** The error of a run that failed (later runs of it were not made). */
  failed?: string;
  /** Push runs. */
  push: RuntimeOpResult[];
  /** Pull runs. */
  pull: RuntimeOpResult[];
}

/** The runtimes on one corpus. */
export interface RuntimesCorpus {
  /** Corpus id. */
  id: string;
  /** Corpus label. */
  label: string;
  /** Data size in MiB. */
  sizeMiB: number;
  /** One entry per runtime, Deno first. */
  runtimes: RuntimeRuns[];
}

/** Everything {@linkcode measureRuntimes} measured. */
export interface RuntimesResult {
  /** Always true (see {@linkcode RuntimesSkipped}). */
  measured: true;
  /** Kept runs per runtime and operation. */
  runs: number;
  /** Per corpus. */
  corpora: RuntimesCorpus[];
}

/** Runtimes not measured in this run, and why. */
export interface RuntimesSkipped {
  /** Always false. */
  measured: false;
  /** Why not. */
  reason: string;
}

interface Runtime {
  label: string;
  /** `node 22.23.3`, from `--version` (empty when unknown). */
  version: string;
  /** Program and arguments before `<op> <a> <b>`. */
  argv: string[];
  /** Why it cannot run here, if so. */
  missing?: string;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Bundles the script for Node 20 (as `test/runtime/runtimes_test.ts`). */
async function bundle(outDir: string): Promise<string | undefined> {
  if (!isFile(ESBUILD)) return undefined;
  const out = join(outDir, "runtime_op.bundle.mjs");
  await bundleForNode(SCRIPT, out);
  return out;
}

async function runtimes(root: string): Promise<Runtime[]> {
  const list: Runtime[] = [
    {
      label: "Deno",
      version: `deno ${Deno.version.deno}`,
      argv: [Deno.execPath(), "run", "-A", SCRIPT],
    },
  ];
  const node22 = NODE22;
  const v22 = isFile(node22) ? await runtimeVersion(node22) : "";
  list.push(
    /^v(2[2-9]|[3-9]\d)\./.test(v22)
      ? {
        label: "Node 22 (npm `node`, type stripping)",
        version: `node ${v22.slice(1)}`,
        argv: [node22, ...NODE22_TS_FLAGS, SCRIPT],
      }
      : {
        label: "Node 22 (npm `node`, type stripping)",
        version: v22 ? `node ${v22.slice(1)}` : "",
        argv: [],
        missing: `${node22} ${v22 ? `is ${v22}, not ≥ 22` : "not installed"}`,
      },
  );
  const sys = isFile(NODE_SYSTEM) ? NODE_SYSTEM : undefined;
  const vSys = sys ? await runtimeVersion(sys) : "";
  const bundled = sys && /^v(2\d|[3-9]\d)\./.test(vSys)
    ? await bundle(root)
    : undefined;
  list.push(
    sys && bundled
      ? {
        label: `system Node (${sys}, esbuild bundle)`,
        version: `node ${vSys.slice(1)}`,
        argv: [sys, bundled],
      }
      : {
        label: "system Node (esbuild bundle)",
        version: vSys ? `node ${vSys.slice(1)}` : "",
        argv: [],
        missing: !sys
          ? "no node on PATH outside node_modules"
          : !/^v(2\d|[3-9]\d)\./.test(vSys)
          ? `${sys} is ${vSys}, not ≥ 20`
          : `${ESBUILD} not installed`,
      },
  );
  const bun = BUN;
  list.push(
    isFile(bun)
      ? {
        label: "Bun (npm `bun`)",
        version: `bun ${await runtimeVersion(bun)}`,
        argv: [bun, "run", SCRIPT],
      }
      : {
        label: "Bun (npm `bun`)",
        version: "",
        argv: [],
        missing: `${bun} not installed`,
      },
  );
  return list;
}

/** A run that exited non-zero; `stderr` is all it said. */
class RunFailed extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
  }
}

async function runOnce(
  rt: Runtime,
  op: "push" | "pull",
  a: string,
  b: string,
  env: Record<string, string>,
): Promise<RuntimeOpResult> {
  const [cmd, ...args] = rt.argv;
  await settle();
  const out = await new Deno.Command(cmd, {
    args: [...args, op, a, b],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const stderr = dec.decode(out.stderr);
    const first = stderr.split("\n").find((l) => l.trim() !== "") ?? "";
    throw new RunFailed(
      `${op} exited ${out.code}: ${first.trim().slice(0, 400)}`,
      stderr,
    );
  }
  const line = dec.decode(out.stdout).trim().split("\n").pop()!;
  return JSON.parse(line) as RuntimeOpResult;
}

/**
 * Pushes each corpus to a fresh repository of `reg` and pulls it back into
 * a fresh directory, `runs` times per runtime (after a warm-up round).
 *
 * @example
 * ```ts ignore
 * const r = await measureRuntimes(reg, root, [random256, text], 3, console.error);
 * console.log(r.corpora[0].runtimes.map((x) => x.push.map((p) => p.peakRssBytes)));
 * ```
 */
export async function measureRuntimes(
  reg: RegistryHandle,
  root: string,
  corpora: Corpus[],
  runs: number,
  log: (msg: string) => void,
): Promise<RuntimesResult> {
  const list = await runtimes(root);
  for (const rt of list) {
    if (rt.missing) {
      log(`  !!! runtime ${rt.label} NOT MEASURED: ${rt.missing}`);
    }
  }
  const result: RuntimesResult = { measured: true, runs, corpora: [] };
  // The developer's registry config stays out; the registry is open.
  const home = await Deno.makeTempDir({ prefix: "klaus-bench-rt-" });
  const env = { HOME: home, DOCKER_CONFIG: home, XDG_RUNTIME_DIR: home };
  try {
    for (const corpus of corpora) {
      log(`  runtimes: ${corpus.label}`);
      result.corpora.push(
        await measureCorpus(reg, root, corpus, list, runs, env, log),
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
  return result;
}

async function measureCorpus(
  reg: RegistryHandle,
  root: string,
  corpus: Corpus,
  list: Runtime[],
  runs: number,
  env: Record<string, string>,
  log: (msg: string) => void,
): Promise<RuntimesCorpus> {
  const result: RuntimesCorpus = {
    id: corpus.id,
    label: corpus.label,
    sizeMiB: corpus.bytes / (1024 * 1024),
    runtimes: list.map((rt) => ({
      label: rt.label,
      version: rt.version,
      missing: rt.missing,
      push: [],
      pull: [],
    })),
  };
  const present = list.map((rt, i) => ({ rt, i })).filter((x) => !x.rt.missing);
  let seq = 0;
  for (let round = -1; round < runs; round++) {
    const keep = round >= 0;
    const label = keep ? `run ${round + 1}/${runs}` : "warm-up";
    for (let k = 0; k < present.length; k++) {
      const { rt, i } = present[(k + round + 1) % present.length];
      if (result.runtimes[i].failed) continue;
      const ref = reg.ref(`bench/rt-${corpus.id}-${seq++}`, "v1.0.0");
      const dest = join(root, `rt-pull-${seq++}`);
      let push: RuntimeOpResult;
      let pull: RuntimeOpResult;
      try {
        push = await runOnce(rt, "push", corpus.dir, ref, env);
        pull = await runOnce(rt, "pull", ref, dest, env);
      } catch (e) {
        // A runtime the library does not run on is a finding: report it
        // and go on with the others.
        const msg = e instanceof Error ? e.message : String(e);
        result.runtimes[i].failed = msg;
        log(
          `  !!! runtime ${rt.label} FAILED: ${msg}\n${
            e instanceof RunFailed ? e.stderr : ""
          }`,
        );
        continue;
      } finally {
        await discard(dest);
      }
      const mib = (x: number) => (x / 1048576).toFixed(1);
      log(
        `  ${corpus.label} ${push.runtime} ${label}: push ${
          push.ms.toFixed(0)
        } ms, ${mib(push.peakRssBytes)} MiB; pull ${pull.ms.toFixed(0)} ms, ${
          mib(pull.peakRssBytes)
        } MiB`,
      );
      result.runtimes[i].version = push.runtime;
      if (keep) {
        result.runtimes[i].push.push(push);
        result.runtimes[i].pull.push(pull);
      }
    }
  }
  return result;
}
