/**
 * `deno task bench`: the library and its command line against skopeo and
 * against the composed workflow (`tar -czf` + `sha256sum` + `skopeo copy`)
 * on two local registry implementations and the same corpora, in one run,
 * written to `bench/RESULTS.md`.
 *
 *   deno task bench            # every corpus, 5 alternating runs each (after
 *                              # a warm-up); 3 on the peer registry and per
 *                              # runtime; KiB-scale CLI 5; hyperfine 20
 *   deno task bench --quick    # 1 run, no warm-up, random 64 MiB + text +
 *                              # mixed, no workerd, no peer, no runtimes;
 *                              # prints only (a smoke test of the harness)
 *   deno task bench --runs 5 --peer-runs 3 --runtime-runs 3 --cli-runs 5 \
 *     --startup-runs 20 --sizes 64,256 --corpora random,text,mixed \
 *     --out /tmp/r.md --no-workerd --no-peer --no-runtimes --no-cli \
 *     --no-startup --no-repush
 *
 * Sections (see each module for exactly what is measured): corpora
 * (`corpora.ts`: random 64/256 MiB, ~64 MiB of npm package text, a mixed
 * tree, the KiB-scale fixtures and examples); pull and push per corpus on
 * CNCF distribution 2.8 (`transfer.ts`, ratios to skopeo and to the
 * composed workflow of `composed.ts`); the KiB-scale trees through the
 * command line as whole processes (`cli.ts`); start-up and warm describe
 * (`startup.ts`, hyperfine); the unchanged re-push's requests and reads
 * (`repush.ts`); the same on cloudflare/serverless-registry (`peer.ts`);
 * time and peak RSS under Deno, Node and Bun (`runtimes.ts`); requests per
 * operation, describe/list latency, SHA-256 throughput, cached describe in
 * workerd.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRegistry } from "../test/harness/registry.ts";
import { missing } from "../test/harness/require.ts";
import {
  buildBinary,
  type CliResult,
  type CliSkipped,
  type CliTool,
  cliTools,
  measureCli,
} from "./cli.ts";
import {
  type Corpus,
  kibTrees,
  makeMixedCorpus,
  makeRandomCorpus,
  makeTextCorpus,
} from "./corpora.ts";
import { machineInfo } from "./machine.ts";
import { measureLatency, measureRequests, seedMetadata } from "./metadata.ts";
import { renderReport, type Report, writeResults } from "./report.ts";
import { measurePeer, type PeerResult } from "./peer.ts";
import { setTrash } from "./procs.ts";
import { measureRepush } from "./repush.ts";
import {
  measureRuntimes,
  type RuntimesResult,
  type RuntimesSkipped,
} from "./runtimes.ts";
import { measureSha } from "./sha.ts";
import { measureStartup, type StartupResult } from "./startup.ts";
import { measureTransfer, type SizeResult } from "./transfer.ts";
import { measureWorkerd, type WorkerdResult } from "./workerd.ts";

const RESULTS = new URL("./RESULTS.md", import.meta.url).pathname;
const CORPORA = ["random", "text", "mixed"] as const;

/** Parsed command line. */
interface BenchArgs {
  quick: boolean;
  runs: number;
  /** Kept runs on the peer registry. */
  peerRuns: number;
  /** Kept runs per runtime. */
  runtimeRuns: number;
  /** Kept rounds of the KiB-scale command line. */
  cliRuns: number;
  /** hyperfine runs per command. */
  startupRuns: number;
  /** Sizes of the random corpora (MiB). */
  sizes: number[];
  /** Which corpora. */
  corpora: string[];
  out?: string;
  workerd: boolean;
  peer: boolean;
  runtimes: boolean;
  cli: boolean;
  startup: boolean;
  repush: boolean;
}

