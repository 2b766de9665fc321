/**
 * A stale-while-revalidate cache in front of any {@linkcode OciStore}.
 *
 * Policy (the Go module's cache, with its bugs fixed: catalog prefixes keep
 * their trailing `/`, the size cap evicts least-recently-used content, and
 * manifests and configs are cached too — README, "Differences from
 * klaus-oci (Go)"):
 *
 * - **Mutable answers** — what a tag points at, a repository's tags, a
 *   catalog — are index entries with a fetch time. Younger than the fresh
 *   TTL: answered without network. Within the stale window: answered at
 *   once and revalidated in the background (tags by a conditional
 *   `resolve`, tag lists by a conditional `listTags`, catalogs by a full
 *   refetch). Older, or missing: refetched before answering (conditionally
 *   when an old entry has an ETag). When a refetch fails because the
 *   registry is unreachable or erroring, a stale entry answers instead
 *   (stale-if-error, flagged `stale`); a 404 propagates and drops the
 *   entry. Concurrent refetches of one entry share one request.
 * - **Content by digest** — manifests, configs, layers — is immutable: it
 *   is stored only after its digest and size were verified, and verified
 *   again whenever it is served. Layers are written into the cache while
 *   they stream to the caller and committed only when the stream ended
 *   verified. Digest references resolve from cached manifests offline.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestAlgorithm, digestOf, isValidDigest } from "../oci/digest.ts";
import type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  RepositoryRef,
  Resolved,
  TagList,
  TransferOptions,
} from "../oci/store.ts";
import type { Reference } from "../ref/reference_type.ts";
import type {
  CacheBackend,
  CatalogRecord,
  IndexRecord,
  RefRecord,
  TagsRecord,
} from "./backend.ts";
import {
  CATALOG_REVALIDATION_TIMEOUT_MS,
  DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_STALE_TTL_MS,
  REVALIDATION_TIMEOUT_MS,
} from "./constants.ts";
import { ContentCache } from "./content_cache.ts";
import { FsCacheBackend } from "./fs_backend.ts";
import { GuardedBackend } from "./guarded_backend.ts";
import { IndexCache, type Lookup } from "./index_cache.ts";
import {
  catalogBasesOf,
  catalogCacheKey,
  refCacheKey,
  tagsCacheKey,
} from "./keys.ts";
import { MemoryCacheBackend } from "./memory_backend.ts";
import type { CacheOptions } from "./options.ts";
import { TrackedScheduler } from "./scheduler.ts";
import {
  type CacheCallOptions,
  type CachedResolveOptions,
  type CachedTransferOptions,
  type CacheStatusDetail,
  worstCacheStatus,
} from "./status.ts";

function ttl(value: number | undefined, fallback: number): number {
  return value === undefined || !(value >= 0) ? fallback : value;
}

function withEtag<R extends IndexRecord>(record: R, etag?: string): R {
  return etag ? { ...record, etag } : record;
}

function unexpectedNotModified(key: string): RegistryError {
  return new RegistryError(
    `cache: ${key}: answered "not modified" to an unconditional request`,
  );
}

/**
 * An {@linkcode OciStore} that answers from a {@linkcode CacheBackend} and
 * asks the store it wraps only when it must. Every method also takes
 * {@linkcode CacheCallOptions}: `onCacheStatus` reports whether the answer
 * was `fresh`, `stale` or a `miss`.
 */
export class CachingStore implements OciStore {
  /** The store behind the cache. */
  readonly inner: OciStore;
  /** Where entries are kept. */
  readonly backend: CacheBackend;
  readonly #staleTtl: number;
  readonly #catalogStaleTtl: number;
  readonly #now: () => number;
  readonly #guarded: GuardedBackend;
  readonly #index: IndexCache;
  readonly #content: ContentCache;

