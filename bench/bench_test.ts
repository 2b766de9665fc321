/**
 * Tests of the benchmark's own arithmetic and report plumbing
 * (`deno test -A bench/`); the measurements themselves run with
 * `deno task bench`.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { summarize } from "./profile.ts";
import { measurePeer } from "./peer.ts";
import { renderReport, type Report, writeResults } from "./report.ts";
import { median, mibPerSec, percentile, ratio, table } from "./stats.ts";
import type { SizeResult } from "./transfer.ts";

Deno.test("median and percentile", () => {
  strictEqual(median([3, 1, 2]), 2);
  strictEqual(median([4, 1, 3, 2]), 2.5);
  ok(Number.isNaN(median([])));
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  strictEqual(percentile(xs, 50), 50);
  strictEqual(percentile(xs, 95), 95);
  strictEqual(percentile([7], 95), 7);
  strictEqual(ratio(3, 2), "1.50×");
  strictEqual(ratio(1, 0), "n/a");
  strictEqual(mibPerSec(256 * 1024 * 1024, 2000), 128);
  strictEqual(
    table(["a", "b"], [["1", "2"]]),
    "| a | b |\n| --- | --- |\n| 1 | 2 |",
  );
});

Deno.test("writeResults replaces only the generated block", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "RESULTS.md");
    await writeResults(path, "first");
    let text = await Deno.readTextFile(path);
    ok(text.includes("first"));
    await Deno.writeTextFile(path, `intro\n\n${text}\n## Findings\nkept\n`);
    await writeResults(path, "second");
    text = await Deno.readTextFile(path);
    ok(text.startsWith("intro\n"));
    ok(text.includes("second"));
    ok(!text.includes("first"));
    ok(text.endsWith("## Findings\nkept\n"));
    strictEqual(text.split("<!-- bench:begin").length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("summarize sums self time per function and file", () => {
  const s = summarize({
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
      {
        id: 2,
        callFrame: {
          functionName: "pull",
          url: "file:///x/src/archive/gzip.ts",
          lineNumber: 105,
        },
      },
      {
        id: 3,
        callFrame: { functionName: "op_read", url: "", lineNumber: -1 },
      },
    ],
    startTime: 0,
    endTime: 4000,
    samples: [2, 3, 2, 2],
    timeDeltas: [1000, 1000, 1000, 1000],
  });
  strictEqual(s.totalMs, 4);
  deepStrictEqual(s.functions[0], ["pull (src/archive/gzip.ts:106)", 3]);
  deepStrictEqual(s.files, [["src/archive/gzip.ts", 3], ["(native)", 1]]);
});

function fakeReport(overrides: Partial<Report> = {}): Report {
  const run = (ms: number, rss: number) => ({
    op: "x",
    ms,
    wallMs: ms + 60,
    peakRssBytes: rss * 1048576,
    peakRssSource: "VmHWM" as const,
  });
  const size = (pack: boolean): SizeResult => ({
    sizeMiB: 256,
    layerBytes: 256 * 1048576,
    pull: { ours: [run(700, 90), run(800, 91)], skopeo: [1000, 1000] },
    push: { ours: [run(1200, 180), run(1300, 190)], skopeo: [1000, 1000] },
    upload: { ours: [run(1000, 150)], skopeo: [1000, 1000] },
    pack: pack
      ? { ours: [run(200, 70)], skopeo: [7000] }
      : { ours: [], skopeo: [] },
  });
  return {
    command: "deno task bench",
    date: "2026-12-06T00:00:00.000Z",
    durationS: 1,
    machine: {
      cpu: "cpu",
      nproc: 2,
      memoryMiB: 1,
      kernel: "k",
      deno: "2",
      skopeo: "s",
      registry: "r",
      skopeoCacheIsolated: true,
      loadStart: [0, 0, 0],
      commit: "abc1234 subject",
      srcChanges: 0,
    },
    loadEnd: [0, 0, 0],
    runs: 2,
    transfers: [size(true)],
    peer: {
      measured: true,
      label: "peer",
      startupMs: 1,
      runs: 2,
      transfers: [size(false)],
    },
    runtimes: {
      measured: true,
      sizeMiB: 256,
      runs: 1,
      runtimes: [
        {
          label: "Node 22",
          version: "node 22.0.0",
          push: [{ op: "push", runtime: "node", ms: 2000, peakRssBytes: 0 }],
          pull: [{ op: "pull", runtime: "node", ms: 1000, peakRssBytes: 0 }],
        },
        {
          label: "system Node",
          version: "node 20.0.0",
          failed: "push exited 1: a | b",
          push: [],
          pull: [],
        },
      ],
    },
    requests: [],
    latency: [],
    sha: {
      bytes: 1,
      runs: 1,
      digester: 2,
      verifyingStream: 2,
      sha256sum: 1,
    },
    workerd: { measured: false, reason: "skipped" },
    ...overrides,
  };
}

Deno.test("report: both registries, pack only where measured, runtimes", () => {
  const text = renderReport(fakeReport());
  ok(text.includes("### Second registry implementation"));
  // ratios of medians: push 1250 / 1000 on both registries.
  strictEqual(text.split("| push 256 MiB").length, 3);
  ok(text.includes("serverless-registry, 256 MiB: pull 0.75× skopeo"));
  // packing is measured once, on distribution.
  strictEqual(text.split("| pack 256 MiB").length, 2);
  ok(text.includes("**FAILED**: push exited 1: a \\| b"));
  ok(text.includes("node 20.0.0 **FAILED**"));
});

Deno.test("report: a missing peer registry is said loudly", () => {
  const text = renderReport(
    fakeReport({
      peer: { measured: false, reason: "no checkout at /x\nsecond line" },
    }),
  );
  ok(text.includes("**NOT MEASURED in this run.**"));
  ok(text.includes("> no checkout at /x\n> second line"));
  ok(text.includes("**serverless-registry: NOT MEASURED** — no checkout"));
});

Deno.test("measurePeer reports a missing checkout instead of skipping", async () => {
  const root = await Deno.makeTempDir();
  const before = Deno.env.get("KLAUS_OCI_PEER_REGISTRY");
  Deno.env.set("KLAUS_OCI_PEER_REGISTRY", join(root, "nowhere"));
  const logs: string[] = [];
  try {
    const r = await measurePeer(root, [], 1, false, (m) => logs.push(m));
    strictEqual(r.measured, false);
    ok(!r.measured && r.reason.includes(join(root, "nowhere")), String(r));
    ok(logs.some((l) => l.includes("NOT MEASURED")));
  } finally {
    if (before === undefined) Deno.env.delete("KLAUS_OCI_PEER_REGISTRY");
    else Deno.env.set("KLAUS_OCI_PEER_REGISTRY", before);
    await Deno.remove(root, { recursive: true });
  }
});
