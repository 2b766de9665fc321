/**
 * Cached describe (and list) latency of the edge API inside workerd: the
 * Worker (`worker/index.ts`, `wrangler.toml`) runs under `wrangler dev
 * --local` (workerd with a local KV namespace) on loopback, fronting the
 * benchmark's registry. One cold request fills the cache; then sequential
 * requests measure the cached path end to end (HTTP client → wrangler's
 * local proxy → workerd → KV), reported as p50/p95.
 *
 * @module
 */
import { freePort } from "../test/harness/registry.ts";
import { percentile } from "./stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WRANGLER = `${ROOT}node_modules/.bin/wrangler`;
const WORKER = `${ROOT}worker/index.ts`;

/** Latency of one route in workerd. */
export interface WorkerdRow {
  /** Request path. */
  path: string;
  /** The first (uncached) request in ms. */
  coldMs: number;
  /** Cached requests: median. */
  p50: number;
  /** Cached requests: 95th percentile. */
  p95: number;
  /** Cached requests measured. */
  n: number;
  /** `X-Klaus-Cache` of the cached requests (value → count). */
  cacheHeader: Record<string, number>;
}

/** The workerd measurement, or why there is none. */
export type WorkerdResult =
  | { measured: true; rows: WorkerdRow[]; wrangler: string }
  | { measured: false; reason: string };

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the Worker against `pluginBase` and measures `paths`, `n` cached
 * requests each.
 *
 * @example
 * ```ts ignore
 * const r = await measureWorkerd("127.0.0.1:5000/plugins", ["/v1/plugins/p0"], 200);
 * ```
 */
export async function measureWorkerd(
  pluginBase: string,
  paths: string[],
  n: number,
): Promise<WorkerdResult> {
  if (!exists(WORKER)) {
    return {
      measured: false,
      reason: "worker not built yet (no worker/index.ts)",
    };
  }
  if (!exists(WRANGLER)) {
    return { measured: false, reason: "wrangler not installed (npm ci)" };
  }
  const persist = await Deno.makeTempDir({ prefix: "klaus-bench-wrangler-" });
  const port = freePort();
  const child = new Deno.Command(WRANGLER, {
    args: [
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persist,
      "--var",
      `PLUGIN_REGISTRY:${pluginBase}`,
      "--var",
      "PLAIN_HTTP:true",
      "--var",
      "CACHE_FRESH_TTL_SECONDS:600",
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    cwd: ROOT,
    env: {
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      NO_COLOR: "1",
      CI: "true",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 60_000;
    let ready = false;
    while (Date.now() < deadline && !ready) {
      try {
        const r = await fetch(`${base}/healthz`);
        await r.body?.cancel();
        ready = r.ok;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    if (!ready) {
      return { measured: false, reason: "wrangler dev did not start in 60 s" };
    }
    const rows: WorkerdRow[] = [];
    for (const path of paths) {
      let t0 = performance.now();
      const first = await fetch(`${base}${path}`);
      await first.arrayBuffer();
      const coldMs = performance.now() - t0;
      if (!first.ok) {
        return {
          measured: false,
          reason: `GET ${path} answered ${first.status} in workerd`,
        };
      }
      const times: number[] = [];
      const header: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        t0 = performance.now();
        const r = await fetch(`${base}${path}`);
        await r.arrayBuffer();
        times.push(performance.now() - t0);
        const h = r.headers.get("x-klaus-cache") ?? "(none)";
        header[h] = (header[h] ?? 0) + 1;
      }
      rows.push({
        path,
        coldMs,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        n,
        cacheHeader: header,
      });
    }
    const version = new TextDecoder().decode(
      (await new Deno.Command(WRANGLER, {
        args: ["--version"],
        stdout: "piped",
        stderr: "null",
        env: { WRANGLER_SEND_METRICS: "false" },
      }).output()).stdout,
    ).trim().split("\n").pop() ?? "";
    return { measured: true, rows, wrangler: version };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await output;
    await Deno.remove(persist, { recursive: true }).catch(() => {});
  }
}
