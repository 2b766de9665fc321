import { OCI_LAYOUT_REGISTRY } from "../ref/reference_type.ts";
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
 * Sends `ocidir://` addresses to the layout store and everything else to
 * the registry client, so the layers above never branch on the target.
 */
export class RoutingStore implements OciStore {
  #registry: OciStore;
  #layout: OciStore;

  /** Routes between a registry client and a layout store. */
  constructor(registry: OciStore, layout: OciStore) {
    this.#registry = registry;
    this.#layout = layout;
  }

  #for(registry: string): OciStore {
    return registry === OCI_LAYOUT_REGISTRY ? this.#layout : this.#registry;
  }

  resolve(ref: Reference, options?: ResolveOptions): Promise<Resolved> {
    return this.#for(ref.registry).resolve(ref, options);
  }
  fetchManifest(
    ref: Reference,
    options?: CallOptions,
  ): Promise<FetchedManifest> {
    return this.#for(ref.registry).fetchManifest(ref, options);
  }
  fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: TransferOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#for(repo.registry).fetchBlob(repo, descriptor, options);
  }
  blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean> {
    return this.#for(repo.registry).blobExists(repo, descriptor, options);
  }
  pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: TransferOptions,
  ): Promise<void> {
    return this.#for(repo.registry).pushBlob(
      repo,
      descriptor,
      content,
      options,
    );
  }
  listReferrers(
    repo: RepositoryRef,
    digest: string,
    options?: CallOptions & { artifactType?: string },
  ): Promise<Descriptor[]> {
    return this.#for(repo.registry).listReferrers(repo, digest, options);
  }
  pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options?: TransferOptions & { mediaType?: string },
  ): Promise<Descriptor> {
    return this.#for(repo.registry).pushBlobStream(repo, stream, options);
  }
  pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor> {
    return this.#for(ref.registry).pushManifest(ref, bytes, mediaType, options);
  }
  listTags(repo: RepositoryRef, options?: ListTagsOptions): Promise<TagList> {
    return this.#for(repo.registry).listTags(repo, options);
  }
  listRepositories(base: string, options?: CallOptions): Promise<string[]> {
    const store = base.startsWith(OCI_LAYOUT_REGISTRY)
      ? this.#layout
      : this.#registry;
    return store.listRepositories(base, options);
  }
}
