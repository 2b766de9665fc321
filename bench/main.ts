/**
 * `deno task bench`: the library against skopeo on two local registry
 * implementations and the same data, in one run, written to
 * `bench/RESULTS.md`.
 *
 *   deno task bench            # 64 + 256 MiB, 5 alternating runs each (after a warm-up);
 *                              # 3 on the peer registry; 3 per runtime
 *   deno task bench --quick    # 64 MiB, 1 run, no warm-up, no workerd, no peer,
 *                              # no runtimes; prints only
 *   deno task bench --runs 5 --peer-runs 3 --runtime-runs 3 --sizes 64,256 \
 *     --out /tmp/r.md --no-workerd --no-peer --no-runtimes
 *
 * Sections: pull and push time on CNCF distribution 2.8 (medians, ratios
 * ours/skopeo), the same on cloudflare/serverless-registry (`peer.ts`),
 * peak RSS, peak RSS of push and pull under Deno, Node and Bun
 * (`runtimes.ts`), requests per operation beside the Go module's,
 * describe/list latency cold vs warm cache, SHA-256 throughput vs
 * `sha256sum`, cached describe latency in workerd. See each module for
 * what exactly is measured.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startRegistry } from "../test/harness/registry.ts";
import { missing } from "../test/harness/require.ts";
import { type BenchPlugin, makePlugin } from "./data.ts";
import { machineInfo } from "./machine.ts";
import { measureLatency, measureRequests, seedMetadata } from "./metadata.ts";
import { renderReport, type Report, writeResults } from "./report.ts";
import { measurePeer, type PeerResult } from "./peer.ts";
import {
  measureRuntimes,
  type RuntimesResult,
  type RuntimesSkipped,
} from "./runtimes.ts";
import { measureSha } from "./sha.ts";
import { measureTransfer, type SizeResult } from "./transfer.ts";
import { measureWorkerd, type WorkerdResult } from "./workerd.ts";

const RESULTS = new URL("./RESULTS.md", import.meta.url).pathname;

/** Parsed command line. */
interface BenchArgs {
  quick: boolean;
  runs: number;
  /** Kept runs on the peer registry. */
  peerRuns: number;
  /** Kept runs per runtime. */
  runtimeRuns: number;
  sizes: number[];
  out?: string;
  workerd: boolean;
  peer: boolean;
  runtimes: boolean;
}

function parse(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      "peer-runs": { type: "string" },
      "runtime-runs": { type: "string" },
      sizes: { type: "string" },
      out: { type: "string" },
      "no-workerd": { type: "boolean", default: false },
      "no-peer": { type: "boolean", default: false },
      "no-runtimes": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task bench [--quick] [--runs N] [--peer-runs N] [--runtime-runs N]\n" +
        "         [--sizes 64,256] [--out FILE] [--no-workerd] [--no-peer] [--no-runtimes]",
    );
    Deno.exit(0);
  }
  const quick = values.quick;
  const runs = Number(values.runs ?? (quick ? 1 : 5));
  const peerRuns = Number(values["peer-runs"] ?? Math.min(runs, 3));
  const runtimeRuns = Number(values["runtime-runs"] ?? Math.min(runs, 3));
  const sizes = (values.sizes ?? (quick ? "64" : "64,256")).split(",").map(
    Number,
  );
  for (
    const [flag, n] of [["--runs", runs], ["--peer-runs", peerRuns], [
      "--runtime-runs",
      runtimeRuns,
    ]] as const
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be ≥ 1`);
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error("--sizes must be whole MiB, e.g. 64,256");
  }
  return {
    quick,
    runs,
    peerRuns,
    runtimeRuns,
    sizes,
    // A quick run is a smoke test: it prints and leaves RESULTS.md alone.
    out: values.out ?? (quick ? undefined : RESULTS),
    workerd: !quick && !values["no-workerd"],
    peer: !quick && !values["no-peer"],
    runtimes: !quick && !values["no-runtimes"],
  };
}

async function main(): Promise<void> {
  const args = parse(Deno.args);
  if (missing("docker-registry", "skopeo", "sha256sum")) {
    console.error("bench needs docker-registry, skopeo and sha256sum");
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

  const reg = await startRegistry({ mode: "open" });
  const root = await Deno.makeTempDir({ prefix: "klaus-bench-" });
  try {
    const transfers: SizeResult[] = [];
    const plugins: BenchPlugin[] = [];
    let shaFile = "";
    for (const size of args.sizes) {
      log(`generating ${size} MiB of random data`);
      const plugin = await makePlugin(root, `bench-${size}`, size);
      plugins.push(plugin);
      shaFile = plugin.file;
      log(`distribution 2.8: ${size} MiB`);
      transfers.push(
        await measureTransfer(reg, root, plugin, args.runs, !args.quick, log),
      );
    }
    let peer: PeerResult = {
      measured: false,
      reason: "skipped on request (--quick or --no-peer)",
    };
    if (args.peer) {
      log("peer registry (cloudflare/serverless-registry): starting");
      peer = await measurePeer(
        root,
        plugins,
        args.peerRuns,
        !args.quick,
        log,
      );
    } else {
      log(`!!! peer registry NOT MEASURED: ${peer.reason}`);
    }
    let runtimes: RuntimesResult | RuntimesSkipped = {
      measured: false,
      reason: "skipped on request (--quick or --no-runtimes)",
    };
    if (args.runtimes) {
      // The size the peak-RSS target is about, else the largest.
      const plugin = plugins.find((p) => p.size === 256 * 1024 * 1024) ??
        plugins.reduce((a, b) => (b.size > a.size ? b : a));
      log(`runtimes: push and pull of ${plugin.size / 1048576} MiB`);
      runtimes = await measureRuntimes(
        reg,
        root,
        plugin,
        args.runtimeRuns,
        log,
      );
    }
    log("metadata: seeding, requests per operation, latency");
    const seed = await seedMetadata(reg, root);
    const requests = await measureRequests(reg, root, seed);
    const latency = await measureLatency(root, seed, args.quick ? 1 : 5);
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
      transfers,
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
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
