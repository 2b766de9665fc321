/**
 * KiB-scale trees (`corpora.ts`: the fixtures and `examples/`) through the
 * command line, as whole processes, against skopeo's process doing the
 * equivalent and against the composed workflow (`composed.ts`):
 *
 * - push: ours `<kind> push <dir> <ref>`; skopeo `copy oci:<prepared
 *   layout>:t docker://…`; composed `tar -czf` + `sha256sum` + layout +
 *   `skopeo copy`;
 * - pull: ours `<kind> pull <ref> <dir>`; skopeo `copy docker://…
 *   oci:<dir>:t`; composed `skopeo copy docker://… dir:` + `tar -xzf`;
 * - describe: ours `<kind> describe [--no-deps] <ref>`; skopeo `inspect
 *   --raw docker://…`;
 * - list: ours `<kind> list --registry <base>`; skopeo `list-tags
 *   docker://<one repository>`;
 * - versions: ours `<kind> versions <repository>`; skopeo `list-tags
 *   docker://<that repository>`.
 *
 * Ours runs two ways: `deno run -A src/cli/main.ts` (the entry run
 * directly; `deno task cli` adds the task runner and
 * `--node-modules-dir=none`) and the `bun build --compile` binary of
 * `deno task compile`. Every run of ours gets a fresh, empty `--cache-dir`
 * (a first use: no push record to mount from, no cached answer), every
 * push a fresh repository; time is spawn to exit. skopeo and the composed
 * pipeline run as everywhere in the benchmark (fresh HOME, empty blob-info
 * cache through a private mount namespace as root); the cost of that
 * isolation wrapper (`unshare` + `sh` + `mount`, measured every round by
 * running `true` in it) is subtracted from their times, since it is not
 * skopeo's.
 *
 * The list and describe/pull rounds run before any push, so the registry's
 * catalog holds only the seeded trees when it is listed.
 *
 * @module
 */
import { join } from "node:path";
import type { RegistryHandle } from "../test/harness/registry.ts";
import type { KibTree } from "./corpora.ts";
import {
  type BenchAuth,
  discard,
  runIsolated,
  runSkopeo,
  runSkopeoCopy,
  settle,
} from "./procs.ts";
import { median } from "./stats.ts";
import {
  type PreparedLayout,
  prepareLayout,
  runComposedPull,
  runComposedPush,
} from "./transfer.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ENTRY = join(ROOT, "src/cli/main.ts");
const dec = new TextDecoder();

/** One way of running our command line. */
export interface CliTool {
  /** `deno` or `binary`. */
  id: string;
  /** How it runs, for the report. */
  label: string;
  /** Program and arguments before the command line's own. */
  argv: string[];
}

/** Wall times (ms) per runner: `deno`, `binary`, `skopeo`, `composed`. */
export type Runs = Record<string, number[]>;

/** The runs of one KiB-scale tree. */
export interface CliTreeRuns {
  /** Tree id. */
  id: string;
  /** `plugin` or `personality`. */
  kind: string;
  /** Bytes of file content. */
  bytes: number;
  /** Files. */
  files: number;
  /** Bytes of the compressed layer (as our push made it). */
  layerBytes: number;
  /** Push. */
  push: Runs;
  /** Pull. */
  pull: Runs;
  /** Describe (ours, fresh cache) vs `skopeo inspect --raw`. */
  describe: Runs;
}

/** Everything {@linkcode measureCli} measured. */
export interface CliResult {
  /** Always true. */
  measured: true;
  /** Kept rounds. */
  runs: number;
  /** Our runners. */
  tools: { id: string; label: string }[];
  /** The isolation wrapper's own time per round (subtracted), ms. */
  wrapperMs: number[];
  /** Per tree. */
  trees: CliTreeRuns[];
  /** Repositories under the listed base. */
  listRepositories: number;
  /** `list` of the base (ours) and `list-tags` of one repository (skopeo). */
  list: Runs;
  /** `versions` of one repository (ours) and `list-tags` of it (skopeo). */
  versions: Runs;
}

/** Not measured, and why. */
export interface CliSkipped {
  /** Always false. */
  measured: false;
  /** Why not. */
  reason: string;
}

/**
 * Builds the `bun build --compile` binary with `deno task compile
 * --backend bun --output <dir>/klaus-oci`; the path, or why not.
 *
 * @example
 * ```ts ignore
 * const bin = await buildBinary("/tmp/x");
 * ```
 */
export async function buildBinary(
  dir: string,
): Promise<{ path: string } | { error: string }> {
  const path = join(dir, "klaus-oci");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "scripts/compile.ts"),
      "--backend",
      "bun",
      "--output",
      path,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return {
      error: `deno task compile --backend bun failed: ${
        dec.decode(out.stderr).trim().slice(0, 400)
      }`,
    };
  }
  return { path };
}

/**
 * Our runners: `deno run -A src/cli/main.ts` and, when given, the binary.
 *
 * @example
 * ```ts ignore
 * const tools = cliTools("/tmp/x/klaus-oci");
 * ```
 */
