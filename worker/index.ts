/**
 * The Cloudflare Workers entry: the app over the library client with the
 * registry response cache in Workers KV (binding `KLAUS_CACHE`), background
 * revalidation through `ctx.waitUntil`, and every outbound request guarded
 * to the configured registries.
 *
 * Configuration (wrangler vars and secrets): `PLUGIN_REGISTRY`,
 * `PERSONALITY_REGISTRY`, `TOOLCHAIN_REGISTRY`, `PLAIN_HTTP`,
 * `CACHE_FRESH_TTL_SECONDS`, `CACHE_STALE_TTL_SECONDS`, secret
 * `REGISTRY_AUTH` (base64 Docker config JSON), and the verification policy
 * `VERIFY_PUBLIC_KEYS`, `VERIFY_TRUSTED_ROOT`,
 * `VERIFY_CERTIFICATE_IDENTITY[_REGEXP]`,
 * `VERIFY_CERTIFICATE_OIDC_ISSUER[_REGEXP]` (results shared through the
 * same KV namespace). An invalid configuration answers every request with
 * a 500 `invalid_config` naming the variable.
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
import { ConfigError, configFromEnv } from "./config.ts";
import { kvVerificationStore } from "./cache/verification_cache.ts";
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
  /** SPKI PEM public keys signatures may verify with (one or more blocks). */
  VERIFY_PUBLIC_KEYS?: string;
  /** The text of a sigstore `trusted_root.json` (keyless signatures). */
  VERIFY_TRUSTED_ROOT?: string;
  /** The certificate identity keyless signatures must have. */
  VERIFY_CERTIFICATE_IDENTITY?: string;
  /** A regular expression the certificate identity must match. */
  VERIFY_CERTIFICATE_IDENTITY_REGEXP?: string;
  /** The OIDC issuer keyless certificates must name. */
  VERIFY_CERTIFICATE_OIDC_ISSUER?: string;
  /** A regular expression the OIDC issuer must match. */
  VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP?: string;
}

const AUTH_VAR = "REGISTRY_AUTH";

/**
 * Builds the app for `env`; throws a `ConfigError` when the configuration
 * is invalid.
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
    verification: config.verification
      ? {
        config: config.verification,
        store: env.KLAUS_CACHE
          ? kvVerificationStore(env.KLAUS_CACHE)
          : undefined,
      }
      : undefined,
  });
}

// One app per isolate: the token cache, the in-flight maps and the cache
// memo live as long as the isolate does. Keyed by the configuration's
// strings, not the env object, so an env rebuilt per request (as some
// runtimes do) still finds the same app.
let built:
  | { key: string; app: Hono<AppEnv> }
  | { key: string; error: ConfigError }
  | undefined;

function appFor(env: Env): Hono<AppEnv> | ConfigError {
  const key = JSON.stringify(
    Object.entries(env).filter(([, v]) => typeof v === "string").sort(),
  );
  if (built?.key !== key) {
    try {
      built = { key, app: buildWorkerApp(env) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(`klaus-oci: invalid configuration: ${e.message}`);
      built = { key, error: e };
    }
  }
  return "app" in built ? built.app : built.error;
}

/**
 * The answer to every request of a Worker whose configuration is invalid:
 * a 500 naming the variable (the message never quotes a value).
 */
function invalidConfig(e: ConfigError): Response {
  return Response.json(
    { error: { code: "invalid_config", message: e.message } },
    { status: 500, headers: { "Cache-Control": "no-store" } },
  );
}

export default {
  fetch(
    request: Request,
    env: Env,
    ctx: ExecutionContext,
  ): Response | Promise<Response> {
    const app = appFor(env);
    if (app instanceof ConfigError) return invalidConfig(app);
    return app.fetch(request, env, ctx);
  },
};
