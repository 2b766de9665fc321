/**
 * Default cache settings: the Go module's `DefaultCache*` values.
 *
 * @module
 */

/**
 * How long a cached tag, tag list or catalog answer is used without asking
 * the registry at all: 30 seconds.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_FRESH_TTL_MS } from "@klaus/oci";
 * console.log(DEFAULT_CACHE_FRESH_TTL_MS / 1000); // 30
 * ```
 */
export const DEFAULT_CACHE_FRESH_TTL_MS = 30_000;

/**
 * How long a cached tag or tag list may still be answered (and revalidated
 * in the background) after it stopped being fresh: 24 hours.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_STALE_TTL_MS } from "@klaus/oci";
 * console.log(DEFAULT_CACHE_STALE_TTL_MS / 3_600_000); // 24
 * ```
 */
export const DEFAULT_CACHE_STALE_TTL_MS = 86_400_000;

/**
 * The stale window of cached repository catalogs: 7 days (catalogs change
 * rarely and are the most expensive listing).
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_CATALOG_STALE_TTL_MS } from "@klaus/oci";
 * console.log(DEFAULT_CACHE_CATALOG_STALE_TTL_MS / 86_400_000); // 7
 * ```
 */
export const DEFAULT_CACHE_CATALOG_STALE_TTL_MS = 604_800_000;

/**
 * Budget of cached content (manifests, configs, layers) before the least
 * recently used is evicted: 2 GiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_MAX_BYTES } from "@klaus/oci";
 * console.log(DEFAULT_CACHE_MAX_BYTES === 2 ** 31); // true
 * ```
 */
export const DEFAULT_CACHE_MAX_BYTES = 2_147_483_648;

/** Time budget of one background revalidation of a tag or tag list. */
export const REVALIDATION_TIMEOUT_MS = 30_000;

/** Time budget of one background revalidation of a catalog. */
export const CATALOG_REVALIDATION_TIMEOUT_MS = 60_000;

/**
 * Largest index file (what a tag points at, a tag list, a catalog) read
 * from a cache: 64 MiB, room for a few million tags. A bigger file is
 * treated as a miss without reading it — it is garbage, not an entry.
 */
export const MAX_INDEX_ENTRY_BYTES = 64 * 1024 * 1024;
