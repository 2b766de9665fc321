/**
 * `/v1/{plugins|personalities|toolchains}`: list, describe, versions,
 * resolve, and a personality's deps (README, "Edge API").
 *
 * @module
 */
import { Hono } from "hono";
import type { Kind } from "../kinds.ts";
import { respondJson } from "../middleware/caching.ts";
import { artifactParams } from "../middleware/params.ts";
import type { AppEnv } from "../types.ts";

/**
 * The routes of one kind, to mount at `/v1/<kind.path>`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { PLUGINS } from "../kinds.ts";
 * import { artifactRoutes } from "./artifacts.ts";
 * const app = new Hono().route("/v1/plugins", artifactRoutes(PLUGINS));
 * console.log(app.routes.length > 0);
 * ```
 */
export function artifactRoutes(kind: Kind): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const a = await c.get("services").list(kind, c.get("scheduler"));
    return respondJson(c, { items: a.value }, a.state);
  });

  app.use("/:name", artifactParams);
  app.use("/:name/*", artifactParams);

  app.get("/:name", async (c) => {
    const a = await c.get("services").describe(
      kind,
      c.get("name"),
      c.get("version"),
      c.get("scheduler"),
    );
    return respondJson(c, a.value, a.state, a.digest);
  });

  app.get("/:name/versions", async (c) => {
    const a = await c.get("services").versions(
      kind,
      c.get("name"),
      c.get("scheduler"),
    );
    return respondJson(c, { versions: a.value }, a.state);
  });

  app.get("/:name/resolve", async (c) => {
    const a = await c.get("services").resolve(
      kind,
      c.get("name"),
      c.get("version"),
      c.get("scheduler"),
    );
    return respondJson(c, { ref: a.value }, a.state);
  });

  if (kind.name === "personality") {
    app.get("/:name/deps", async (c) => {
      const a = await c.get("services").deps(
        c.get("name"),
        c.get("version"),
        c.get("scheduler"),
      );
      return respondJson(c, a.value, a.state);
    });
  }

  return app;
}
