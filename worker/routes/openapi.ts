/**
 * `/openapi.json`: the OpenAPI 3.1 document of the API.
 *
 * @module
 */
import { Hono } from "hono";
import { openApiDocument } from "../openapi.ts";
import type { AppEnv } from "../types.ts";

/**
 * The OpenAPI route.
 *
 * @example
 * ```ts
 * import { openApiRoutes } from "./openapi.ts";
 * const res = await openApiRoutes().request("/openapi.json");
 * console.log((await res.json()).openapi); // 3.1.0
 * ```
 */
export function openApiRoutes(): Hono<AppEnv> {
  const body = JSON.stringify(openApiDocument());
  return new Hono<AppEnv>().get("/openapi.json", (c) =>
    c.body(body, 200, {
      "Content-Type": "application/json; charset=UTF-8",
      "Cache-Control": "public, max-age=3600",
    }));
}
