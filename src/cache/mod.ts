/**
 * A stale-while-revalidate response cache in front of any
 * {@linkcode OciStore}, with filesystem, memory and Workers KV backends.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
 *
 * @module
 */
export {
  DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_STALE_TTL_MS,
} from "./constants.ts";
export {
  type CacheBackend,
  type CachedContent,
  type CatalogRecord,
  type ContentWriter,
  type IndexKind,
  type IndexRecord,
  type IndexRecordBase,
  type IndexRecordOf,
  type RefRecord,
  type TagsRecord,
  writeContent,
} from "./backend.ts";
export { CachingStore } from "./caching_store.ts";
export type { CacheOptions } from "./options.ts";
export {
  type CacheCallOptions,
  type CachedResolveOptions,
  type CachedTransferOptions,
  type CacheStatus,
  type CacheStatusDetail,
  worstCacheStatus,
} from "./status.ts";
export {
  type BackgroundScheduler,
  TrackedScheduler,
  waitUntilScheduler,
} from "./scheduler.ts";
export { Singleflight } from "./singleflight.ts";
export { isStaleIfErrorEligible } from "./stale_if_error.ts";
export {
  catalogBasesOf,
  catalogCacheKey,
  refCacheKey,
  tagsCacheKey,
} from "./keys.ts";
export {
  EVICTION_RECOUNT_MS,
  FsCacheBackend,
  type FsCacheBackendOptions,
} from "./fs_backend.ts";
export {
  DEFAULT_MEMORY_CACHE_MAX_BYTES,
  MemoryCacheBackend,
  type MemoryCacheBackendOptions,
} from "./memory_backend.ts";
export {
  KV_MAX_METADATA_BYTES,
  KV_MAX_VALUE_BYTES,
  KV_MIN_WRITE_INTERVAL_MS,
  KvCacheBackend,
  type KvCacheBackendOptions,
  type KvNamespaceLike,
} from "./kv_backend.ts";
