/**
 * Klaus OCI artifacts — plugins, personalities and toolchains — on OCI
 * registries and OCI image layouts: describe, list, versions, resolve,
 * dependency resolution, pull and push, with a stale-while-revalidate
 * registry cache. A web-standard streaming core (fetch, Web Streams,
 * Compression/DecompressionStream) that runs on Deno, Bun, Node ≥ 20 and
 * Cloudflare Workers, wire-compatible with the Go module
 * `giantswarm/klaus-oci`.
 *
 * @example Push, describe, pull and list through an OCI image layout on disk
 * ```ts
 * import { Client, readPluginFromDir } from "@klaus/oci";
 *
 * // A plugin source directory, and an OCI image layout store beside it.
 * const tmp = await Deno.makeTempDir();
 * const source = `${tmp}/hello`;
 * await Deno.mkdir(`${source}/.claude-plugin`, { recursive: true });
 * await Deno.mkdir(`${source}/commands`);
 * await Deno.writeTextFile(`${source}/.claude-plugin/plugin.json`, '{"name": "hello"}');
 * await Deno.writeTextFile(`${source}/commands/greet.md`, "Say hello.\n");
 *
 * const client = new Client({ registries: { plugin: `ocidir://${tmp}/store` } });
 * const plugin = await readPluginFromDir(source);
 * await client.pushPlugin(source, `ocidir://${tmp}/store/hello:v1.0.0`, plugin);
 *
 * // Short names expand against the base; no tag means the highest semver tag.
 * const ref = await client.resolvePluginRef("hello");
 * const described = await client.describePlugin(ref);
 * console.log(described.tag, described.plugin.commands); // v1.0.0 [ "greet" ]
 *
 * const pulled = await client.pullPlugin(ref, `${tmp}/plugins/hello`);
 * console.log(pulled.cached); // false; true when the same digest is pulled again
 *
 * console.log(await client.listPlugins()); // [ { name: "hello", version: "v1.0.0", … } ]
 * await client.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 *
 * @example Describe, then pull, a plugin from the default registry
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

// The library contract only, every name listed: the worker, the CLI, the
// tests and the benchmarks import internal modules by their file paths.

// The client.
export { Client, type ClientOptions } from "./client.ts";
export type { OperationDeadlines } from "./_deadline.ts";
export type { ListOptions } from "./artifact/list.ts";
export type { PullOptions } from "./artifact/pull.ts";
export type { PushOptions } from "./artifact/push.ts";
export type { ArchiveLimits } from "./archive/limits.ts";
export type { RetryOptions } from "./registry/retry.ts";
export type { ProgressEvent } from "./oci/store.ts";

// Artifact types and results.
export type {
  ArtifactInfo,
  Author,
  CacheEntry,
  DescribedPersonality,
  DescribedPlugin,
  DescribedToolchain,
  KlausMetadata,
  ListEntry,
  Personality,
  Plugin,
  PluginComponents,
  PluginReference,
  PulledPersonality,
  PulledPlugin,
  PushedSignature,
  PushResult,
  ResolvedDependencies,
  Toolchain,
  ToolchainReference,
} from "./artifact/types.ts";
export type { ResolveDepsOptions } from "./artifact/deps.ts";

// Helpers and constants of the Go module.
export { readPluginFromDir } from "./artifact/read_plugin.ts";
export { readPersonalityFromDir } from "./artifact/read_personality.ts";
export {
  repositoryFromRef,
  shortName,
  splitNameTag,
  splitRegistryBase,
  truncateDigest,
} from "./ref/helpers.ts";
export { latestSemverTag } from "./ref/semver_tags.ts";
export {
  type CacheEntryInput,
  isCached,
  readCacheEntry,
  writeCacheEntry,
} from "./artifact/cache_entry.ts";
export {
  MEDIA_TYPE_PERSONALITY_CONFIG,
  MEDIA_TYPE_PERSONALITY_CONTENT,
  MEDIA_TYPE_PLUGIN_CONFIG,
  MEDIA_TYPE_PLUGIN_CONTENT,
} from "./artifact/media_types.ts";
export {
  ANNOTATION_AUTHOR_EMAIL,
  ANNOTATION_AUTHOR_NAME,
  ANNOTATION_AUTHOR_URL,
  ANNOTATION_DESCRIPTION,
  ANNOTATION_HOMEPAGE,
  ANNOTATION_KEYWORDS,
  ANNOTATION_LICENSE,
  ANNOTATION_NAME,
  ANNOTATION_REPOSITORY,
} from "./artifact/annotations.ts";
export {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
  toolchainRegistryRef,
} from "./ref/registries.ts";

// Errors.
export {
  DeniedError,
  DigestMismatchError,
  InvalidArtifactError,
  InvalidReferenceError,
  KlausOciError,
  type KlausOciErrorOptions,
  NotFoundError,
  RegistryError,
  SignatureError,
  type SignatureFailure,
  TooLargeError,
  UnauthorizedError,
  UnsafeArchiveError,
  UnsafeDestinationError,
  UnsafeUrlError,
  UnsupportedError,
} from "./errors.ts";
export { TimeoutError } from "./registry/timeout_error.ts";

// Signing (sigstore bundles as OCI referrers). From the files,
// not ./sign/mod.ts: the encrypted-key code (and its npm dependencies)
// loads only when an encrypted key is read.
export {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  type ImportKeyOptions,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyIdOf,
  type KeyInput,
} from "./sign/keys.ts";
export { MEDIA_TYPE_SIGSTORE_BUNDLE } from "./sign/bundle.ts";
export type {
  SignatureResult,
  VerificationPolicy,
  VerificationResult,
} from "./sign/verify_artifact.ts";
// Keyless signing (a Fulcio certificate, a Rekor entry).
export { DEFAULT_FULCIO_URL, SigningServiceError } from "./sign/fulcio.ts";
export { DEFAULT_REKOR_URL } from "./sign/rekor.ts";
export type { KeylessSignOptions } from "./sign/keyless_sign.ts";
export { cosignSignatureTag } from "./sign/cosign_legacy.ts";
// The sigstore trusted root through TUF (keyless verification without a
// trusted root of its own).
export {
  DEFAULT_TUF_MIRROR_URL,
  fetchTrustedRoot,
  TufError,
  type TufFailure,
  type TufOptions,
} from "./sign/tuf/mod.ts";

// The cache.
export {
  DEFAULT_CACHE_CATALOG_STALE_TTL_MS,
  DEFAULT_CACHE_FRESH_TTL_MS,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_STALE_TTL_MS,
} from "./cache/constants.ts";
export type { CacheOptions } from "./cache/options.ts";
export type {
  CacheCallOptions,
  CacheStatus,
  CacheStatusDetail,
} from "./cache/status.ts";
export type { BackgroundScheduler } from "./cache/scheduler.ts";
export type {
  CacheBackend as CacheStore,
  CachedContent,
  CatalogRecord,
  ContentWriter,
  IndexKind,
  IndexRecord,
  IndexRecordBase,
  IndexRecordOf,
  RefRecord,
  TagsRecord,
} from "./cache/backend.ts";
export type { Descriptor } from "./oci/descriptor.ts";
export {
  FsCacheBackend,
  type FsCacheBackendOptions,
} from "./cache/fs_backend.ts";
export {
  MemoryCacheBackend,
  type MemoryCacheBackendOptions,
} from "./cache/memory_backend.ts";
export {
  KvCacheBackend,
  type KvCacheBackendOptions,
  type KvNamespaceLike,
} from "./cache/kv_backend.ts";