  /** Caches `inner` as `options` say (in memory without `dir`/`store`). */
  constructor(inner: OciStore, options: CacheOptions = {}) {
    this.inner = inner;
    this.#now = options.now ?? Date.now;
    this.backend = options.store ??
      (options.dir
        ? new FsCacheBackend(options.dir, {
          maxBytes: options.maxBytes,
          now: this.#now,
        })
        : new MemoryCacheBackend({ maxBytes: options.maxBytes }));
    this.#staleTtl = ttl(options.staleTtlMs, DEFAULT_CACHE_STALE_TTL_MS);
    this.#catalogStaleTtl = ttl(
      options.catalogStaleTtlMs,
      DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
    );
    this.#guarded = new GuardedBackend(
      this.backend,
      options.onBackendError ?? (() => {}),
    );
    this.#index = new IndexCache(this.#guarded, {
      freshTtlMs: ttl(options.freshTtlMs, DEFAULT_CACHE_FRESH_TTL_MS),
      backgroundRefresh: options.backgroundRefresh ?? true,
      scheduler: options.scheduler ?? new TrackedScheduler(),
      now: this.#now,
    });
    this.#content = new ContentCache(inner, this.#guarded);
  }

  /**
   * Stops starting background revalidations and waits for the running
   * ones. The store keeps answering (stale entries are then not
   * revalidated). Idempotent.
   */
  close(): Promise<void> {
    return this.#index.close();
  }

  /**
   * What `ref` points at. A tag answers from its entry (revalidated with a
   * conditional probe); a digest answers from the cached manifest, else
   * fetches and caches it.
   */
  async resolve(
    ref: Reference,
    options: CachedResolveOptions = {},
  ): Promise<Resolved> {
    if (ref.digest) {
      const m = await this.#content.manifest(
        ref,
        ref.digest,
        undefined,
        options.signal,
      );
      options.onCacheStatus?.(m.status, { entry: "content", key: ref.digest });
      return { descriptor: { ...m.value.descriptor } };
    }
    const r = await this.#ref(ref, options, false);
    options.onCacheStatus?.(r.status, r.detail);
    const descriptor = { ...r.record.descriptor };
    return r.record.etag ? { descriptor, etag: r.record.etag } : { descriptor };
  }

  /** The manifest `ref` names: its tag via the index, its bytes by digest. */
  async fetchManifest(
    ref: Reference,
    options: CallOptions & CacheCallOptions = {},
  ): Promise<FetchedManifest> {
    let tagged: Lookup<RefRecord> | undefined;
    if (!ref.digest) tagged = await this.#ref(ref, options, true);
    const d = tagged?.record.descriptor;
    const digest = ref.digest ?? d!.digest;
    const m = await this.#content.manifest(
      ref,
      digest,
      d?.mediaType,
      options.signal,
    );
    let status = m.status;
    let detail: CacheStatusDetail = { entry: "content", key: digest };
    if (tagged && worstCacheStatus(tagged.status, m.status) === tagged.status) {
      ({ status, detail } = tagged);
    }
    options.onCacheStatus?.(status, detail);
    return {
      descriptor: { ...m.value.descriptor },
      bytes: m.value.bytes.slice(),
    };
  }

  /**
   * A blob, verified as it flows: from the cache, or from the inner store
   * while it is written into the cache (committed once verified).
   */
  async fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options: CachedTransferOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const b = await this.#content.blob(repo, descriptor, options);
    options.onCacheStatus?.(b.status, {
      entry: "content",
      key: descriptor.digest,
    });
    return b.value;
  }

  /** Passed through: a blob cached here says nothing about a repository. */
  blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean> {
    return this.inner.blobExists(repo, descriptor, options);
  }

  /** Passed through. */
  pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: TransferOptions,
  ): Promise<void> {
    return this.inner.pushBlob(repo, descriptor, content, options);
  }

  /** Passed through: referrers change whenever something is attached. */
  listReferrers(
    repo: RepositoryRef,
    digest: string,
    options?: CallOptions & { artifactType?: string },
  ): Promise<Descriptor[]> {
    return this.inner.listReferrers(repo, digest, options);
  }

  /** Passed through. */
  pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options?: TransferOptions & { mediaType?: string },
  ): Promise<Descriptor> {
    return this.inner.pushBlobStream(repo, stream, options);
  }

  /**
   * Pushes through, then records what the tag now points at, caches the
   * manifest, and forgets the repository's tag list and the catalogs that
   * could list it.
   */
  async pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor> {
    const pushed = await this.inner.pushManifest(
      ref,
      bytes,
      mediaType,
      options,
    );
    if (
      isValidDigest(pushed.digest) &&
      digestOf(bytes, digestAlgorithm(pushed.digest)) === pushed.digest
    ) {
      const descriptor = {
        mediaType: pushed.mediaType || mediaType,
        digest: pushed.digest,
        size: bytes.byteLength,
      };
      await this.#guarded.putContent(descriptor, bytes);
      if (ref.tag && !ref.digest) {
        await this.#guarded.putIndex({
          kind: "refs",
          key: refCacheKey(ref),
          descriptor,
          fetchedAt: this.#now(),
        });
      }
    }
    await this.#guarded.deleteIndex("tags", tagsCacheKey(ref));
    for (const base of catalogBasesOf(ref)) {
      await this.#guarded.deleteIndex("catalog", catalogCacheKey(base));
    }
    return pushed;
  }

  /**
   * Every tag, from the index; revalidated with `If-None-Match`. A caller's
   * `ifNoneMatch` equal to the cached ETag is answered `notModified`.
   */
  async listTags(
    repo: RepositoryRef,
    options: ListTagsOptions & CacheCallOptions = {},
  ): Promise<TagList> {
    const key = tagsCacheKey(repo);
    const r = await this.#index.lookup<TagsRecord>({
      kind: "tags",
      key,
      staleTtlMs: this.#staleTtl,
      timeoutMs: REVALIDATION_TIMEOUT_MS,
      refetch: async (previous, signal) => {
        const res = await this.inner.listTags(repo, {
          signal,
          ...(previous?.etag ? { ifNoneMatch: previous.etag } : {}),
        });
        if (res.notModified) {
          if (!previous) throw unexpectedNotModified(key);
          return { ...previous, fetchedAt: this.#now() };
        }
        return withEtag<TagsRecord>({
          kind: "tags",
          key,
          tags: [...res.tags],
          fetchedAt: this.#now(),
        }, res.etag);
      },
    }, options);
    options.onCacheStatus?.(r.status, r.detail);
    const { etag, tags } = r.record;
    if (etag && options.ifNoneMatch === etag) {
      return { tags: [], etag, notModified: true };
    }
    return etag ? { tags: [...tags], etag } : { tags: [...tags] };
  }

  /** Every repository below `base`, from the index; refetched in full. */
  async listRepositories(
    base: string,
    options: CallOptions & CacheCallOptions = {},
  ): Promise<string[]> {
    const key = catalogCacheKey(base);
    const r = await this.#index.lookup<CatalogRecord>({
      kind: "catalog",
      key,
      staleTtlMs: this.#catalogStaleTtl,
      timeoutMs: CATALOG_REVALIDATION_TIMEOUT_MS,
      refetch: async (_previous, signal) => ({
        kind: "catalog",
        key,
        repositories: [...await this.inner.listRepositories(base, { signal })],
        fetchedAt: this.#now(),
      }),
    }, options);
    options.onCacheStatus?.(r.status, r.detail);
    return [...r.record.repositories];
  }

  #ref(
    ref: Reference,
    options: CallOptions & CacheCallOptions,
    viaGet: boolean,
  ): Promise<Lookup<RefRecord>> {
    const key = refCacheKey(ref);
    return this.#index.lookup<RefRecord>({
      kind: "refs",
      key,
      staleTtlMs: this.#staleTtl,
      timeoutMs: REVALIDATION_TIMEOUT_MS,
      refetch: async (previous, signal) => {
        // A cold tag on the way to its manifest: one GET instead of
        // HEAD + GET, and the manifest lands in the cache too.
        if (!previous && viaGet) {
          const m = await this.inner.fetchManifest(ref, { signal });
          const descriptor = await this.#content.keepManifest(
            m,
            m.descriptor.digest,
            undefined,
          );
          return { kind: "refs", key, descriptor, fetchedAt: this.#now() };
        }
        const sent = previous?.etag;
        const res = await this.inner.resolve(
          ref,
          sent ? { signal, ifNoneMatch: sent } : { signal },
        );
        // Resolved has no "not modified" flag; a store that answers a
        // conditional probe with no descriptor means just that.
        const notModified =
          (res as { notModified?: boolean }).notModified === true ||
          (sent !== undefined && !isValidDigest(res?.descriptor?.digest));
        if (notModified) {
          if (!previous) throw unexpectedNotModified(key);
          return { ...previous, fetchedAt: this.#now() };
        }
        const d = res.descriptor;
        return withEtag<RefRecord>({
          kind: "refs",
          key,
          descriptor: {
            mediaType: d.mediaType,
            digest: d.digest,
            size: d.size,
          },
          fetchedAt: this.#now(),
        }, res.etag);
      },
    }, options);
  }
}
