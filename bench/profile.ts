/**
 * Profiles one operation of the benchmark with V8's CPU profiler and
 * prints where the time went:
 *
 *   deno run -A bench/profile.ts pull   [--size 256] [--keep DIR]
 *   deno run -A bench/profile.ts push   [--size 256]
 *   deno run -A bench/profile.ts upload [--size 256]
 *
 * It starts a registry, generates the data, seeds it (for pull/upload),
 * runs `bench/op.ts <op>` under `deno run --cpu-prof` and summarizes the
 * `.cpuprofile`: self time per function and per source file. `--keep DIR`
 * keeps the profile (open it in Chrome DevTools → Performance).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRegistry } from "../test/harness/registry.ts";
import { makePlugin } from "./data.ts";
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
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
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
  return { totalMs: total, functions: sorted(fns), files: sorted(files) };
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

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      size: { type: "string", default: "256" },
      keep: { type: "string" },
    },
  });
  const op = positionals[0] as "pull" | "push" | "upload";
  if (!["pull", "push", "upload"].includes(op)) {
    console.error(
      "usage: profile.ts pull|push|upload [--size MiB] [--keep DIR]",
    );
    Deno.exit(2);
  }
  const size = Number(values.size);
  const reg = await startRegistry({ mode: "open" });
  const root = await Deno.makeTempDir({ prefix: "klaus-bench-prof-" });
  try {
    const plugin = await makePlugin(root, `prof-${size}`, size);
    const ref = reg.ref(`prof/seed-${size}`, "v1.0.0");
    const layout = join(root, "layout");
    if (op !== "push") {
      await runOurs("push", plugin.dir, ref);
      await runSkopeoCopy(`docker://${ref}`, `oci:${layout}:t`);
    }
    const profDir = values.keep ?? join(root, "prof");
    await Deno.mkdir(profDir, { recursive: true });
    const flags = ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
    const target = reg.ref(`prof/${op}-${size}`, "v1.0.0");
    const r = op === "pull"
      ? await runOurs("pull", ref, join(root, "out"), flags)
      : op === "push"
      ? await runOurs("push", plugin.dir, target, flags)
      : await runOurs("upload", layout, target, flags);
    const file = [...Deno.readDirSync(profDir)]
      .filter((e) => e.name.endsWith(".cpuprofile"))
      .map((e) => join(profDir, e.name))
      .sort((a, b) =>
        Deno.statSync(b).mtime!.getTime() - Deno.statSync(a).mtime!.getTime()
      )[0];
    console.log(
      `${op} ${size} MiB: ${r.ms.toFixed(0)} ms in the call (profiled), ` +
        `peak RSS ${
          (r.peakRssBytes / 1048576).toFixed(1)
        } MiB; profile ${file}\n`,
    );
    console.log(
      renderSummary(summarize(JSON.parse(await Deno.readTextFile(file)))),
    );
  } finally {
    await reg.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
