/**
 * Validates the `{name}` path parameter and the `version` query parameter
 * before any handler runs; anything outside the OCI grammar is a 400.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types.ts";
import { checkName, checkVersion } from "../validate.ts";

/**
 * The validation middleware, for routes with a `:name` parameter.
 *
 * @example
 * ```ts
 * import { artifactParams } from "./params.ts";
 * console.log(typeof artifactParams);
 * ```
 */
export const artifactParams = createMiddleware<AppEnv>(async (c, next) => {
  c.set("name", checkName(c.req.param("name") ?? ""));
  c.set("version", checkVersion(c.req.queries("version")));
  await next();
});
