/**
 * `deno task bench`: the library against skopeo on one local registry and
 * the same data, in one run, written to `bench/RESULTS.md`.
 *
 *   deno task bench            # 64 + 256 MiB, 5 alternating runs each (after a warm-up)
 *   deno task bench --quick    # 64 MiB, 1 run, no warm-up, no workerd; prints only
 *   deno task bench --runs 5 --sizes 64,256 --out /tmp/r.md --no-workerd
 *
 * Sections: pull and push time (medians, ratios ours/skopeo), peak RSS,
 * requests per operation beside the Go module's, describe/list latency
 * cold vs warm cache, SHA-256 throughput vs `sha256sum`, cached describe
 * latency in workerd. See each module for what exactly is measured.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startRegistry } from "../test/harness/registry.ts";
import { missing } from "../test/harness/require.ts";
import { makePlugin } from "./data.ts";
import { machineInfo } from "./machine.ts";
import { measureLatency, measureRequests, seedMetadata } from "./metadata.ts";
import { renderReport, type Report, writeResults } from "./report.ts";
import { measureSha } from "./sha.ts";
import { measureTransfer, type SizeResult } from "./transfer.ts";
import { measureWorkerd, type WorkerdResult } from "./workerd.ts";

const RESULTS = new URL("./RESULTS.md", import.meta.url).pathname;

/** Parsed command line. */
interface BenchArgs {
  quick: boolean;
  runs: number;
  sizes: number[];
  out?: string;
  workerd: boolean;
}

function parse(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      sizes: { type: "string" },
      out: { type: "string" },
      "no-workerd": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task bench [--quick] [--runs N] [--sizes 64,256] [--out FILE] [--no-workerd]",
    );
    Deno.exit(0);
  }
  const quick = values.quick;
  const runs = Number(values.runs ?? (quick ? 1 : 5));
  const sizes = (values.sizes ?? (quick ? "64" : "64,256")).split(",").map(
    Number,
  );
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error("--runs must be ≥ 1");
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error("--sizes must be whole MiB, e.g. 64,256");
  }
  return {
    quick,
    runs,
    sizes,
    // A quick run is a smoke test: it prints and leaves RESULTS.md alone.
    out: values.out ?? (quick ? undefined : RESULTS),
    workerd: !quick && !values["no-workerd"],
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
    let shaFile = "";
    for (const size of args.sizes) {
      log(`generating ${size} MiB of random data`);
      const plugin = await makePlugin(root, `bench-${size}`, size);
      shaFile = plugin.file;
      transfers.push(
        await measureTransfer(reg, root, plugin, args.runs, !args.quick, log),
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
