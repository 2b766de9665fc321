/**
 * Child process of `ops_memory_test.ts`: runs one push or pull with a fresh
 * client and prints, as one JSON line, the resident set size before the
 * operation, after it, and the peak sampled every 50 ms in between.
 *
 * Usage: `deno run -A --v8-flags=--expose-gc fixtures_mem_child.ts
 *   push <sourceDir> <ref>` or `… pull <ref> <destDir> <maxFileBytes>`.
 */
import { Client } from "../../src/mod.ts";

const [op, a, b, maxFileBytes] = Deno.args;
const client = new Client({ plainHttp: true });
const gc = (globalThis as { gc?: () => void }).gc;

// Warm up: load everything an operation touches, then settle.
await client.list(
  op === "push" ? b.replace(/:[^:/]+$/, "") : a.replace(/[:@][^/]+$/, ""),
).catch(() => {});
gc?.();
await new Promise((r) => setTimeout(r, 200));
gc?.();

const before = Deno.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => {
  peak = Math.max(peak, Deno.memoryUsage().rss);
}, 50);
const started = performance.now();
let result: unknown;
try {
  result = op === "push"
    ? await client.pushPlugin(a, b, { name: "big" }, {
      limits: { maxFileBytes: Number(maxFileBytes) },
    })
    : await client.pullPlugin(a, b, {
      limits: { maxFileBytes: Number(maxFileBytes) },
    });
} finally {
  clearInterval(timer);
}
const ms = Math.round(performance.now() - started);
const after = Deno.memoryUsage().rss;
peak = Math.max(peak, after);
await client.close();
console.log(JSON.stringify({ op, before, after, peak, ms, result }));
