/**
 * Turns an answer into a response with its caching headers, answering 304
 * when `If-None-Match` matches the ETag.
 *
 * @module
 */
import type { Context } from "hono";
import {
  cachingHeaders,
  etagFor,
  ifNoneMatchHits,
} from "../cache/http_cache.ts";
import type { AnswerState } from "../cache/http_cache.ts";
import type { AppEnv } from "../types.ts";

/** What {@linkcode respond} sends. */
export interface Respondable {
  /** Serialised body. */
  body: string;
  /** Content type of the body. */
  contentType: string;
  /** Manifest digest for the ETag, when the body stands for one. */
  digest?: string;
  /** Cache state. */
  state: AnswerState;
}

/**
 * The response for a cached answer (200, or 304 with the same headers).
 *
 * @example
 * ```ts
 * import { respond } from "./caching.ts";
 * console.log(typeof respond);
 * ```
 */
export function respond(c: Context<AppEnv>, r: Respondable): Response {
  const etag = etagFor(r.body, r.digest);
  const headers = cachingHeaders(etag, r.state, c.get("freshness"));
  if (ifNoneMatchHits(c.req.header("If-None-Match"), etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(r.body, 200, { ...headers, "Content-Type": r.contentType });
}

/**
 * {@linkcode respond} for a JSON value.
 *
 * @example
 * ```ts
 * import { respondJson } from "./caching.ts";
 * console.log(typeof respondJson);
 * ```
 */
export function respondJson(
  c: Context<AppEnv>,
  value: unknown,
  state: AnswerState,
  digest?: string,
): Response {
  return respond(c, {
    body: JSON.stringify(value),
    contentType: "application/json; charset=UTF-8",
    digest,
    state,
  });
}
