/**
 * Where verification results are kept: an isolate (or process) memo in
 * front of an optional shared store — Workers KV on Workers, so every
 * isolate and location reuses a result. Entries are keyed by the policy
 * fingerprint, the repository and the manifest digest, and expire: a
 * signature can be attached (or removed) after the artifact was checked.
 *
 * @module
 */
import { setBounded } from "../../src/_bounded_map.ts";
import type { KvNamespaceLike } from "../../src/cache/kv_backend.ts";
import { digestOf } from "../../src/oci/digest.ts";

/** A shared store of small text values with expiry. */
export interface VerificationStore {
  /** The value under `key`, or `null`. May throw (treated as a miss). */
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlSeconds`. May throw (the write is skipped). */
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/** Prefix of the KV keys (the registry cache uses `klaus-oci/`). */
export const VERIFICATION_KV_PREFIX = "klaus-oci-verification/";

/** KV refuses an `expirationTtl` below 60 s. */
const KV_MIN_TTL_SECONDS = 60;

/**
 * A {@linkcode VerificationStore} on a Workers KV namespace (the
 * `KLAUS_CACHE` binding), under {@linkcode VERIFICATION_KV_PREFIX}.
 *
 * @example
 * ```ts
 * import { kvVerificationStore } from "./verification_cache.ts";
 * const data = new Map<string, string>();
 * const store = kvVerificationStore({
 *   get: (k: string) => Promise.resolve(data.get(k) ?? null),
 *   getWithMetadata: () => Promise.resolve({ value: null, metadata: null }),
 *   put: (k: string, v: unknown) => { data.set(k, String(v)); return Promise.resolve(); },
 *   delete: (k: string) => { data.delete(k); return Promise.resolve(); },
 * } as never);
 * await store.put("a", "1", 5);
 * console.log([...data.keys()]); // ["klaus-oci-verification/a"]
 * ```
 */
export function kvVerificationStore(kv: KvNamespaceLike): VerificationStore {
  return {
    get: (key) => kv.get(VERIFICATION_KV_PREFIX + key, { type: "text" }),
    put: (key, value, ttlSeconds) =>
      kv.put(VERIFICATION_KV_PREFIX + key, value, {
        expirationTtl: Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttlSeconds)),
      }),
  };
}

/** A cached value and when it stops being used. */
export interface CachedVerification<T> {
  /** The value. */
  value: T;
  /** Epoch ms after which it is checked again. */
  expiresAt: number;
  /** Epoch ms when it was computed. */
  checkedAt: number;
}

/** Options of {@linkcode VerificationCache}. */
export interface VerificationCacheOptions {
  /** The shared store (KV); omit for the memo alone. */
  store?: VerificationStore;
  /** Most entries the memo keeps (default 5000). */
  memoEntries?: number;
  /** Clock (epoch ms); default `Date.now`. */
  now?: () => number;
}

/**
 * The cache key of an artifact under a policy: the fingerprint, a digest
 * of the repository (keys stay short and free of `/` games) and the
 * manifest digest.
 *
 * @example
 * ```ts
 * import { verificationKey } from "./verification_cache.ts";
 * console.log(verificationKey("f".repeat(32), "r.example/p/base", "sha256:" + "0".repeat(64)).split("/").length); // 3
 * ```
 */
export function verificationKey(
  fingerprint: string,
  repository: string,
  digest: string,
): string {
  const repo = digestOf(new TextEncoder().encode(repository)).slice(7, 7 + 24);
  return `${fingerprint}/${repo}/${digest}`;
}

/**
 * The memo and the shared store, together.
 *
 * @example
 * ```ts
 * import { VerificationCache } from "./verification_cache.ts";
 * const cache = new VerificationCache<string>();
 * await cache.put("k", "verified", 60_000);
 * console.log((await cache.get("k"))?.value); // verified
 * ```
 */
export class VerificationCache<T> {
  #memo = new Map<string, CachedVerification<T>>();
  #store: VerificationStore | undefined;
  #cap: number;
  #now: () => number;

  /** Creates the cache. */
  constructor(options: VerificationCacheOptions = {}) {
    this.#store = options.store;
    this.#cap = options.memoEntries ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** The clock. */
  now(): number {
    return this.#now();
  }

  /** An unexpired entry from the memo, else from the store, else `undefined`. */
  async get(key: string): Promise<CachedVerification<T> | undefined> {
    const now = this.#now();
    const memo = this.#memo.get(key);
    if (memo && memo.expiresAt > now) return memo;
    if (memo) this.#memo.delete(key);
    if (!this.#store) return undefined;
    let text: string | null;
    try {
      text = await this.#store.get(key);
    } catch {
      return undefined;
    }
    if (text === null) return undefined;
    let entry: CachedVerification<T>;
    try {
      entry = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (
      typeof entry?.expiresAt !== "number" || entry.expiresAt <= now ||
      typeof entry.checkedAt !== "number" || entry.value === undefined
    ) {
      return undefined;
    }
    setBounded(this.#memo, key, entry, this.#cap);
    return entry;
  }

  /**
   * Remembers `value` for `ttlMs`: in the memo at once; in the store when
   * `shared` (default true), returning the write for the caller to keep
   * alive (a Worker hands it to `waitUntil`).
   */
  put(
    key: string,
    value: T,
    ttlMs: number,
    shared = true,
  ): Promise<void> {
    const checkedAt = this.#now();
    const entry = { value, checkedAt, expiresAt: checkedAt + ttlMs };
    setBounded(this.#memo, key, entry, this.#cap);
    if (!shared || !this.#store) return Promise.resolve();
    return this.#store.put(key, JSON.stringify(entry), ttlMs / 1000).catch(
      () => {},
    );
  }
}