function parse(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      "peer-runs": { type: "string" },
      "runtime-runs": { type: "string" },
      "cli-runs": { type: "string" },
      "startup-runs": { type: "string" },
      sizes: { type: "string" },
      corpora: { type: "string" },
      out: { type: "string" },
      "no-workerd": { type: "boolean", default: false },
      "no-peer": { type: "boolean", default: false },
      "no-runtimes": { type: "boolean", default: false },
      "no-cli": { type: "boolean", default: false },
      "no-startup": { type: "boolean", default: false },
      "no-repush": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task bench [--quick] [--runs N] [--peer-runs N] [--runtime-runs N]\n" +
        "         [--cli-runs N] [--startup-runs N] [--sizes 64,256]\n" +
        "         [--corpora random,text,mixed] [--out FILE] [--no-workerd]\n" +
        "         [--no-peer] [--no-runtimes] [--no-cli] [--no-startup] [--no-repush]",
    );
    Deno.exit(0);
  }
  const quick = values.quick;
  const runs = Number(values.runs ?? (quick ? 1 : 5));
  const peerRuns = Number(values["peer-runs"] ?? Math.min(runs, 3));
  const runtimeRuns = Number(values["runtime-runs"] ?? Math.min(runs, 3));
  const cliRuns = Number(values["cli-runs"] ?? runs);
  const startupRuns = Number(values["startup-runs"] ?? (quick ? 3 : 20));
  const sizes = (values.sizes ?? (quick ? "64" : "64,256")).split(",").map(
    Number,
  );
  const corpora = (values.corpora ?? CORPORA.join(",")).split(",");
  for (
    const [flag, n] of [
      ["--runs", runs],
      ["--peer-runs", peerRuns],
      ["--runtime-runs", runtimeRuns],
      ["--cli-runs", cliRuns],
      ["--startup-runs", startupRuns],
    ] as const
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be ≥ 1`);
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error("--sizes must be whole MiB, e.g. 64,256");
  }
  const unknown = corpora.filter((c) =>
    !(CORPORA as readonly string[]).includes(c)
  );
  if (unknown.length) {
    throw new Error(`--corpora: unknown ${unknown.join(", ")} (${CORPORA})`);
  }
  return {
    quick,
    runs,
    peerRuns,
    runtimeRuns,
    cliRuns,
    startupRuns,
    sizes,
    corpora,
    // A quick run is a smoke test: it prints and leaves RESULTS.md alone.
    out: values.out ?? (quick ? undefined : RESULTS),
    workerd: !quick && !values["no-workerd"],
    peer: !quick && !values["no-peer"],
    runtimes: !quick && !values["no-runtimes"],
    cli: !values["no-cli"],
    startup: !values["no-startup"],
    repush: !values["no-repush"],
  };
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2000);
}

async function main(): Promise<void> {
  const args = parse(Deno.args);
  if (missing("docker-registry", "skopeo", "sha256sum", "tar", "gzip")) {
    console.error(
      "bench needs docker-registry, skopeo, sha256sum, tar and gzip",
    );
    Deno.exit(1);
  }
  const command = `deno task bench${
    Deno.args.length ? " " + Deno.args.join(" ") : ""
  }`;
  const started = new Date();
  const t0 = performance.now();
  const log = (msg: string) => console.error(msg);
  const machine = await machineInfo();
  log(
    `bench: ${machine.cpu}, ${machine.nproc} CPUs, load ${
      machine.loadStart.map((l) => l.toFixed(2)).join(" ")
    }`,
  );

  const root = await Deno.makeTempDir({ prefix: "klaus-bench-" });
  // Pulled trees and work directories are moved aside, not deleted, until
  // every measurement is done (see `setTrash`).
  setTrash(join(root, "trash"));
  const reg = await startRegistry({ mode: "open" });
  // The command line's own registry: its catalog holds the KiB-scale trees
  // only when `list` reads it.
  const cliReg = await startRegistry({ mode: "open" });
  try {
    log("building the bun build --compile binary (deno task compile)");
    const binary = await buildBinary(root);
    if ("error" in binary) log(`!!! binary NOT BUILT: ${binary.error}`);
    const tools: CliTool[] = cliTools(
      "path" in binary ? binary.path : undefined,
    );
    const trees = await kibTrees();

    let cli: CliResult | CliSkipped = {
      measured: false,
      reason: "skipped on request (--no-cli)",
    };
    if (args.cli) {
      log(`KiB-scale trees through the command line (${trees.length} trees)`);
      try {
        cli = await measureCli(cliReg, root, trees, tools, args.cliRuns, log);
      } catch (e) {
        cli = { measured: false, reason: message(e) };
        log(`!!! KiB-scale CLI NOT MEASURED: ${cli.reason}`);
      }
    }
    let startup: StartupResult = {
      measured: false,
      reason: "skipped on request (--no-startup)",
    };
    if (args.startup) {
      log("start-up and warm describe (hyperfine)");
      try {
        startup = await measureStartup(
          root,
          tools,
          cliReg.ref("startup/base", "v1.0.0"),
          trees[0].dir,
          args.startupRuns,
        );
      } catch (e) {
        startup = { measured: false, reason: message(e) };
        log(`!!! start-up NOT MEASURED: ${startup.reason}`);
      }
    }

    const corpora: Corpus[] = [];
    if (args.corpora.includes("random")) {
      for (const size of args.sizes) {
        log(`generating ${size} MiB of random data`);
        corpora.push(await makeRandomCorpus(root, size));
      }
    }
    if (args.corpora.includes("text")) {
      log("copying ~64 MiB of text from node_modules");
      corpora.push(await makeTextCorpus(root, 64));
    }
    if (args.corpora.includes("mixed")) {
      log("making the mixed tree");
      corpora.push(await makeMixedCorpus(root));
    }
    const transfers: SizeResult[] = [];
    for (const corpus of corpora) {
      log(`distribution 2.8: ${corpus.label} (${corpus.files} files)`);
      transfers.push(
        await measureTransfer(reg, root, corpus, args.runs, !args.quick, log),
      );
    }
    const biggestRandom = corpora.filter((c) =>
      c.file
    ).sort((a, b) => b.bytes - a.bytes)[0];
    const structured = corpora.filter((c) => !c.file);
    let repush: Report["repush"] = {
      reason: "skipped on request (--no-repush)",
    };
    if (args.repush) {
      log("re-push of unchanged trees");
      try {
        repush = await measureRepush(
          reg,
          root,
          [biggestRandom, ...structured].filter(Boolean),
          log,
        );
      } catch (e) {
        repush = { reason: message(e) };
        log(`!!! re-push NOT MEASURED: ${repush.reason}`);
      }
    }
    let peer: PeerResult = {
      measured: false,
      reason: "skipped on request (--quick or --no-peer)",
    };
    if (args.peer) {
      log("peer registry (cloudflare/serverless-registry): starting");
      peer = await measurePeer(
        root,
        corpora,
        args.peerRuns,
        !args.quick,
        log,
        args.cli ? { trees, tools, runs: args.peerRuns } : undefined,
      );
    } else {
      log(`!!! peer registry NOT MEASURED: ${peer.reason}`);
    }
    let runtimes: RuntimesResult | RuntimesSkipped = {
      measured: false,
      reason: "skipped on request (--quick or --no-runtimes)",
    };
    if (args.runtimes) {
      // The size the peak-RSS target is about (else the largest random),
      // and the text and mixed trees.
      const random = corpora.find((c) => c.id === "random-256") ??
        biggestRandom;
      const list = [random, ...structured].filter(Boolean);
      log(`runtimes: push and pull of ${list.map((c) => c.label).join(", ")}`);
      runtimes = await measureRuntimes(reg, root, list, args.runtimeRuns, log);
    }
    log("metadata: seeding, requests per operation, latency");
    const seed = await seedMetadata(reg, root);
    const requests = await measureRequests(reg, root, seed);
    const latency = await measureLatency(root, seed, args.quick ? 1 : 5);
    const shaFile = biggestRandom?.file ?? corpora[0]?.file;
    if (!shaFile) {
      throw new Error("the SHA-256 benchmark needs a random corpus");
    }
    log(`sha-256 on ${shaFile}`);
    const sha = await measureSha(shaFile, Math.max(args.runs, 3));
    let workerd: WorkerdResult = {
      measured: false,
      reason: "skipped (--quick or --no-workerd)",
    };
    if (args.workerd) {
      log("workerd: wrangler dev --local");
      workerd = await measureWorkerd(
        seed.listBase,
        ["/v1/plugins/p0", "/v1/plugins"],
        200,
      );
    }
    const report: Report = {
      command,
      date: started.toISOString(),
      durationS: (performance.now() - t0) / 1000,
      machine,
      loadEnd: Deno.loadavg(),
      runs: args.runs,
      corpora: corpora.map(({ label, files, bytes, detail }) => ({
        label,
        files,
        bytes,
        detail,
      })),
      transfers,
      cli,
      startup,
      repush,
      peer,
      runtimes,
      requests,
      latency,
      sha,
      workerd,
    };
    const text = renderReport(report);
    console.log(text);
    if (args.out) {
      await writeResults(args.out, text);
      log(`wrote ${args.out}`);
    }
  } finally {
    await reg.stop();
    await cliReg.stop();
    setTrash(undefined);
    log("removing the benchmark's files");
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
