/**
 * Options of the response cache (`ClientOptions.cache`).
 *
 * @module
 */
import type { CacheBackend } from "./backend.ts";
import type { BackgroundScheduler } from "./scheduler.ts";

/**
 * How the client's registry cache ({@linkcode ClientOptions.cache}) caches.
 * With neither `dir` nor `store` the cache lives in memory.
 *
 * Differences from the Go module's options (README, "Differences from
 * klaus-oci (Go)"):
 *
 * - `cache: {}` (and `dir: ""`) enables an in-memory cache; Go's
 *   `WithCache("")` leaves the cache off. Omit `cache` for no cache.
 * - `freshTtlMs: 0` and `staleTtlMs: 0` are honoured (nothing is fresh:
 *   every answer is revalidated; no stale window: every non-fresh answer is
 *   refetched first); Go's `WithCacheTTL(0, …)`/`(…, 0)` keep the default
 *   for a value ≤ 0. Negative and `NaN` values keep the defaults here too.
 * - `backgroundRefresh: false` revalidates a stale answer before answering
 *   (a conditional request, usually a 304) and answers stale only when the
 *   registry cannot be reached; Go answers stale at once and does not
 *   revalidate at all until the stale TTL (24 h) has passed.
 *
 * @example
 * ```ts
 * import type { CacheOptions } from "@klaus/oci";
 * const o: CacheOptions = { dir: "/tmp/klaus-oci", freshTtlMs: 10_000 };
 * console.log(o.dir);
 * ```
 */
export interface CacheOptions {
  /**
   * Cache directory ({@linkcode FsCacheBackend}). Unset or `""`: in memory
   * (Go's `WithCache("")` disables the cache instead).
   */
  dir?: string;
  /**
   * A backend to use instead: {@linkcode MemoryCacheBackend},
   * {@linkcode KvCacheBackend}, {@linkcode FsCacheBackend} with its own
   * options, or your own {@linkcode CacheStore}.
   */
  store?: CacheBackend;
  /**
   * Answers younger than this are used without asking (default 30 s). `0`
   * makes nothing fresh (Go ignores values ≤ 0); negative keeps the default.
   */
  freshTtlMs?: number;
  /**
   * Tag and tag-list answers younger than this are answered at once and
   * revalidated (default 24 h); older ones are refetched first. `0` leaves
   * no stale window (Go ignores values ≤ 0); negative keeps the default.
   */
  staleTtlMs?: number;
  /** The stale window of repository catalogs (default 7 days). */
  catalogStaleTtlMs?: number;
  /**
   * Content budget of the `dir` backend in bytes (default 2 GiB); `<= 0`
   * disables eviction.
   */
  maxBytes?: number;
  /**
   * Revalidate stale answers in the background after answering (default
   * true). When false a stale answer is revalidated before answering, and
   * used only if the registry cannot be reached (stale-if-error). Go's
   * `WithBackgroundRefresh(false)` instead answers stale at once and never
   * revalidates within the stale window.
   */
  backgroundRefresh?: boolean;
  /** Where background revalidations run (default: a tracked set). */
  scheduler?: BackgroundScheduler;
  /** Clock (epoch ms); default `Date.now`. */
  now?: () => number;
  /**
   * Called with every backend failure (unreadable directory, full disk,
   * KV errors). The cache treats them as misses or skipped writes.
   */
  onBackendError?: (error: unknown) => void;
}