export function cliTools(binary?: string): CliTool[] {
  const tools: CliTool[] = [{
    id: "deno",
    label: "`deno run -A src/cli/main.ts`",
    argv: [Deno.execPath(), "run", "-A", ENTRY],
  }];
  if (binary) {
    tools.push({
      id: "binary",
      label: "`bun build --compile` binary (`deno task compile`)",
      argv: [binary],
    });
  }
  return tools;
}

/**
 * Runs our command line once: `args` after the global flags
 * (`--plain-http`, `--quiet`, `--cache-dir <fresh>`), credentials through
 * `DOCKER_CONFIG`; wall time in ms.
 */
async function runCli(
  tool: CliTool,
  args: string[],
  root: string,
  dockerConfig: string,
): Promise<number> {
  const cache = await Deno.makeTempDir({ dir: root, prefix: "cli-cache-" });
  try {
    const [cmd, ...pre] = tool.argv;
    const c = new Deno.Command(cmd, {
      args: [...pre, "--plain-http", "--quiet", "--cache-dir", cache, ...args],
      cwd: ROOT,
      env: { DOCKER_CONFIG: dockerConfig, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    await settle();
    const t0 = performance.now();
    const out = await c.output();
    const ms = performance.now() - t0;
    if (!out.success) {
      throw new Error(
        `${tool.id} ${args.join(" ")} failed (${out.code}): ${
          dec.decode(out.stderr).trim().slice(0, 600)
        }`,
      );
    }
    return ms;
  } finally {
    await discard(cache);
  }
}

/**
 * `describe` of a tree: a personality's without `--no-deps` would also
 * resolve its toolchain and plugins (text mode does by default, like
 * klausctl) — on other registries, which `skopeo inspect` does not.
 */
function describeArgs(tree: KibTree, ref: string): string[] {
  return tree.kind === "personality"
    ? [tree.kind, "describe", "--no-deps", ref]
    : [tree.kind, "describe", ref];
}

function creds(auth?: BenchAuth): string[] {
  return auth ? ["--creds", `${auth.username}:${auth.password}`] : [];
}

async function rotated(
  round: number,
  fns: (() => Promise<void>)[],
): Promise<void> {
  for (let i = 0; i < fns.length; i++) {
    await fns[(i + round) % fns.length]();
  }
}

/** Options of {@linkcode measureCli}. */
export interface CliOptions {
  /** Credentials of a registry with Basic auth. */
  auth?: BenchAuth;
  /** Prefix of the log lines. */
  name?: string;
}

/**
 * Seeds every tree, then measures list/versions, describe and pull rounds,
 * then push rounds, `runs` kept rounds each after a warm-up round.
 *
 * @example
 * ```ts ignore
 * const r = await measureCli(reg, root, await kibTrees(), cliTools(bin), 5, log);
 * ```
 */
export async function measureCli(
  reg: RegistryHandle,
  root: string,
  trees: KibTree[],
  tools: CliTool[],
  runs: number,
  log: (msg: string) => void,
  options: CliOptions = {},
): Promise<CliResult> {
  const { auth } = options;
  const at = options.name ? `${options.name} ` : "";
  const say = (msg: string) => log(`  ${at}${msg}`);
  const dockerConfig = auth?.dockerConfigDir ??
    await Deno.makeTempDir({ dir: root, prefix: "cli-docker-" });
  const base = `${reg.host}/kib`;
  const tag = "v1.0.0";
  const [seeder] = tools;
  const seeded: {
    tree: KibTree;
    ref: string;
    layout: PreparedLayout;
    result: CliTreeRuns;
  }[] = [];
  for (const tree of trees) {
    const ref = `${base}/${tree.id}:${tag}`;
    await runCli(
      seeder,
      [tree.kind, "push", tree.dir, ref],
      root,
      dockerConfig,
    );
    const layout = await prepareLayout(
      ref,
      join(root, `${options.name ?? "dist"}-kib-layout-${tree.id}`),
      auth,
    );
    seeded.push({
      tree,
      ref,
      layout,
      result: {
        id: tree.id,
        kind: tree.kind,
        bytes: tree.bytes,
        files: tree.files,
        layerBytes: layout.layerBytes,
        push: {},
        pull: {},
        describe: {},
      },
    });
  }
  say(`seeded ${trees.length} trees under ${base}`);
  const result: CliResult = {
    measured: true,
    runs,
    tools: tools.map(({ id, label }) => ({ id, label })),
    wrapperMs: [],
    trees: seeded.map((s) => s.result),
    listRepositories: trees.length,
    list: {},
    versions: {},
  };
  const listed = seeded.find((s) => s.tree.kind === "plugin") ?? seeded[0];
  const listKind = listed.tree.kind;
  const listRepo = listed.ref.slice(0, listed.ref.lastIndexOf(":"));
  let seq = 0;
  // This round's times by "<op> <runner>", for the log line.
  let round: Record<string, number[]> = {};
  const add = (runs: Runs, key: string, ms: number, keep: boolean) => {
    const op = runs === result.list
      ? "list"
      : runs === result.versions
      ? "versions"
      : seeded.find((s) => s.result.push === runs)
      ? "push"
      : seeded.find((s) => s.result.pull === runs)
      ? "pull"
      : "describe";
    (round[`${op} ${key}`] ??= []).push(ms);
    if (keep) (runs[key] ??= []).push(ms);
  };
  const wrapper = async (keep: boolean) => {
    const { ms } = await runIsolated("true", []);
    if (keep) result.wrapperMs.push(ms);
  };

  for (const phase of ["read", "push"] as const) {
    for (let n = -1; n < runs; n++) {
      const keep = n >= 0;
      const label = keep ? `run ${n + 1}/${runs}` : "warm-up";
      round = {};
      await wrapper(keep);
      if (phase === "read") {
        await rotated(n + 1, [
          ...tools.map((t) => async () => {
            add(
              result.list,
              t.id,
              await runCli(
                t,
                [listKind, "list", "--registry", base],
                root,
                dockerConfig,
              ),
              keep,
            );
            add(
              result.versions,
              t.id,
              await runCli(
                t,
                [listKind, "versions", listRepo],
                root,
                dockerConfig,
              ),
              keep,
            );
          }),
          async () => {
            const ms = await runSkopeo([
              "list-tags",
              "--tls-verify=false",
              ...creds(auth),
              `docker://${listRepo}`,
            ]);
            add(result.list, "skopeo", ms, keep);
            add(result.versions, "skopeo", ms, keep);
          },
        ]);
      }
      for (const { tree, ref, layout, result: r } of seeded) {
        if (phase === "read") {
          await rotated(n + 1, [
            ...tools.map((t) => async () => {
              add(
                r.describe,
                t.id,
                await runCli(t, describeArgs(tree, ref), root, dockerConfig),
                keep,
              );
            }),
            async () => {
              add(
                r.describe,
                "skopeo",
                await runSkopeo([
                  "inspect",
                  "--raw",
                  "--tls-verify=false",
                  ...creds(auth),
                  `docker://${ref}`,
                ]),
                keep,
              );
            },
          ]);
          await rotated(n + 1, [
            ...tools.map((t) => async () => {
              const dest = join(root, `kib-pull-${seq++}`);
              add(
                r.pull,
                t.id,
                await runCli(
                  t,
                  [tree.kind, "pull", ref, dest],
                  root,
                  dockerConfig,
                ),
                keep,
              );
              await discard(dest);
            }),
            async () => {
              const dest = join(root, `kib-pull-${seq++}`);
              add(
                r.pull,
                "skopeo",
                await runSkopeoCopy(`docker://${ref}`, `oci:${dest}:t`, auth),
                keep,
              );
              await discard(dest);
            },
            async () => {
              const dest = join(root, `kib-pull-${seq++}`);
              add(
                r.pull,
                "composed",
                await runComposedPull(`docker://${ref}`, dest, root, auth),
                keep,
              );
              await discard(dest);
            },
          ]);
        } else {
          const fresh = (who: string) =>
            `${reg.host}/kib-push/${tree.id}-${who}-${seq++}:${tag}`;
          await rotated(n + 1, [
            ...tools.map((t) => async () => {
              add(
                r.push,
                t.id,
                await runCli(
                  t,
                  [tree.kind, "push", tree.dir, fresh(t.id)],
                  root,
                  dockerConfig,
                ),
                keep,
              );
            }),
            async () => {
              add(
                r.push,
                "skopeo",
                await runSkopeoCopy(
                  `oci:${layout.dir}:t`,
                  `docker://${fresh("skopeo")}`,
                  auth,
                ),
                keep,
              );
            },
            async () => {
              add(
                r.push,
                "composed",
                await runComposedPush(
                  tree.dir,
                  layout,
                  `docker://${fresh("composed")}`,
                  root,
                  auth,
                ),
                keep,
              );
            },
          ]);
        }
      }
      const summary = (op: string) =>
        `${op} ` + ["deno", "binary", "skopeo", "composed"].map((k) => {
          const xs = round[`${op} ${k}`];
          return xs ? `${k} ${median(xs).toFixed(0)}` : "";
        }).filter(Boolean).join(" / ");
      say(
        `KiB-scale ${phase} ${label} (ms, median over trees): ` +
          (phase === "read"
            ? ["list", "describe", "pull"].map(summary).join("; ")
            : summary("push")),
      );
    }
  }
  return result;
}

/**
 * A runner's median over all trees and kept runs of one operation, with
 * the isolation wrapper's median subtracted for skopeo and composed.
 *
 * @example
 * ```ts ignore
 * console.log(cliMedian(result, "push", "skopeo"));
 * ```
 */
export function cliMedian(
  r: CliResult,
  op: "push" | "pull" | "describe",
  who: string,
): number {
  const xs = r.trees.flatMap((t) => t[op][who] ?? []);
  return median(xs) - wrapperShare(r, who);
}

/** The wrapper time to subtract from `who`'s runs (0 for ours). */
export function wrapperShare(r: CliResult, who: string): number {
  return who === "skopeo" || who === "composed" ? median(r.wrapperMs) : 0;
}
