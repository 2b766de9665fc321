/**
 * In-memory cache of bearer tokens per registry host and scope set, with
 * expiry taken from the token response.
 *
 * @module
 */
import { normalizeScopes } from "./scope.ts";

/** Lifetime assumed when a token response has no `expires_in` (seconds). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

/** Options of {@linkcode TokenCache}. */
export interface TokenCacheOptions {
  /** Clock in milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /**
   * Safety margin subtracted from every lifetime so a token is not sent in
   * its last moments (milliseconds, default 10 000, at most half the
   * lifetime).
   */
  skewMs?: number;
}

interface Entry {
  token: string;
  expiresAt: number;
}

/**
 * Bearer tokens keyed by `host` and the canonical scope set.
 *
 * @example
 * ```ts
 * import { TokenCache } from "@klaus/oci";
 * const cache = new TokenCache();
 * cache.set("r.example", ["repository:a:pull"], "tok", 300);
 * console.log(cache.get("r.example", ["repository:a:pull"])); // "tok"
 * ```
 */
export class TokenCache {
  #entries = new Map<string, Entry>();
  #now: () => number;
  #skewMs: number;

  /** Creates an empty cache. */
  constructor(options: TokenCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#skewMs = options.skewMs ?? 10_000;
  }

  /** The cached token for `host` and `scopes`, unless missing or expired. */
  get(host: string, scopes: Iterable<string>): string | undefined {
    const key = cacheKey(host, scopes);
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (this.#now() >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.token;
  }

  /**
   * Stores `token` for `host` and `scopes`. `expiresInSeconds` comes from
   * the token response (`expires_in`); missing or non-positive values mean
   * {@linkcode DEFAULT_TOKEN_LIFETIME_SECONDS}.
   */
  set(
    host: string,
    scopes: Iterable<string>,
    token: string,
    expiresInSeconds?: number,
  ): void {
    const lifetime = expiresInSeconds && expiresInSeconds > 0 &&
        Number.isFinite(expiresInSeconds)
      ? expiresInSeconds * 1000
      : DEFAULT_TOKEN_LIFETIME_SECONDS * 1000;
    const skew = Math.min(this.#skewMs, lifetime / 2);
    this.#entries.set(cacheKey(host, scopes), {
      token,
      expiresAt: this.#now() + lifetime - skew,
    });
  }

  /** Forgets the token for `host` and `scopes` (after the registry refused it). */
  delete(host: string, scopes: Iterable<string>): void {
    this.#entries.delete(cacheKey(host, scopes));
  }

  /** Forgets every token. */
  clear(): void {
    this.#entries.clear();
  }
}

function cacheKey(host: string, scopes: Iterable<string>): string {
  return `${host} ${normalizeScopes(scopes).join(" ")}`;
}
