/**
 * An {@linkcode OciStore} view that adds the same options to every call, so
 * code that knows nothing of them (the Klaus operations) still passes them
 * to the store underneath — e.g. one request's cache-status callback.
 *
 * @module
 */
import type { Reference } from "../ref/reference_type.ts";
import type { Descriptor } from "./descriptor.ts";
import type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  RepositoryRef,
  Resolved,
  ResolveOptions,
  TagList,
  TransferOptions,
} from "./store.ts";

/**
 * Wraps an {@linkcode OciStore} and merges `extra` into the options of
 * every call (`extra` wins over a call's own field of the same name). The
 * wrapper holds no state of its own: making one per request is cheap.
 *
 * @typeParam E The extra options, e.g. `CacheCallOptions`.
 */
export class CallOptionsStore<E extends object> implements OciStore {
  readonly #inner: OciStore;
  readonly #extra: E;

  /** Wraps `inner`, adding `extra` to the options of every call. */
  constructor(inner: OciStore, extra: E) {
    this.#inner = inner;
    this.#extra = extra;
  }

  #with<T extends CallOptions>(options: T | undefined): T & E {
    const merged = { ...options as T, ...this.#extra };
    // A signal among the extras adds to the call's own: either aborts it.
    const extra = (this.#extra as CallOptions).signal;
    const own = options?.signal;
    if (extra && own && extra !== own) {
      merged.signal = AbortSignal.any([extra, own]);
    }
    return merged;
  }

  /** {@inheritDoc OciStore.resolve} */
  resolve(ref: Reference, options?: ResolveOptions): Promise<Resolved> {
    return this.#inner.resolve(ref, this.#with(options));
  }

  /** {@inheritDoc OciStore.fetchManifest} */
  fetchManifest(
    ref: Reference,
    options?: CallOptions,
  ): Promise<FetchedManifest> {
    return this.#inner.fetchManifest(ref, this.#with(options));
  }

  /** {@inheritDoc OciStore.fetchBlob} */
  fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: TransferOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#inner.fetchBlob(repo, descriptor, this.#with(options));
  }

  /** {@inheritDoc OciStore.blobExists} */
  blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean> {
    return this.#inner.blobExists(repo, descriptor, this.#with(options));
  }

  /** {@inheritDoc OciStore.pushBlob} */
  pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: TransferOptions,
  ): Promise<void> {
    return this.#inner.pushBlob(repo, descriptor, content, this.#with(options));
  }

  /** {@inheritDoc OciStore.listReferrers} */
  listReferrers(
    repo: RepositoryRef,
    digest: string,
    options?: CallOptions & { artifactType?: string },
  ): Promise<Descriptor[]> {
    return this.#inner.listReferrers(repo, digest, this.#with(options));
  }

  /** {@inheritDoc OciStore.pushBlobStream} */
  pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options?: TransferOptions & { mediaType?: string },
  ): Promise<Descriptor> {
    return this.#inner.pushBlobStream(repo, stream, this.#with(options));
  }

  /** {@inheritDoc OciStore.pushManifest} */
  pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor> {
    return this.#inner.pushManifest(ref, bytes, mediaType, this.#with(options));
  }

  /** {@inheritDoc OciStore.listTags} */
  listTags(repo: RepositoryRef, options?: ListTagsOptions): Promise<TagList> {
    return this.#inner.listTags(repo, this.#with(options));
  }

  /** {@inheritDoc OciStore.listRepositories} */
  listRepositories(base: string, options?: CallOptions): Promise<string[]> {
    return this.#inner.listRepositories(base, this.#with(options));
  }
}
