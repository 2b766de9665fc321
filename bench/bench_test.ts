/**
 * Tests of the benchmark's own arithmetic and report plumbing
 * (`deno test -A bench/`); the measurements themselves run with
 * `deno task bench`.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { summarize } from "./profile.ts";
import type { CliResult } from "./cli.ts";
import { COMPOSED_PULL, COMPOSED_PUSH } from "./composed.ts";
import { measurePeer } from "./peer.ts";
import { fileBytesRead } from "./repush.ts";
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
  // op_read is called by nothing in src/ here: "other".
  deepStrictEqual(s.categories, [
    ["src/, with what it calls", 3],
    ["other (runtime JS outside the above)", 1],
  ]);
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
    id: "random-256",
    label: "random 256 MiB",
    sizeMiB: 256,
    files: 2,
    layerBytes: 256 * 1048576,
    pull: { ours: [run(700, 90), run(800, 91)], skopeo: [1000, 1000] },
    push: { ours: [run(1200, 180), run(1300, 190)], skopeo: [1000, 1000] },
    upload: { ours: [run(1000, 150)], skopeo: [1000, 1000] },
    pack: pack
      ? { ours: [run(200, 70)], skopeo: [7000] }
      : { ours: [], skopeo: [] },
    composedPush: [9000],
    composedPull: [1500],
  });
  const text: SizeResult = {
    ...size(false),
    id: "text",
    label: "text 64 MiB",
    sizeMiB: 64,
    files: 3000,
    layerBytes: 14 * 1048576,
    push: { ours: [run(2000, 100)], skopeo: [300] },
    composedPush: [2500],
  };
  const cli: CliResult = {
    measured: true,
    runs: 2,
    tools: [{ id: "deno", label: "deno run" }, { id: "binary", label: "bin" }],
    wrapperMs: [5, 5],
    trees: [{
      id: "fixture-base",
      kind: "plugin",
      bytes: 578,
      files: 2,
      layerBytes: 500,
      push: { deno: [150, 150], binary: [90], skopeo: [105], composed: [125] },
      pull: { deno: [100], binary: [60], skopeo: [55], composed: [60] },
      describe: { deno: [100], binary: [40], skopeo: [25] },
    }],
    listRepositories: 1,
    list: { deno: [100], binary: [50], skopeo: [25] },
    versions: { deno: [90], binary: [45], skopeo: [25] },
  };
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
    corpora: [{
      label: "random 256 MiB",
      files: 2,
      bytes: 256 * 1048576,
      detail: "one file",
    }],
    transfers: [size(true), text],
    cli,
    startup: {
      measured: true,
      hyperfine: "hyperfine 1.15.0",
      rows: [
        {
          name: "deno --version",
          who: "deno",
          group: "--version",
          median: 80,
          mean: 81,
          stddev: 2,
          user: 30,
          system: 20,
          runs: 20,
        },
        {
          name: "skopeo --version",
          who: "skopeo",
          group: "--version",
          median: 16,
          mean: 16,
          stddev: 1,
          user: 6,
          system: 8,
          runs: 20,
        },
      ],
    },
    repush: [{
      label: "text 64 MiB",
      bytes: 64 * 1048576,
      files: 3000,
      cold: { ms: 2000, rchar: 64 * 1048576, requests: 8, counts: {} },
      again: {
        ms: 400,
        rchar: 300000,
        requests: 3,
        counts: { "HEAD blob": 2, "PUT manifest": 1 },
      },
      other: { ms: 400, rchar: 300000, requests: 6, counts: {} },
      straceFileBytes: 0,
    }],
    peer: {
      measured: true,
      label: "peer",
      startupMs: 1,
      runs: 2,
      transfers: [size(false)],
      cli: { measured: false, reason: "catalog\nnot supported" },
    },
    runtimes: {
      measured: true,
      runs: 1,
      corpora: [{
        id: "random-256",
        label: "random 256 MiB",
        sizeMiB: 256,
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
      }],
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
  // push of random 256 MiB on both registries: 1250 / 1000 (call).
  strictEqual(text.split("| random 256 MiB | push (").length, 3);
  ok(text.includes("push random 256 MiB: 1.25× skopeo (library call; 1.31×"));
  ok(text.includes("target ≤ 0.9×: **missed**"));
  ok(text.includes("serverless-registry: pull ≤ 0.8× skopeo on every corpus"));
  ok(text.includes("random 256 MiB 0.75× (0.81×) met"));
  // text: process 2060 ms against the composed 2500 ms.
  ok(text.includes("push text 64 MiB: 0.82× the composed workflow"));
  // packing is measured once, on distribution.
  strictEqual(text.split("| random 256 MiB | pack (").length, 2);
  ok(text.includes("**FAILED**: push exited 1: a \\| b"));
  ok(text.includes("node 20.0.0 **FAILED**"));
});

Deno.test("report: KiB-scale CLI, start-up and re-push", () => {
  const text = renderReport(fakeReport());
  // deno push 150 ms against skopeo 105 − 5 ms of isolation wrapper.
  ok(text.includes("push deno 1.50×, binary 0.90×"), text);
  ok(text.includes("describe deno 5.00×, binary 2.00×"));
  ok(text.includes("target ≤ 1.0× (`deno run`): **missed**"));
  ok(text.includes("| `deno --version` | 80.0 ms | 81.0 ms ± 2.00 ms |"));
  ok(text.includes("| 5.00× |"));
  ok(text.includes("text 64 MiB 3 requests, 0 B of file content met"));
  ok(
    text.includes(
      "**KiB-scale command line NOT MEASURED on serverless-registry:**",
    ),
  );
  ok(text.includes("> catalog\n> not supported"));
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

Deno.test("fileBytesRead counts reads of the tree between the markers", () => {
  const log = [
    '7 read(3</t/d/plugin.json>, "{", 80) = 80',
    '7 read(9</proc/7/io>, "rchar", 32) = 32',
    '8 pread64(3</t/d/a.txt>, "x", 4096, 0) = 4096',
    '8 read(4<TCP:[1]>, "HTTP", 4096) = 200',
    '8 read(5</t/dx/b>, "y", 10) = 10',
    '8 read(3</t/d/a.txt>, "", 4096) = 0',
    '7 read(9</proc/7/io>, "rchar", 32) = 32',
    '7 read(3</t/d/late>, "z", 5) = 5',
  ].join("\n");
  strictEqual(fileBytesRead(log, "/t/d"), 4096);
  strictEqual(fileBytesRead(log, "/t/d/"), 4096);
});

Deno.test("the composed push writes a layout skopeo accepts", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const src = join(tmp, "src");
    await Deno.mkdir(join(src, "commands"), { recursive: true });
    await Deno.writeTextFile(join(src, "commands", "hello.md"), "# hi\n");
    const config = join(tmp, "config.json");
    await Deno.writeTextFile(config, '{"name":"x"}');
    const work = join(tmp, "work");
    await Deno.mkdir(work);
    // A stand-in skopeo records its arguments.
    const bin = join(tmp, "bin");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      join(bin, "skopeo"),
      '#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n',
      { mode: 0o755 },
    );
    const argsOut = join(tmp, "args");
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        COMPOSED_PUSH,
        src,
        work,
        config,
        "application/x.config",
        "application/x.layer+gzip",
        "docker://h/r:v1",
        "copy",
        "--preserve-digests",
      ],
      env: { PATH: `${bin}:${Deno.env.get("PATH")}`, ARGS_OUT: argsOut },
      stderr: "piped",
    }).output();
    ok(out.success, new TextDecoder().decode(out.stderr));
    deepStrictEqual((await Deno.readTextFile(argsOut)).trim().split("\n"), [
      "copy",
      "--preserve-digests",
      `oci:${work}/L:t`,
      "docker://h/r:v1",
    ]);
    const layout = join(work, "L");
    const index = JSON.parse(
      await Deno.readTextFile(join(layout, "index.json")),
    );
    const blob = (d: string) => join(layout, "blobs", ...d.split(":"));
    const hex = async (path: string) =>
      Array.from(
        new Uint8Array(
          await crypto.subtle.digest("SHA-256", await Deno.readFile(path)),
        ),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    const m = index.manifests[0];
    strictEqual(`sha256:${await hex(blob(m.digest))}`, m.digest);
    const manifest = JSON.parse(await Deno.readTextFile(blob(m.digest)));
    strictEqual(manifest.config.mediaType, "application/x.config");
    strictEqual(manifest.layers[0].mediaType, "application/x.layer+gzip");
    for (const d of [manifest.config, manifest.layers[0]]) {
      strictEqual(`sha256:${await hex(blob(d.digest))}`, d.digest);
      strictEqual((await Deno.stat(blob(d.digest))).size, d.size);
    }
    // The real skopeo reads it back (and checks every digest) when present.
    try {
      const copy = await new Deno.Command("skopeo", {
        args: ["--insecure-policy", "copy", `oci:${layout}:t`, `dir:${tmp}/D`],
        stdout: "null",
        stderr: "piped",
      }).output();
      ok(copy.success, new TextDecoder().decode(copy.stderr));
      // The composed pull's extraction step on the copy.
      const dest = join(tmp, "out");
      const pulled = await new Deno.Command("sh", {
        args: [
          "-c",
          COMPOSED_PULL.replace(/^skopeo .*$/m, ":"),
          "unused",
          tmp,
          dest,
        ],
        stderr: "piped",
      }).output();
      ok(pulled.success, new TextDecoder().decode(pulled.stderr));
      strictEqual(
        await Deno.readTextFile(join(dest, "commands", "hello.md")),
        "# hi\n",
      );
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
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
