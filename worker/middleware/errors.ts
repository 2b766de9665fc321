/**
 * Error rendering: every failure becomes `{"error": {"code", "message"}}`
 * with its status, `Cache-Control: no-store`, and no secret in the text.
 *
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { displayText } from "../../src/_redact.ts";
import { ApiError, toApiError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

/**
 * The JSON error response for `err`.
 *
 * @example
 * ```ts
 * import { ApiError } from "../errors.ts";
 * import { errorResponse } from "./errors.ts";
 * console.log(typeof errorResponse, new ApiError(404, "not_found", "x").status);
 * ```
 */
export function errorResponse(c: Context<AppEnv>, err: unknown): Response {
  const secrets = c.get("secrets") ?? [];
  const e = toApiError(err, secrets);
  if (e.status === 500) {
    // Bugs only; library errors map to 4xx/502/504 and are not logged.
    // Logs are output too: redacted like every response.
    const detail = err instanceof Error ? err.stack ?? err.message : err;
    console.error(
      `internal error on ${c.req.method} ${c.req.path}: ${
        displayText(String(detail))
      }`,
    );
  }
  return c.json(e.body(), e.status, { "Cache-Control": "no-store" });
}

/** `app.onError` handler. */
export const onError: ErrorHandler<AppEnv> = (err, c) => errorResponse(c, err);

/** `app.notFound` handler. */
export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(
    c,
    new ApiError(
      404,
      "not_found",
      `no route for ${c.req.method} ${c.req.path}`,
    ),
  );
