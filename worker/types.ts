/**
 * The Hono environment of the app: per-request variables set by the
 * context middleware.
 *
 * @module
 */
import type { BackgroundScheduler } from "../src/cache/scheduler.ts";
import type { FreshnessWindows } from "./cache/http_cache.ts";
import type { Services } from "./services.ts";

/** Values every handler can read with `c.get(...)`. */
export interface AppVariables {
  /** The app's operations. */
  services: Services;
  /** Where this request's background work goes. */
  scheduler: BackgroundScheduler;
  /** Freshness windows advertised in `Cache-Control`. */
  freshness: FreshnessWindows;
  /** Strings scrubbed from every error message. */
  secrets: readonly string[];
  /** The validated `{name}` path parameter. */
  name: string;
  /** The validated `version` query parameter (tag or digest). */
  version: string | undefined;
}

/** The Hono `Env` of the app. */
export interface AppEnv {
  /** Per-request variables. */
  Variables: AppVariables;
}
