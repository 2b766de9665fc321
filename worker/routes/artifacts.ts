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
import { verificationTag } from "../verification.ts";

/**
 * Response header of a describe: the verification state, or `off` when the
 * app has no verification policy (the body then has no `verification`).
 */
export const VERIFICATION_HEADER = "X-Klaus-Verification";

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
    // With a policy the ETag is the digest and a tag of the verification:
    // a signature attached later changes the answer, so it changes the ETag.
    const etag = a.verification && a.digest
      ? `${a.digest}~${verificationTag(a.verification)}`
      : a.digest;
    const res = respondJson(c, a.value, a.state, etag);
    res.headers.set(VERIFICATION_HEADER, a.verification?.state ?? "off");
    return res;
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
