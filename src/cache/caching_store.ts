/**
 * A stale-while-revalidate cache in front of any {@linkcode OciStore}.
 *
 * Policy (spec §5, with the Go cache's bugs fixed — DESIGN §3 rows 1, 2, 4):
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
import {
  DigestMismatchError,
  NotFoundError,
  RegistryError,
} from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  digestAlgorithm,
  digestOf,
  isValidDigest,
  verifyBytes,
  verifyingStream,
} from "../oci/digest.ts";
import {
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../oci/media_types.ts";
import type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  ProgressEvent,
  RepositoryRef,
  Resolved,
  TagList,
  TransferOptions,
} from "../oci/store.ts";
import type { Reference } from "../ref/reference_type.ts";
import {
  type CacheBackend,
  type CatalogRecord,
  type ContentWriter,
  type IndexKind,
  type IndexRecord,
  readAllBounded,
  type RefRecord,
  type TagsRecord,
  writeContent,
} from "./backend.ts";
import {
  CATALOG_REVALIDATION_TIMEOUT_MS,
  DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_STALE_TTL_MS,
  REVALIDATION_TIMEOUT_MS,
} from "./constants.ts";
import { FsCacheBackend } from "./fs_backend.ts";
import { catalogCacheKey, refCacheKey, tagsCacheKey } from "./keys.ts";
import { MemoryCacheBackend } from "./memory_backend.ts";
import type { CacheOptions } from "./options.ts";
import { bytesStream, relay } from "./relay.ts";
import { type BackgroundScheduler, TrackedScheduler } from "./scheduler.ts";
import { Singleflight } from "./singleflight.ts";
import { isStaleIfErrorEligible } from "./stale_if_error.ts";
import {
  type CacheCallOptions,
  type CachedResolveOptions,
  type CachedTransferOptions,
  type CacheStatus,
  type CacheStatusDetail,
  worstCacheStatus,
} from "./status.ts";

// Blobs up to this size (configs, in practice) are fetched whole, so that
// concurrent requests for one share a single download.
const SMALL_BLOB_BYTES = MAX_MANIFEST_BYTES;
const FAILURE_MEMORY = 1000;

interface Lookup<R extends IndexRecord> {
  record: R;
  status: CacheStatus;
  detail: CacheStatusDetail;
}

type Refetch<R extends IndexRecord> = (
  previous: R | undefined,
  signal: AbortSignal,
) => Promise<R>;

function ttl(value: number | undefined, fallback: number): number {
  return value === undefined || !(value >= 0) ? fallback : value;
}

function withEtag<R extends IndexRecord>(record: R, etag?: string): R {
  return etag ? { ...record, etag } : record;
}

/** The media type a manifest document declares, or the likely one. */
function sniffManifestMediaType(bytes: Uint8Array): string {
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof doc?.mediaType === "string" && doc.mediaType) {
      return doc.mediaType;
    }
    if (Array.isArray(doc?.manifests)) return MEDIA_TYPE_OCI_INDEX;
  } catch {
    // not JSON: the inner store would not have returned it as a manifest
  }
  return MEDIA_TYPE_OCI_MANIFEST;
}

/**
 * An {@linkcode OciStore} that answers from a {@linkcode CacheBackend} and
 * asks the store it wraps only when it must. Every method also takes
 * {@linkcode CacheCallOptions}: `onCacheStatus` reports whether the answer
 * was `fresh`, `stale` or a `miss`.
 *
 * @example
 * ```ts ignore
 * import { CachingStore, RegistryStore } from "@klaus/oci";
 * const store = new CachingStore(new RegistryStore(), { dir: "/tmp/klaus-oci-cache" });
 * const ref = { registry: "gsoci.azurecr.io", repository: "giantswarm/klaus-plugins/base", tag: "v0.1.0" };
 * const { descriptor } = await store.resolve(ref, { onCacheStatus: (s) => console.log(s) });
 * console.log(descriptor.digest);
 * await store.close();
 * ```
 */
