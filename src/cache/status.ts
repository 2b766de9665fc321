/**
 * How a cached answer was produced, for `X-Klaus-Cache` and logs.
 *
 * @module
 */
import type { ResolveOptions, TransferOptions } from "../oci/store.ts";
import type { BackgroundScheduler } from "./scheduler.ts";

/**
 * How one answer of the client's registry cache was produced:
 * `fresh` — from the cache without asking the registry;
 * `stale` — from the cache past its fresh window (being revalidated, or
 * the registry failed and the stale entry stood in for it);
 * `miss` — the answer waited for the registry.
 *
 * @example
 * ```ts
 * import type { CacheStatus } from "@klaus/oci";
 * const s: CacheStatus = "fresh";
 * console.log(s);
 * ```
 */
export type CacheStatus = "fresh" | "stale" | "miss";

/**
 * Details of a {@linkcode CacheStatus} report.
 *
 * @example
 * ```ts
 * import type { CacheStatusDetail } from "@klaus/oci";
 * const d: CacheStatusDetail = { entry: "tags", key: "localhost:5000/plugins/base", ageMs: 31_000 };
 * console.log(d.entry);
 * ```
 */
export interface CacheStatusDetail {
  /** The part that decided the status (the least fresh one). */
  entry: "refs" | "tags" | "catalog" | "content";
  /** Its cache key (a digest for content). */
  key: string;
  /** Age of the entry that answered, when one did. */
  ageMs?: number;
  /**
   * Why a stale entry answered: the last failed revalidation (the registry
   * is down or erroring — stale-if-error).
   */
  error?: unknown;
}

/**
 * Per-call options of the registry cache, given to
 * {@linkcode Client.withCallOptions}: hear how each answer was produced,
 * and choose where that call's background revalidations run.
 *
 * @example
 * ```ts
 * import type { CacheCallOptions } from "@klaus/oci";
 * const o: CacheCallOptions = { onCacheStatus: (s) => console.log("X-Klaus-Cache:", s) };
 * o.onCacheStatus?.("miss", { entry: "refs", key: "k" });
 * ```
 */
export interface CacheCallOptions {
  /** Called once per answered call with how the answer was produced. */
  onCacheStatus?: (status: CacheStatus, detail: CacheStatusDetail) => void;
  /**
   * Where this call's background revalidation goes, instead of the store's
   * scheduler (on Workers: one backed by this request's `ctx.waitUntil`).
   */
  scheduler?: BackgroundScheduler;
}

/** {@linkcode ResolveOptions} plus {@linkcode CacheCallOptions}. */
export type CachedResolveOptions = ResolveOptions & CacheCallOptions;
/** {@linkcode TransferOptions} plus {@linkcode CacheCallOptions}. */
export type CachedTransferOptions = TransferOptions & CacheCallOptions;

const RANK: Record<CacheStatus, number> = { fresh: 0, stale: 1, miss: 2 };

/**
 * The less fresh of two statuses, for answers built from several cached
 * parts (`miss` > `stale` > `fresh`).
 */
export function worstCacheStatus(a: CacheStatus, b: CacheStatus): CacheStatus {
  return RANK[a] >= RANK[b] ? a : b;
}
