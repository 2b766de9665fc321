/**
 * Profiles one operation of the benchmark with V8's CPU profiler and
 * prints where the time went:
 *
 *   deno run -A bench/profile.ts pull   [--size 256] [--keep DIR]
 *   deno run -A bench/profile.ts push   [--size 256] [--corpus text]
 *   deno run -A bench/profile.ts upload [--size 256]
 *   deno run -A bench/profile.ts pack   --corpus mixed
 *   deno run -A bench/profile.ts cli-describe|cli-pull|cli-push [--tree example-git]
 *
 * It starts a registry, makes the corpus (`--corpus random|text|mixed`,
 * random of `--size` MiB by default), seeds it (for pull/upload), runs
 * `bench/op.ts <op>` under `deno run --cpu-prof` and summarizes the
 * `.cpuprofile`: self time per function and per source file. The `cli-`
 * operations profile one whole command-line process on a KiB-scale tree
 * (`--tree`, default the base fixture; a fresh `--cache-dir`) and print its
 * wall time beside the sampled time: the rest is Deno's start-up before the
 * first sample. `--keep DIR` keeps the profile (open it in Chrome DevTools
 * → Performance).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRegistry } from "../test/harness/registry.ts";
import {
  type Corpus,
  kibTrees,
  makeMixedCorpus,
  makeRandomCorpus,
  makeTextCorpus,
} from "./corpora.ts";
import { runOurs, runSkopeoCopy } from "./procs.ts";
import { table } from "./stats.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per file, in ms. */
export interface ProfileSummary {
  /** Total sampled time in ms. */
  totalMs: number;
  /** `[function (file:line), ms]`, largest first. */
  functions: [string, number][];
  /** `[file, ms]`, largest first. */
  files: [string, number][];
  /** `[category, ms]` (see {@linkcode categoryOf}), largest first. */
  categories: [string, number][];
}

/** The categories of {@linkcode categoryOf}, in order of precedence. */
export const CATEGORIES = {
  idle: "(idle): waiting for I/O, the network, timers",
  npm: "npm packages (node_modules), with what they call",
  loader:
    "Deno's lazily loaded Node compatibility and CommonJS loader (loadExtScript, lazyLoad, node:module), with what they call",
  src: "src/, with what it calls",
  program: "(program): V8 parsing and compiling, native work",
  gc: "(garbage collector)",
  other: "other (runtime JS outside the above)",
} as const;

/**
 * The category of a sample from its stack (leaf first): idle, else the
 * first of npm code, Deno's lazy Node-compat loader, `src/` found on the
 * stack, else `(program)`, GC or other.
 */