export class CachingStore implements OciStore {
  /** The store behind the cache. */
  readonly inner: OciStore;
  /** Where entries are kept. */
  readonly backend: CacheBackend;
  readonly #freshTtl: number;
  readonly #staleTtl: number;
  readonly #catalogStaleTtl: number;
  readonly #background: boolean;
  readonly #scheduler: BackgroundScheduler;
  readonly #now: () => number;
  readonly #onBackendError: (error: unknown) => void;
  #flights = new Singleflight();
  #pending = new Set<Promise<void>>();
  #failures = new Map<string, { at: number; error: unknown }>();
  #closed = false;

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
    this.#freshTtl = ttl(options.freshTtlMs, DEFAULT_CACHE_FRESH_TTL_MS);
    this.#staleTtl = ttl(options.staleTtlMs, DEFAULT_CACHE_STALE_TTL_MS);
    this.#catalogStaleTtl = ttl(
      options.catalogStaleTtlMs,
      DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
    );
    this.#background = options.backgroundRefresh ?? true;
    this.#scheduler = options.scheduler ?? new TrackedScheduler();
    this.#onBackendError = options.onBackendError ?? (() => {});
  }

  /**
   * Stops starting background revalidations and waits for the running
   * ones. The store keeps answering (stale entries are then not
   * revalidated). Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
    await this.#scheduler.drain();
  }

  // ---- OciStore -----------------------------------------------------------

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
      const m = await this.#manifestByDigest(
        ref,
        ref.digest,
        undefined,
        options.signal,
      );
      options.onCacheStatus?.(m.status, { entry: "content", key: ref.digest });
      return { descriptor: { ...m.manifest.descriptor } };
    }
    const r = await this.#ref(ref, options, false);
    options.onCacheStatus?.(r.status, r.detail);
    const descriptor = { ...r.record.descriptor };
    return r.record.etag
      ? { descriptor, etag: r.record.etag }
      : { descriptor };
  }

  /** The manifest `ref` names: its tag via the index, its bytes by digest. */
  async fetchManifest(
    ref: Reference,
    options: CallOptions & CacheCallOptions = {},
  ): Promise<FetchedManifest> {
    let status: CacheStatus = "fresh";
    let detail: CacheStatusDetail | undefined;
    let digest = ref.digest;
    let mediaType: string | undefined;
    if (!digest) {
      const r = await this.#ref(ref, options, true);
      ({ status, detail } = r);
      digest = r.record.descriptor.digest;
      mediaType = r.record.descriptor.mediaType;
    }
    const m = await this.#manifestByDigest(
      ref,
      digest,
      mediaType,
      options.signal,
    );
    const overall = worstCacheStatus(status, m.status);
    if (!detail || overall !== status) {
      detail = { entry: "content", key: digest };
    }
    options.onCacheStatus?.(overall, detail);
    return {
      descriptor: { ...m.manifest.descriptor },
      bytes: m.manifest.bytes.slice(),
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
    const { digest, size } = descriptor;
    digestAlgorithm(digest);
    const report = (status: CacheStatus) =>
      options.onCacheStatus?.(status, { entry: "content", key: digest });
    const hit = await this.#cachedBlob(descriptor, options.onProgress);
    if (hit) {
      report("fresh");
      return hit;
    }
    if (size >= 0 && size <= SMALL_BLOB_BYTES) {
      const bytes = await this.#flights.do(`blob:${digest}`, async (signal) => {
        const source = await this.inner.fetchBlob(repo, descriptor, {
          signal,
        });
        const all = await readAllBounded(
          source.pipeThrough(verifyingStream(digest, size)),
          size,
        );
        // verifyingStream already refuses more than `size` bytes
        if (!all) throw new DigestMismatchError(`size mismatch for ${digest}`);
        await this.#storeContent(descriptor, all);
        return all;
      }, options.signal);
      report("miss");
      options.onProgress?.(this.#progress(descriptor, size, true));
      return bytesStream(bytes.slice());
    }
    const writer = await this.#openWriter(descriptor);
    let source: ReadableStream<Uint8Array>;
    try {
      source = await this.inner.fetchBlob(repo, descriptor, {
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } catch (e) {
      await writer?.abort().catch(() => {});
      throw e;
    }
    report("miss");
    if (!writer) return source;
    return this.#writeThrough(
      source.pipeThrough(verifyingStream(digest, size)),
      writer,
    );
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
      await this.#storeContent(descriptor, bytes);
      if (ref.tag && !ref.digest) {
        await this.#writeIndex({
          kind: "refs",
          key: refCacheKey(ref),
          descriptor,
          fetchedAt: this.#now(),
        });
      }
    }
    await this.#dropIndex("tags", tagsCacheKey(ref));
    for (const base of this.#basesListing(ref)) {
      await this.#dropIndex("catalog", catalogCacheKey(base));
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
    const r = await this.#lookup<TagsRecord>(
      "tags",
      key,
      this.#staleTtl,
      REVALIDATION_TIMEOUT_MS,
      async (previous, signal) => {
        const res = await this.inner.listTags(repo, {
          signal,
          ...(previous?.etag ? { ifNoneMatch: previous.etag } : {}),
        });
        if (res.notModified) {
          if (!previous) throw this.#unexpectedNotModified(key);
          return { ...previous, fetchedAt: this.#now() };
        }
        return withEtag<TagsRecord>({
          kind: "tags",
          key,
          tags: [...res.tags],
          fetchedAt: this.#now(),
        }, res.etag);
      },
      options,
    );
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
    const r = await this.#lookup<CatalogRecord>(
      "catalog",
      key,
      this.#catalogStaleTtl,
      CATALOG_REVALIDATION_TIMEOUT_MS,
      async (_previous, signal) => ({
        kind: "catalog",
        key,
        repositories: [
          ...await this.inner.listRepositories(base, { signal }),
        ],
        fetchedAt: this.#now(),
      }),
      options,
    );
    options.onCacheStatus?.(r.status, r.detail);
    return [...r.record.repositories];
  }

  // ---- index entries: the freshness state machine ------------------------

  async #lookup<R extends IndexRecord>(
    kind: R["kind"],
    key: string,
    staleTtl: number,
    timeoutMs: number,
    refetch: Refetch<R>,
    options: CallOptions & CacheCallOptions,
  ): Promise<Lookup<R>> {
    const entry = await this.#readIndex(kind, key) as R | undefined;
    if (entry) {
      const ageMs = this.#now() - entry.fetchedAt;
      const detail = { entry: kind, key, ageMs };
      if (ageMs < this.#freshTtl) {
        return { record: entry, status: "fresh", detail };
      }
      if (ageMs < staleTtl) {
        if (this.#background) {
          if (!this.#closed) {
            this.#revalidate(kind, key, entry, refetch, timeoutMs, options);
          }
          const failure = this.#failures.get(`${kind}:${key}`);
          return {
            record: entry,
            status: "stale",
            detail: failure ? { ...detail, error: failure.error } : detail,
          };
        }
        try {
          const record = await this.#refresh(
            kind,
            key,
            entry,
            refetch,
            options.signal,
          );
          return { record, status: "miss", detail: { entry: kind, key } };
        } catch (e) {
          if (options.signal?.aborted || !isStaleIfErrorEligible(e)) throw e;
          return {
            record: entry,
            status: "stale",
            detail: { ...detail, error: e },
          };
        }
      }
    }
    const record = await this.#refresh(
      kind,
      key,
      entry,
      refetch,
      options.signal,
    );
    return { record, status: "miss", detail: { entry: kind, key } };
  }

  #refresh<R extends IndexRecord>(
    kind: IndexKind,
    key: string,
    previous: R | undefined,
    refetch: Refetch<R>,
    signal?: AbortSignal,
  ): Promise<R> {
    const id = `${kind}:${key}`;
    return this.#flights.do(id, async (shared) => {
      let record: R;
      try {
        record = await refetch(previous, shared);
      } catch (e) {
        if (e instanceof NotFoundError) await this.#dropIndex(kind, key);
        throw e;
      }
      this.#failures.delete(id);
      await this.#writeIndex(record);
      return record;
    }, signal);
  }

  #revalidate<R extends IndexRecord>(
    kind: IndexKind,
    key: string,
    previous: R,
    refetch: Refetch<R>,
    timeoutMs: number,
    options: CacheCallOptions,
  ): void {
    const id = `${kind}:${key}`;
    if (this.#flights.has(id)) return;
    // A registry that just failed is not asked again within the fresh TTL.
    const failure = this.#failures.get(id);
    if (failure && this.#now() - failure.at < this.#freshTtl) return;
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new DOMException("cache revalidation timed out", "TimeoutError"),
        ),
      timeoutMs,
    );
    const task: Promise<void> = this.#refresh(
      kind,
      key,
      previous,
      refetch,
      timeout.signal,
    ).then(
      () => {},
      (error) => {
        if (error instanceof NotFoundError) return;
        this.#failures.delete(id);
        this.#failures.set(id, { at: this.#now(), error });
        for (const old of this.#failures.keys()) {
          if (this.#failures.size <= FAILURE_MEMORY) break;
          this.#failures.delete(old);
        }
      },
    ).finally(() => {
      clearTimeout(timer);
      this.#pending.delete(task);
    });
    this.#pending.add(task);
    (options.scheduler ?? this.#scheduler).schedule(task);
  }

  #ref(
    ref: Reference,
    options: CallOptions & CacheCallOptions,
    viaGet: boolean,
  ): Promise<Lookup<RefRecord>> {
    const key = refCacheKey(ref);
    return this.#lookup<RefRecord>(
      "refs",
      key,
      this.#staleTtl,
      REVALIDATION_TIMEOUT_MS,
      async (previous, signal) => {
        // A cold tag on the way to its manifest: one GET instead of
        // HEAD + GET, and the manifest lands in the cache too.
        if (!previous && viaGet) {
          const m = await this.inner.fetchManifest(ref, { signal });
          const descriptor = await this.#keepManifest(
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
        const notModified =
          (res as { notModified?: boolean }).notModified === true ||
          (sent !== undefined && !isValidDigest(res?.descriptor?.digest));
        if (notModified) {
          if (!previous) throw this.#unexpectedNotModified(key);
          return { ...previous, fetchedAt: this.#now() };
        }
        const d = res.descriptor;
        return withEtag<RefRecord>({
          kind: "refs",
          key,
          descriptor: { mediaType: d.mediaType, digest: d.digest, size: d.size },
          fetchedAt: this.#now(),
        }, res.etag);
      },
      options,
    );
  }

  #unexpectedNotModified(key: string): RegistryError {
    return new RegistryError(
      `cache: ${key}: answered "not modified" to an unconditional request`,
    );
  }

  // Every base whose catalog may list `repo` (each path prefix).
  #basesListing(repo: RepositoryRef): string[] {
    const parts = tagsCacheKey(repo).split("/");
    const bases: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      bases.push(parts.slice(0, i).join("/"));
    }
    return bases;
  }

  // ---- content by digest -------------------------------------------------

  async #manifestByDigest(
    repo: RepositoryRef,
    digest: string,
    mediaType: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ manifest: FetchedManifest; status: CacheStatus }> {
    digestAlgorithm(digest);
    const cached = await this.#cachedManifest(digest, mediaType);
    if (cached) return { manifest: cached, status: "fresh" };
    const manifest = await this.#flights.do(
      `manifest:${digest}`,
      async (shared) => {
        const m = await this.inner.fetchManifest({
          registry: repo.registry,
          repository: repo.repository,
          digest,
        }, { signal: shared });
        const descriptor = await this.#keepManifest(m, digest, mediaType);
        return { descriptor, bytes: m.bytes };
      },
      signal,
    );
    return { manifest, status: "miss" };
  }

  async #cachedManifest(
    digest: string,
    mediaType: string | undefined,
  ): Promise<FetchedManifest | undefined> {
    const content = await this.#openContent(digest);
    if (!content) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readAllBounded(content.stream, MAX_MANIFEST_BYTES);
    } catch (e) {
      this.#onBackendError(e);
      return undefined;
    }
    if (!bytes || digestOf(bytes, digestAlgorithm(digest)) !== digest) {
      await this.#dropContent(digest);
      return undefined;
    }
    return {
      descriptor: {
        mediaType: mediaType ?? sniffManifestMediaType(bytes),
        digest,
        size: bytes.byteLength,
      },
      bytes,
    };
  }

  /** Verifies a fetched manifest against `digest`, caches it. */
  async #keepManifest(
    m: FetchedManifest,
    digest: string,
    mediaType: string | undefined,
  ): Promise<Descriptor> {
    verifyBytes(m.bytes, digest);
    const descriptor = {
      mediaType: mediaType ?? (m.descriptor.mediaType ||
        sniffManifestMediaType(m.bytes)),
      digest,
      size: m.bytes.byteLength,
    };
    await this.#storeContent(descriptor, m.bytes);
    return descriptor;
  }

  async #cachedBlob(
    descriptor: Descriptor,
    onProgress: ((e: ProgressEvent) => void) | undefined,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const { digest, size } = descriptor;
    const content = await this.#openContent(digest);
    if (!content) return undefined;
    if (content.size !== size) {
      // Either the descriptor or the file is wrong; only a verified refetch
      // can tell, and it replaces the file if the descriptor was right.
      await content.stream.cancel().catch(() => {});
      return undefined;
    }
    const verified = content.stream.pipeThrough(
      verifyingStream(
        digest,
        size,
        (n) => onProgress?.(this.#progress(descriptor, n, false)),
      ),
    );
    return relay(verified, {
      end: () => onProgress?.(this.#progress(descriptor, size, true)),
      error: async (e) => {
        if (e instanceof DigestMismatchError) await this.#dropContent(digest);
      },
    });
  }

  #progress(d: Descriptor, transferred: number, done: boolean): ProgressEvent {
    return {
      direction: "pull",
      digest: d.digest,
      mediaType: d.mediaType,
      transferred,
      total: d.size,
      done,
    };
  }

  /** `source` (verified) relayed to the caller while it is written. */
  #writeThrough(
    source: ReadableStream<Uint8Array>,
    writer: ContentWriter,
  ): ReadableStream<Uint8Array> {
    let broken = false;
    const giveUp = async () => {
      broken = true;
      await writer.abort().catch(() => {});
    };
    return relay(source, {
      chunk: async (chunk) => {
        if (broken) return;
        try {
          await writer.write(chunk);
        } catch (e) {
          this.#onBackendError(e);
          await giveUp();
        }
      },
      end: async () => {
        if (broken) return;
        try {
          await writer.commit();
        } catch (e) {
          this.#onBackendError(e);
          await giveUp();
        }
      },
      error: giveUp,
      cancel: giveUp,
    });
  }

  // ---- backend access: failures are misses or skipped writes --------------

  async #readIndex(
    kind: IndexKind,
    key: string,
  ): Promise<IndexRecord | undefined> {
    try {
      return await this.backend.getIndex(kind, key);
    } catch (e) {
      this.#onBackendError(e);
      return undefined;
    }
  }

  async #writeIndex(record: IndexRecord): Promise<void> {
    try {
      await this.backend.putIndex(record);
    } catch (e) {
      this.#onBackendError(e);
    }
  }

  async #dropIndex(kind: IndexKind, key: string): Promise<void> {
    try {
      await this.backend.deleteIndex(kind, key);
    } catch (e) {
      this.#onBackendError(e);
    }
  }

  async #openContent(digest: string) {
    try {
      return await this.backend.getContent(digest);
    } catch (e) {
      this.#onBackendError(e);
      return undefined;
    }
  }

  async #openWriter(d: Descriptor): Promise<ContentWriter | undefined> {
    try {
      return await this.backend.openContentWriter(d);
    } catch (e) {
      this.#onBackendError(e);
      return undefined;
    }
  }

  async #storeContent(d: Descriptor, bytes: Uint8Array): Promise<void> {
    try {
      await writeContent(this.backend, d, bytes);
    } catch (e) {
      this.#onBackendError(e);
    }
  }

  async #dropContent(digest: string): Promise<void> {
    try {
      await this.backend.deleteContent(digest);
    } catch (e) {
      this.#onBackendError(e);
    }
  }
}
