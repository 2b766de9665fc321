/**
 * Tests of the benchmark's own arithmetic and report plumbing
 * (`deno test -A bench/`); the measurements themselves run with
 * `deno task bench`.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { summarize } from "./profile.ts";
import { writeResults } from "./report.ts";
import { median, mibPerSec, percentile, ratio, table } from "./stats.ts";

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
