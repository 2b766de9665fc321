/**
 * The Hono app of the edge metadata API (README, "Edge API"), shared by
 * the Workers entry (`worker/index.ts`) and the Deno entry (`worker/deno_main.ts`).
 *
 * @module
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import {
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_STALE_TTL_MS,
} from "../src/cache/constants.ts";
import type { BackgroundScheduler } from "../src/cache/scheduler.ts";
import { TrackedScheduler } from "../src/cache/scheduler.ts";
import type { FreshnessWindows } from "./cache/http_cache.ts";
import type { RegistryBases } from "./kinds.ts";
import { KINDS } from "./kinds.ts";
import { klausContext } from "./middleware/context.ts";
import { notFound, onError } from "./middleware/errors.ts";
import { artifactRoutes } from "./routes/artifacts.ts";
import { healthRoutes } from "./routes/health.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { type UiOptions, uiRoutes } from "./routes/ui.ts";
import type { Client } from "../src/client.ts";
import { Services } from "./services.ts";
import type { AppEnv } from "./types.ts";
import type { VerificationStore } from "./cache/verification_cache.ts";
import { type VerificationTtls, Verifier } from "./verification.ts";
import type { EdgeVerificationConfig } from "./verify_config.ts";

/** The signature check of describes ({@linkcode AppOptions.verification}). */
export interface AppVerificationOptions {
  /** The policy (from `VERIFY_*`, see `configFromEnv`). */
  config: EdgeVerificationConfig;
  /** Where results are shared (KV on Workers); default the memo alone. */
  store?: VerificationStore;
  /** How long results are reused (defaults in `verification.ts`). */
  ttls?: Partial<VerificationTtls>;
  /** Clock (epoch ms) of the result cache; default `Date.now`. */
  now?: () => number;
}

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** Registry base per kind; the app contacts nothing else. */
  registries: RegistryBases;
  /**
   * The library client. Each answer runs on a `withCallOptions` view of
   * it, which collects the answer's cache statuses and routes background
   * work to the request's scheduler.
   */
  client: Client;
  /**
   * Freshness the `Cache-Control` header advertises; should match the
   * client's cache (default: the library defaults, 30 s / 24 h).
   */
  freshness?: Partial<FreshnessWindows>;
  /**
   * Background work when the runtime has no `ExecutionContext`
   * (default: a {@linkcode TrackedScheduler}).
   */
  scheduler?: BackgroundScheduler;
  /** Strings scrubbed from error messages (credentials). */
  secrets?: readonly string[];
  /**
   * Budget of one answer in milliseconds before a 504 (default 10 s,
   * `ANSWER_BUDGET_MS`).
   */
  answerBudgetMs?: number;
  /** Catalog page options. */
  ui?: UiOptions;
  /**
   * Check the signatures of every described artifact under a policy; omit
   * for none (describes then carry no `verification`).
   */
  verification?: AppVerificationOptions;
}

const CSP = {
  defaultSrc: ["'none'"],
  styleSrc: ["'unsafe-inline'"],
  imgSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Builds the app.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * const app = createApp({
 *   registries: { plugin: "r.example/p", personality: "r.example/s", toolchain: "r.example/t" },
 *   client: {} as never,
 * });
 * const res = await app.request("/healthz");
 * console.log(res.status); // 200
 * ```
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const services = new Services({
    registries: options.registries,
    client: options.client,
    budgetMs: options.answerBudgetMs,
    verifier: options.verification
      ? new Verifier({
        config: options.verification.config,
        store: options.verification.store,
        ttls: options.verification.ttls,
        now: options.verification.now,
        secrets: options.secrets,
      })
      : undefined,
  });
  const app = new Hono<AppEnv>();
  app.use(
    klausContext({
      services,
      scheduler: options.scheduler ?? new TrackedScheduler(),
      freshness: {
        freshTtlMs: options.freshness?.freshTtlMs ?? DEFAULT_CACHE_FRESH_TTL_MS,
        staleTtlMs: options.freshness?.staleTtlMs ?? DEFAULT_CACHE_STALE_TTL_MS,
      },
      secrets: options.secrets ?? [],
    }),
  );
  app.use(
    secureHeaders({
      contentSecurityPolicy: CSP,
      crossOriginResourcePolicy: "cross-origin",
    }),
  );
  app.onError(onError);
  app.notFound(notFound);

  app.route("/", healthRoutes());
  app.route("/", openApiRoutes());
  for (const kind of KINDS) app.route(`/v1/${kind.path}`, artifactRoutes(kind));
  app.route("/", uiRoutes(options.ui));
  return app;
}

export type { RegistryBases } from "./kinds.ts";
export { RequestScope } from "./cache/scope.ts";
