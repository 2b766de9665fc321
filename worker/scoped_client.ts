/**
 * The library stack the app runs on — registry client, layout store and
 * the stale-while-revalidate cache, wired as `Client` wires them — with a
 * per-answer view that hands the cache this answer's `onCacheStatus` and
 * scheduler. The stack (token cache, in-flight map, cache backend) is
 * shared by every request of an isolate; a view costs one small object.
 *
 * @module
 */
import { CachingStore } from "../src/cache/caching_store.ts";
import type { CacheOptions } from "../src/cache/options.ts";
import type { CacheCallOptions } from "../src/cache/status.ts";
import type { ArtifactContext } from "../src/artifact/context.ts";
import {
  describePersonality,
  describePlugin,
  describeToolchain,
} from "../src/artifact/describe.ts";
import { resolvePersonalityDeps } from "../src/artifact/deps.ts";
import {
  PERSONALITY_KIND,
  PLUGIN_KIND,
  TOOLCHAIN_KIND,
} from "../src/artifact/kind.ts";
import { listArtifacts, listVersions } from "../src/artifact/list.ts";
import { resolveArtifactRef } from "../src/artifact/resolve_ref.ts";
import type { Personality } from "../src/artifact/types.ts";
import { InvalidReferenceError } from "../src/errors.ts";
import type { Descriptor } from "../src/oci/descriptor.ts";
import { RoutingStore } from "../src/oci/routing_store.ts";
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
} from "../src/oci/store.ts";
import type { Reference } from "../src/ref/reference_type.ts";
import { RegistryStore } from "../src/registry/registry_store.ts";
import type { RequestScope } from "./cache/scope.ts";
import type { KlausClient } from "./client_types.ts";
import type { RegistryBases } from "./kinds.ts";

/**
 * An {@linkcode OciStore} that adds fixed per-call options (cache status
 * callback, scheduler) to every call of the store it wraps.
 *
 * @example
 * ```ts
 * import { ScopedStore } from "./scoped_client.ts";
 * console.log(typeof ScopedStore);
 * ```
 */
export class ScopedStore implements OciStore {
  #inner: OciStore;
  #extra: CacheCallOptions;

  /** Wraps `inner`, adding `extra` to the options of every call. */
  constructor(inner: OciStore, extra: CacheCallOptions) {
    this.#inner = inner;
    this.#extra = extra;
  }

  #o<T extends object>(o?: T): T & CacheCallOptions {
    return { ...(o ?? {} as T), ...this.#extra };
  }

  /** {@inheritDoc OciStore.resolve} */
  resolve(ref: Reference, options?: ResolveOptions): Promise<Resolved> {
    return this.#inner.resolve(ref, this.#o(options));
  }
  /** {@inheritDoc OciStore.fetchManifest} */
  fetchManifest(
    ref: Reference,
    options?: CallOptions,
  ): Promise<FetchedManifest> {
    return this.#inner.fetchManifest(ref, this.#o(options));
  }
  /** {@inheritDoc OciStore.fetchBlob} */
  fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: TransferOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#inner.fetchBlob(repo, descriptor, this.#o(options));
  }
  /** {@inheritDoc OciStore.blobExists} */
  blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean> {
    return this.#inner.blobExists(repo, descriptor, this.#o(options));
  }
  /** {@inheritDoc OciStore.pushBlob} */
  pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: TransferOptions,
  ): Promise<void> {
    return this.#inner.pushBlob(repo, descriptor, content, this.#o(options));
  }
  /** {@inheritDoc OciStore.pushManifest} */
  pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor> {
    return this.#inner.pushManifest(ref, bytes, mediaType, this.#o(options));
  }
  /** {@inheritDoc OciStore.listTags} */
  listTags(repo: RepositoryRef, options?: ListTagsOptions): Promise<TagList> {
    return this.#inner.listTags(repo, this.#o(options));
  }
  /** {@inheritDoc OciStore.listRepositories} */
  listRepositories(base: string, options?: CallOptions): Promise<string[]> {
    return this.#inner.listRepositories(base, this.#o(options));
  }
}

