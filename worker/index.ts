/**
 * The Cloudflare Workers entry: the app over the library client with the
 * registry response cache in Workers KV (binding `KLAUS_CACHE`), background
 * revalidation through `ctx.waitUntil`, and every outbound request guarded
 * to the configured registries.
 *
 * Configuration (wrangler vars and secrets): `PLUGIN_REGISTRY`,
 * `PERSONALITY_REGISTRY`, `TOOLCHAIN_REGISTRY`, `PLAIN_HTTP`,
 * `CACHE_FRESH_TTL_SECONDS`, `CACHE_STALE_TTL_SECONDS`, secret
 * `REGISTRY_AUTH` (base64 Docker config JSON).
 *
 * @module
 */
import type { ExecutionContext, Hono } from "hono";
import {
  KvCacheBackend,
  type KvNamespaceLike,
} from "../src/cache/kv_backend.ts";
import {
  registerDockerConfigSecrets,
  secretsOfDockerConfig,
} from "../src/_redact.ts";
import { createApp } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { edgeClient } from "./edge_client.ts";
import { hostsOfBases, trustedFetch } from "./trusted_fetch.ts";
import type { AppEnv } from "./types.ts";

/** Bindings of the Worker. */
export interface Env {
  /** The registry response cache. */
  KLAUS_CACHE?: KvNamespaceLike;
  /** Plugin registry base. */
  PLUGIN_REGISTRY?: string;
  /** Personality registry base. */
  PERSONALITY_REGISTRY?: string;
  /** Toolchain registry base. */
  TOOLCHAIN_REGISTRY?: string;
  /** `true` for plain HTTP registries (loopback testing only). */
  PLAIN_HTTP?: string;
  /** Fresh window of the cache in seconds (default 30). */
  CACHE_FRESH_TTL_SECONDS?: string;
  /** Stale window of the cache in seconds (default 86400). */
  CACHE_STALE_TTL_SECONDS?: string;
  /** Secret: base64 Docker config JSON with registry credentials. */
  REGISTRY_AUTH?: string;
}

const AUTH_VAR = "REGISTRY_AUTH";

/**
 * Builds the app for `env`.
 *
 * @example
 * ```ts ignore
 * const app = buildWorkerApp({ PLAIN_HTTP: "true", PLUGIN_REGISTRY: "127.0.0.1:5000/p" });
 * ```
 */
export function buildWorkerApp(env: Env): Hono<AppEnv> {
  const config = configFromEnv((name) => {
    const v = (env as Record<string, unknown>)[name];
    return typeof v === "string" ? v : undefined;
  });
  const bases = Object.values(config.registries);
  // Known secrets before the first request: every error path redacts them.
  registerDockerConfigSecrets(env.REGISTRY_AUTH);
  const client = edgeClient({
    registries: config.registries,
    plainHttp: config.plainHttp,
    // Credentials come only from the secret, handed over as an explicit
    // environment; nothing else of the isolate is read.
    registryAuthEnv: AUTH_VAR,
    env: { [AUTH_VAR]: env.REGISTRY_AUTH },
    fetch: trustedFetch((input, init) => fetch(input, init), {
      hosts: hostsOfBases(bases),
    }),
    cache: {
      store: env.KLAUS_CACHE ? new KvCacheBackend(env.KLAUS_CACHE) : undefined,
      freshTtlMs: config.freshTtlMs,
      staleTtlMs: config.staleTtlMs,
    },
  });
  return createApp({
    registries: config.registries,
    client,
    freshness: { freshTtlMs: config.freshTtlMs, staleTtlMs: config.staleTtlMs },
    secrets: secretsOfDockerConfig(env.REGISTRY_AUTH),
  });
}

// One app per isolate: the token cache, the in-flight maps and the cache
// memo live as long as the isolate does. Keyed by the configuration's
// strings, not the env object, so an env rebuilt per request (as some
// runtimes do) still finds the same app.
let built: { key: string; app: Hono<AppEnv> } | undefined;

function appFor(env: Env): Hono<AppEnv> {
  const key = JSON.stringify(
    Object.entries(env).filter(([, v]) => typeof v === "string").sort(),
  );
  if (built?.key !== key) built = { key, app: buildWorkerApp(env) };
  return built.app;
}

export default {
  fetch(
    request: Request,
    env: Env,
    ctx: ExecutionContext,
  ): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx);
  },
};
