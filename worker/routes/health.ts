/**
 * `/healthz`: the app is up (no registry contacted).
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv } from "../types.ts";

/**
 * The health route.
 *
 * @example
 * ```ts
 * import { healthRoutes } from "./health.ts";
 * const res = await healthRoutes().request("/healthz");
 * console.log(await res.json()); // { ok: true }
 * ```
 */
export function healthRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get(
    "/healthz",
    (c) => c.json({ ok: true }, 200, { "Cache-Control": "no-store" }),
  );
}
