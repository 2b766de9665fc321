/**
 * Puts the app's services, this request's background scheduler and the
 * advertised freshness into the context. On Workers background work goes
 * to `ctx.waitUntil`; elsewhere to the app's own scheduler.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { BackgroundScheduler } from "../../src/cache/scheduler.ts";
import { waitUntilScheduler } from "../../src/cache/scheduler.ts";
import type { FreshnessWindows } from "../cache/http_cache.ts";
import type { Services } from "../services.ts";
import type { AppEnv } from "../types.ts";

/** Options of {@linkcode klausContext}. */
export interface KlausContextOptions {
  /** The services. */
  services: Services;
  /** Scheduler used when the runtime gives no execution context. */
  scheduler: BackgroundScheduler;
  /** Advertised freshness. */
  freshness: FreshnessWindows;
  /** Secrets to scrub from error messages. */
  secrets: readonly string[];
}

function executionScheduler(
  c: { executionCtx: { waitUntil(p: Promise<unknown>): void } },
):
  | BackgroundScheduler
  | undefined {
  try {
    const ctx = c.executionCtx;
    return waitUntilScheduler((p) => ctx.waitUntil(p));
  } catch {
    // Hono throws when the runtime passed no ExecutionContext (Deno, tests).
    return undefined;
  }
}

/**
 * The context middleware.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { klausContext } from "./context.ts";
 * console.log(typeof klausContext, typeof Hono);
 * ```
 */
export function klausContext(options: KlausContextOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("services", options.services);
    c.set("scheduler", executionScheduler(c) ?? options.scheduler);
    c.set("freshness", options.freshness);
    c.set("secrets", options.secrets);
    await next();
  });
}
