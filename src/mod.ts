/**
 * Klaus OCI artifacts — plugins, personalities and toolchains — on OCI
 * registries and OCI image layouts: describe, list, versions, resolve,
 * dependency resolution, pull and push, with a stale-while-revalidate
 * registry cache. A web-standard streaming core (fetch, Web Streams,
 * Compression/DecompressionStream) that runs on Deno, Bun, Node ≥ 20 and
 * Cloudflare Workers, wire-compatible with the Go module
 * `giantswarm/klaus-oci`.
 *
 * @example Describe, then pull, a plugin
 * ```ts ignore
 * import { Client } from "@klaus/oci";
 *
 * const client = new Client({ cache: { dir: "/tmp/klaus-oci" } });
 * const ref = await client.resolvePluginRef("base");
 * const described = await client.describePlugin(ref);
 * console.log(described.plugin.name, described.tag, described.digest);
 * const pulled = await client.pullPlugin(ref, "./plugins/base");
 * console.log(pulled.cached ? "up-to-date" : "pulled");
 * await client.close();
 * ```
 *
 * @module
 */

// The facade.
export { Client, type ClientOptions, DEFAULT_CONCURRENCY } from "./client.ts";
export { DEFAULT_DEADLINES, type OperationDeadlines } from "./_deadline.ts";
export type { ListOptions } from "./artifact/list.ts";
export type { PullOptions } from "./artifact/pull.ts";
export type { PushOptions } from "./artifact/push.ts";

// Errors.
export * from "./errors.ts";

// Domain types, constants, wire format and source readers.
export * from "./artifact/mod.ts";

// Reference grammar, Go-compatible helpers, semver.
export * from "./ref/mod.ts";

// OCI primitives and the store interface.
export type { Descriptor, ImageManifest } from "./oci/descriptor.ts";
export {
  type DigestAlgorithm,
  digestAlgorithm,
  Digester,
  digestOf,
  isValidDigest,
  verifyBytes,
  verifyingStream,
} from "./oci/digest.ts";
export {
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "./oci/media_types.ts";
export type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  ProgressEvent,
  PushBlobOptions,
  RepositoryRef,
  Resolved,
  ResolveOptions,
  TagList,
  TransferOptions,
} from "./oci/store.ts";
export { RoutingStore } from "./oci/routing_store.ts";
export { CallOptionsStore } from "./oci/call_options_store.ts";

// Stores: registry client, image layouts, cache.
export {
  type ListLimits,
  type PushStreamOptions,
  RegistryStore,
  type RegistryStoreOptions,
} from "./registry/registry_store.ts";
export {
  type CredentialOptions,
  type CredentialProvider,
  resolveCredential,
} from "./registry/credentials.ts";
export type {
  BasicCredential,
  Credential,
  RefreshTokenCredential,
} from "./registry/docker_config.ts";
export { type RetryOptions } from "./registry/retry.ts";
export { TimeoutError } from "./registry/timeout_error.ts";
export { TokenCache, type TokenCacheOptions } from "./registry/token_cache.ts";
export * from "./layout/mod.ts";
export * from "./cache/mod.ts";

// Archives.
export {
  type ArchiveLimits,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  type ExtractOptions,
  type ExtractResult,
  extractTarGz,
  extractToDirectory,
  type ExtractToDirectoryOptions,
  listTarGz,
  packDirectory,
  type PackedDigest,
  type PackedDirectory,
  type PackEntry,
  type PackOptions,
  type SkippedEntry,
  type TarEntryInfo,
  type TarEntryType,
} from "./archive/mod.ts";

/**
 * The cache backend interface under the name DESIGN §4 and the Go module
 * use (`CacheStore`); the same type as {@linkcode CacheBackend}.
 */
export type { CacheBackend as CacheStore } from "./cache/backend.ts";
