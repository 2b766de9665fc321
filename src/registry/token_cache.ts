/**
 * In-memory cache of bearer tokens per registry host and scope set, with
 * expiry taken from the token response.
 *
 * @module
 */
import { registerSecret } from "../_redact.ts";
import { normalizeScopes } from "./scope.ts";

/**
 * Lifetime assumed when a token response has no `expires_in` (seconds).
 */
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
  host: string;
  scopes: string[];
}

/**
 * Bearer tokens keyed by `host` and the canonical scope set.
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

  /**
   * The cached token for `host` and `scopes`, unless missing or expired.
   * A token for a wider scope set serves too (a `pull,push` token reads),
   * which saves a token round trip when a push is followed by reads.
   */
  get(host: string, scopes: Iterable<string>): string | undefined {
    const wanted = normalizeScopes(scopes);
    const key = `${host} ${wanted.join(" ")}`;
    const now = this.#now();
    const exact = this.#entries.get(key);
    if (exact && now < exact.expiresAt) return exact.token;
    if (exact) this.#entries.delete(key);
    for (const [k, e] of this.#entries) {
      if (e.host !== host) continue;
      if (now >= e.expiresAt) {
        this.#entries.delete(k);
        continue;
      }
      if (covers(e.scopes, wanted)) return e.token;
    }
    return undefined;
  }

  /**
   * Stores `token` for `host` and `scopes`. `expiresInSeconds` comes from
   * the token response (`expires_in`); missing or non-positive values mean
   * {@linkcode DEFAULT_TOKEN_LIFETIME_SECONDS}. The token is registered
   * for redaction.
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
    registerSecret(token, { ephemeral: true });
    const skew = Math.min(this.#skewMs, lifetime / 2);
    const normalized = normalizeScopes(scopes);
    this.#entries.set(`${host} ${normalized.join(" ")}`, {
      token,
      expiresAt: this.#now() + lifetime - skew,
      host,
      scopes: normalized,
    });
  }

  /**
   * Forgets the tokens `get(host, scopes)` could return (after the
   * registry refused one).
   */
  delete(host: string, scopes: Iterable<string>): void {
    const wanted = normalizeScopes(scopes);
    for (const [k, e] of this.#entries) {
      if (e.host === host && covers(e.scopes, wanted)) this.#entries.delete(k);
    }
  }

  /** Forgets every token. */
  clear(): void {
    this.#entries.clear();
  }
}

/** Whether the granted scope set includes every needed action. */
function covers(granted: string[], needed: string[]): boolean {
  if (needed.length === 0) return granted.length === 0;
  const have = new Map<string, Set<string>>();
  for (const g of granted) {
    const i = g.lastIndexOf(":");
    have.set(g.slice(0, i), new Set(g.slice(i + 1).split(",")));
  }
  return needed.every((n) => {
    const i = n.lastIndexOf(":");
    const actions = have.get(n.slice(0, i));
    if (!actions) return false;
    return actions.has("*") ||
      n.slice(i + 1).split(",").every((a) => actions.has(a));
  });
}