export function categoryOf(stack: ProfileNode["callFrame"][]): string {
  const leaf = stack[0];
  if (leaf.functionName === "(idle)") return CATEGORIES.idle;
  if (stack.some((f) => f.url.includes("/node_modules/"))) {
    return CATEGORIES.npm;
  }
  if (
    stack.some((f) =>
      f.url === "node:module" ||
      (f.url.startsWith("ext:core") &&
        (f.functionName === "loadExtScript" || f.functionName === "lazyLoad"))
    )
  ) return CATEGORIES.loader;
  if (stack.some((f) => /\/src\//.test(f.url))) return CATEGORIES.src;
  if (leaf.functionName === "(program)") return CATEGORIES.program;
  if (leaf.functionName === "(garbage collector)") return CATEGORIES.gc;
  return CATEGORIES.other;
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const m = /\/(src|bench|test|worker)\/(.+)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  if (url.startsWith("ext:")) return url;
  return url.replace(/^.*\/node_modules\//, "npm:");
}

/**
 * Sums a `.cpuprofile`'s samples by self time.
 *
 * @example
 * ```ts ignore
 * const s = summarize(JSON.parse(await Deno.readTextFile("x.cpuprofile")));
 * console.log(s.functions.slice(0, 10));
 * ```
 */
export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const categories = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const stack: ProfileNode["callFrame"][] = [];
    for (
      let at: number | undefined = id;
      at !== undefined;
      at = parent.get(at)
    ) {
      stack.push(byId.get(at)!.callFrame);
    }
    const category = categoryOf(stack);
    categories.set(category, (categories.get(category) ?? 0) + ms);
    const f = byId.get(id)!.callFrame;
    const file = shortUrl(f.url);
    const name = `${f.functionName || "(anonymous)"} (${file}${
      f.url ? `:${f.lineNumber + 1}` : ""
    })`;
    fns.set(name, (fns.get(name) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
    total += ms;
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    functions: sorted(fns),
    files: sorted(files),
    categories: sorted(categories),
  };
}

/**
 * Renders the top `n` rows of a summary as Markdown.
 *
 * @example
 * ```ts ignore
 * console.log(renderSummary(summary, 15));
 * ```
 */
export function renderSummary(s: ProfileSummary, n = 15): string {
  const pct = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1)}%`;
  return [
    `sampled ${s.totalMs.toFixed(0)} ms`,
    "",
    table(
      ["where the time went", "ms", "share"],
      s.categories.map(([k, v]) => [k, v.toFixed(0), pct(v)]),
    ),
    "",
    table(
      ["self time by function", "ms", "share"],
      s.functions.slice(0, n).map(([k, v]) => [k, v.toFixed(0), pct(v)]),
    ),
    "",
    table(
      ["self time by file", "ms", "share"],
      s.files.slice(0, n).map(([k, v]) => [k, v.toFixed(0), pct(v)]),
    ),
  ].join("\n");
}

function newestProfile(dir: string): string {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.name.endsWith(".cpuprofile"))
    .map((e) => join(dir, e.name))
    .sort((a, b) =>
      Deno.statSync(b).mtime!.getTime() - Deno.statSync(a).mtime!.getTime()
    )[0];
}

async function makeCorpus(
  root: string,
  corpus: string,
  size: number,
): Promise<Corpus> {
  switch (corpus) {
    case "random":
      return await makeRandomCorpus(root, size);
    case "text":
      return await makeTextCorpus(root, 64);
    case "mixed":
      return await makeMixedCorpus(root);
    default:
      throw new Error(`unknown corpus ${corpus} (random, text, mixed)`);
  }
}

/** Profiles one command-line process on a KiB-scale tree. */
async function profileCli(
  op: string,
  treeId: string,
  reg: { ref(repo: string, tag: string): string },
  root: string,
  profDir: string,
): Promise<void> {
  const tree = (await kibTrees()).find((t) => t.id === treeId);
  if (!tree) throw new Error(`no KiB-scale tree ${treeId}`);
  const entry = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const cli = async (args: string[], flags: string[] = []) => {
    const cache = await Deno.makeTempDir({ dir: root, prefix: "cache-" });
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...flags,
        entry,
        "--plain-http",
        "--quiet",
        "--cache-dir",
        cache,
        ...args,
      ],
      env: { DOCKER_CONFIG: root },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(new TextDecoder().decode(out.stderr));
    }
    return performance.now() - t0;
  };
  const ref = reg.ref(`prof/kib-${tree.id}`, "v1.0.0");
  await cli([tree.kind, "push", tree.dir, ref]);
  const command = op.slice("cli-".length);
  const args = command === "push"
    ? [tree.kind, "push", tree.dir, reg.ref(`prof/kib-${tree.id}-2`, "v1.0.0")]
    : command === "pull"
    ? [tree.kind, "pull", ref, join(root, "out")]
    : [
      tree.kind,
      "describe",
      ...(tree.kind === "personality" ? ["--no-deps"] : []),
      ref,
    ];
  const plain: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (command === "pull") {
      await Deno.remove(join(root, "out"), { recursive: true }).catch(() => {});
    }
    plain.push(await cli(args));
  }
  if (command === "pull") {
    await Deno.remove(join(root, "out"), { recursive: true }).catch(() => {});
  }
  const wall = await cli(args, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
  const file = newestProfile(profDir);
  const summary = summarize(JSON.parse(await Deno.readTextFile(file)));
  plain.sort((a, b) => a - b);
  console.log(
    `${op} ${tree.id}: whole process ${plain[2].toFixed(0)} ms (median of 5 ` +
      `unprofiled), profiled ${wall.toFixed(0)} ms of which ${
        summary.totalMs.toFixed(0)
      } ms sampled (the rest: Deno start-up before the first sample); ` +
      `profile ${file}\n`,
  );
  console.log(renderSummary(summary));
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      size: { type: "string", default: "256" },
      corpus: { type: "string", default: "random" },
      tree: { type: "string", default: "fixture-base" },
      keep: { type: "string" },
    },
  });
  const op = positionals[0];
  const ops = ["pull", "push", "upload", "pack"];
  const cliOps = ["cli-describe", "cli-pull", "cli-push"];
  if (![...ops, ...cliOps].includes(op)) {
    console.error(
      "usage: profile.ts pull|push|upload|pack [--size MiB] [--corpus random|text|mixed] [--keep DIR]\n" +
        "       profile.ts cli-describe|cli-pull|cli-push [--tree ID] [--keep DIR]",
    );
    Deno.exit(2);
  }
  const size = Number(values.size);
  const reg = await startRegistry({ mode: "open" });
  const root = await Deno.makeTempDir({ prefix: "klaus-bench-prof-" });
  try {
    const profDir = values.keep ?? join(root, "prof");
    await Deno.mkdir(profDir, { recursive: true });
    if (cliOps.includes(op)) {
      await profileCli(op, values.tree, reg, root, profDir);
    } else {
      const corpus = await makeCorpus(root, values.corpus, size);
      const ref = reg.ref(`prof/seed-${corpus.id}`, "v1.0.0");
      const layout = join(root, "layout");
      if (op === "pull" || op === "upload") {
        await runOurs("push", corpus.dir, ref);
        await runSkopeoCopy(`docker://${ref}`, `oci:${layout}:t`);
      }
      const flags = ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
      const target = reg.ref(`prof/${op}-${corpus.id}`, "v1.0.0");
      const r = op === "pull"
        ? await runOurs("pull", ref, join(root, "out"), flags)
        : op === "push"
        ? await runOurs("push", corpus.dir, target, flags)
        : op === "pack"
        ? await runOurs("pack", corpus.dir, "-", flags)
        : await runOurs("upload", layout, target, flags);
      const file = newestProfile(profDir);
      console.log(
        `${op} ${corpus.label}: ${
          r.ms.toFixed(0)
        } ms in the call (profiled), ` +
          `peak RSS ${
            (r.peakRssBytes / 1048576).toFixed(1)
          } MiB; profile ${file}\n`,
      );
      console.log(
        renderSummary(summarize(JSON.parse(await Deno.readTextFile(file)))),
      );
    }
  } finally {
    await reg.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
