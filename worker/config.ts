/**
 * Configuration of the app from environment variables, the same names on
 * Workers (vars and secrets) and under Deno (process environment).
 *
 * @module
 */
import {
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_STALE_TTL_MS,
} from "../src/cache/constants.ts";
import {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
} from "../src/ref/registries.ts";
import type { RegistryBases } from "./kinds.ts";
import {
  ConfigError,
  type EdgeVerificationConfig,
  verificationFromEnv,
} from "./verify_config.ts";

/** Reads one variable (`undefined` or `""` when unset). */
export type EnvReader = (name: string) => string | undefined;

/** The app's settings. */
export interface EdgeConfig {
  /** Registry base per kind. */
  registries: RegistryBases;
  /** Talk plain HTTP to the registries (loopback testing). */
  plainHttp: boolean;
  /** Fresh window of the cache in ms. */
  freshTtlMs: number;
  /** Stale window of the cache in ms. */
  staleTtlMs: number;
  /**
   * The signature policy describes are checked against (`VERIFY_*`);
   * `undefined`: no verification.
   */
  verification?: EdgeVerificationConfig;
}

/**
 * `true` for `1`, `true`, `yes`, `on` (any case).
 *
 * @example
 * ```ts
 * import { parseBool } from "./config.ts";
 * console.log(parseBool("TRUE"), parseBool(undefined)); // true false
 * ```
 */
export function parseBool(v: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test((v ?? "").trim());
}

function seconds(
  get: EnvReader,
  name: string,
  fallbackMs: number,
): number {
  const s = (get(name) ?? "").trim();
  if (s === "") return fallbackMs;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) {
    throw new ConfigError(
      `${name}: invalid number of seconds ${JSON.stringify(s)}`,
    );
  }
  return Math.round(n * 1000);
}

function base(v: string | undefined): string | undefined {
  const s = (v ?? "").trim().replace(/\/+$/, "");
  return s === "" ? undefined : s;
}

/**
 * Reads `PLUGIN_REGISTRY`, `PERSONALITY_REGISTRY`, `TOOLCHAIN_REGISTRY`
 * (each defaults to `KLAUS_REGISTRY` + `/klaus-plugins` … when that is
 * set, else the Giant Swarm base), `PLAIN_HTTP`, `CACHE_FRESH_TTL_SECONDS`
 * and `CACHE_STALE_TTL_SECONDS`, and the verification policy (`VERIFY_*`,
 * see `verify_config.ts`). Throws on an invalid value (a `ConfigError`
 * for the policy), so a misconfigured app does not start.
 *
 * @example
 * ```ts
 * import { configFromEnv } from "./config.ts";
 * const env: Record<string, string> = { KLAUS_REGISTRY: "localhost:5000/org", PLAIN_HTTP: "true" };
 * console.log(configFromEnv((n) => env[n]).registries.plugin); // localhost:5000/org/klaus-plugins
 * ```
 */
export function configFromEnv(get: EnvReader): EdgeConfig {
  const org = base(get("KLAUS_REGISTRY"));
  const pick = (name: string, suffix: string, fallback: string) =>
    base(get(name)) ?? (org ? `${org}/${suffix}` : fallback);
  return {
    registries: {
      plugin: pick("PLUGIN_REGISTRY", "klaus-plugins", DEFAULT_PLUGIN_REGISTRY),
      personality: pick(
        "PERSONALITY_REGISTRY",
        "klaus-personalities",
        DEFAULT_PERSONALITY_REGISTRY,
      ),
      toolchain: pick(
        "TOOLCHAIN_REGISTRY",
        "klaus-toolchains",
        DEFAULT_TOOLCHAIN_REGISTRY,
      ),
    },
    plainHttp: parseBool(get("PLAIN_HTTP")),
    freshTtlMs: seconds(
      get,
      "CACHE_FRESH_TTL_SECONDS",
      DEFAULT_CACHE_FRESH_TTL_MS,
    ),
    staleTtlMs: seconds(
      get,
      "CACHE_STALE_TTL_SECONDS",
      DEFAULT_CACHE_STALE_TTL_MS,
    ),
    verification: verificationFromEnv(get),
  };
}

/**
 * Whether any registry variable is set (otherwise the Deno entry serves
 * the bundled examples).
 *
 * @example
 * ```ts
 * import { hasRegistryConfig } from "./config.ts";
 * console.log(hasRegistryConfig(() => undefined)); // false
 * ```
 */
export function hasRegistryConfig(get: EnvReader): boolean {
  return [
    "KLAUS_REGISTRY",
    "PLUGIN_REGISTRY",
    "PERSONALITY_REGISTRY",
    "TOOLCHAIN_REGISTRY",
  ]
    .some((n) => base(get(n)) !== undefined);
}

export { ConfigError } from "./verify_config.ts";
export type { EdgeVerificationConfig } from "./verify_config.ts";
