/**
 * The Klaus domain: artifact types, media types, annotations, config blobs,
 * manifests, source readers and the per-destination cache entry.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
 *
 * @module
 */
export * from "./types.ts";
export * from "./media_types.ts";
export * from "./annotations.ts";
export {
  decodePersonalityConfig,
  decodePluginConfig,
  encodePersonalityConfig,
  encodePluginConfig,
  type PersonalityComposition,
} from "./config_blob.ts";
export { buildManifest, parseManifest } from "./manifest.ts";
export { parsePluginManifest, readPluginFromDir } from "./read_plugin.ts";
export {
  parsePersonalityYaml,
  readPersonalityFromDir,
} from "./read_personality.ts";
export { readSoul } from "./read_soul.ts";
export {
  personalityFromParts,
  pluginFromParts,
  toolchainFromAnnotations,
} from "./describe_parse.ts";
export {
  CACHE_FILE_NAME,
  type CacheEntryInput,
  isCached,
  readCacheEntry,
  writeCacheEntry,
} from "./cache_entry.ts";
