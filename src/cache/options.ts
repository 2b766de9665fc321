/**
 * Options of the response cache (DESIGN §4 `ClientOptions.cache`).
 *
 * @module
 */
import type { CacheBackend } from "./backend.ts";
import type { BackgroundScheduler } from "./scheduler.ts";

/**
 * How a {@linkcode CachingStore} caches. With neither `dir` nor `store` the
 * cache lives in memory.
 *
 * @example
 * ```ts
 * import type { CacheOptions } from "@klaus/oci";
 * const o: CacheOptions = { dir: "/tmp/klaus-oci", freshTtlMs: 10_000 };
 * console.log(o.dir);
 * ```
 */
export interface CacheOptions {
  /** Cache directory ({@linkcode FsCacheBackend}). */
  dir?: string;
  /** A backend to use instead (memory, Workers KV, your own). */
  store?: CacheBackend;
  /** Answers younger than this are used without asking (default 30 s). */
  freshTtlMs?: number;
  /**
   * Tag and tag-list answers younger than this are answered at once and
   * revalidated (default 24 h); older ones are refetched first.
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
   * used only if the registry cannot be reached (stale-if-error).
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
