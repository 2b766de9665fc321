/**
 * Latency of a cached describe inside workerd: 300 sequential requests
 * for a warm entry (app, library cache and the real KV namespace; the
 * registry is not asked). Prints p50/p95.
 */
import {
  createExecutionContext,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { expect, it } from "vitest";
import { buildWorkerApp, type Env } from "../../worker/index.ts";
import { outboundLog, resetOutboundLog } from "./workerd_helpers.ts";

const N = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

it(`a cached describe answers fast (${N} sequential requests)`, async () => {
  // Long windows so every measured answer is a fresh cache hit.
  const app = buildWorkerApp({
    ...(env as unknown as Env),
    CACHE_FRESH_TTL_SECONDS: "600",
  });
  const url = "https://klaus.example/v1/plugins/example-kubernetes";
  const once = async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(url), env, ctx);
    const state = res.headers.get("x-klaus-cache");
    await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return state;
  };
  await once(); // warm
  await resetOutboundLog();
  const times: number[] = [];
  const states = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const state = await once();
    times.push(performance.now() - t0);
    states.set(String(state), (states.get(String(state)) ?? 0) + 1);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  console.log(
    `cached describe in workerd: n=${N} p50=${p50.toFixed(2)} ms p95=${
      p95.toFixed(2)
    } ms ` +
      `max=${times[times.length - 1].toFixed(2)} ms states=${
        JSON.stringify(Object.fromEntries(states))
      }`,
  );
  expect(states.get("fresh")).toBe(N);
  expect(await outboundLog()).toEqual([]);
  expect(p95).toBeLessThan(250);
});