/** Options of {@linkcode EdgeStack}. */
export interface EdgeStackOptions {
  /** Registry bases per kind. */
  registries: RegistryBases;
  /** `http://` instead of `https://`. */
  plainHttp?: boolean;
  /** Name of the variable in `env` holding a base64 Docker config. */
  registryAuthEnv?: string;
  /** Where credentials are read from (never the process environment on Workers). */
  env?: Record<string, string | undefined>;
  /** The (guarded) `fetch`. */
  fetch?: typeof fetch;
  /** Cache options; omit for no cache. */
  cache?: CacheOptions;
  /** Most concurrent repository operations (default 6, the Workers connection cap). */
  concurrency?: number;
  /**
   * Timeout of one registry response (headers, and each stall of a body);
   * default 10 s — an edge answer should not wait for a minute.
   */
  timeoutMs?: number;
  /** Total budget of one registry request including retries (default 20 s). */
  requestBudgetMs?: number;
  /**
   * The store for `ocidir://` bases (a `LayoutStore` under Deno). Default:
   * none — a Worker has no disk, and leaving it out keeps the bundle small.
   */
  layout?: OciStore;
}

function noLayouts(): Promise<never> {
  return Promise.reject(
    new InvalidReferenceError(
      "ocidir:// layouts are not available in this runtime",
    ),
  );
}

/** An {@linkcode OciStore} refusing every `ocidir://` address. */
const NO_LAYOUTS: OciStore = {
  resolve: noLayouts,
  fetchManifest: noLayouts,
  fetchBlob: noLayouts,
  blobExists: noLayouts,
  pushBlob: noLayouts,
  pushManifest: noLayouts,
  listTags: noLayouts,
  listRepositories: noLayouts,
};

/**
 * The shared stack and its per-answer clients.
 *
 * @example
 * ```ts
 * import { EdgeStack } from "./scoped_client.ts";
 * const stack = new EdgeStack({ registries: { plugin: "r.example/p", personality: "r.example/s", toolchain: "r.example/t" } });
 * console.log(typeof stack.clientFor);
 * await stack.close();
 * ```
 */
export class EdgeStack {
  /** The routing store (cache in front of the registry, layouts direct). */
  readonly store: OciStore;
  /** The cache, when enabled. */
  readonly cache?: CachingStore;
  #registries: RegistryBases;
  #concurrency: number;

  /** Builds the stack. */
  constructor(options: EdgeStackOptions) {
    const registry = new RegistryStore({
      plainHttp: options.plainHttp,
      registryAuthEnv: options.registryAuthEnv,
      env: options.env ?? {},
      // Credential helpers spawn processes: never from a server.
      credentialHelpers: false,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: { maxElapsedMs: options.requestBudgetMs ?? 20_000 },
    });
    let remote: OciStore = registry;
    if (options.cache) {
      this.cache = new CachingStore(registry, options.cache);
      remote = this.cache;
    }
    this.store = new RoutingStore(remote, options.layout ?? NO_LAYOUTS);
    this.#registries = options.registries;
    this.#concurrency = options.concurrency ?? 6;
  }

  /** A client whose cache reports and background work go to `scope`. */
  clientFor(scope: RequestScope): KlausClient {
    return artifactClient({
      store: new ScopedStore(this.store, {
        onCacheStatus: scope.report,
        scheduler: scope.scheduler,
      }),
      concurrency: this.#concurrency,
      registries: this.#registries,
    });
  }

  /** Waits for background revalidations. */
  async close(): Promise<void> {
    await this.cache?.close();
  }
}

/**
 * The app's client operations over an artifact context.
 *
 * @example
 * ```ts
 * import { artifactClient } from "./scoped_client.ts";
 * console.log(typeof artifactClient);
 * ```
 */
export function artifactClient(ctx: ArtifactContext): KlausClient {
  return {
    listPlugins: (o) => listArtifacts(ctx, PLUGIN_KIND, o),
    listPersonalities: (o) => listArtifacts(ctx, PERSONALITY_KIND, o),
    listToolchains: (o) => listArtifacts(ctx, TOOLCHAIN_KIND, o),
    listPluginVersions: (r) => listVersions(ctx, PLUGIN_KIND, r),
    listPersonalityVersions: (r) => listVersions(ctx, PERSONALITY_KIND, r),
    listToolchainVersions: (r) => listVersions(ctx, TOOLCHAIN_KIND, r),
    resolvePluginRef: (r) =>
      resolveArtifactRef(ctx.store, r, ctx.registries.plugin),
    resolvePersonalityRef: (r) =>
      resolveArtifactRef(ctx.store, r, ctx.registries.personality),
    resolveToolchainRef: (r) =>
      resolveArtifactRef(ctx.store, r, ctx.registries.toolchain),
    describePlugin: (r) => describePlugin(ctx, r),
    describePersonality: (r) => describePersonality(ctx, r),
    describeToolchain: (r) => describeToolchain(ctx, r),
    resolvePersonalityDeps: (p) =>
      resolvePersonalityDeps(ctx, p as Personality),
  };
}
