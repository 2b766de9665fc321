/**
 * Assembling described and pulled artifacts from their parts: metadata from
 * the manifest annotations, kind-specific fields from the config blob, the
 * version from the tag.
 *
 * @module
 */
import { metadataFromAnnotations } from "./annotations.ts";
import {
  decodePersonalityConfig,
  decodePluginConfig,
  type PersonalityComposition,
} from "./config_blob.ts";
import type {
  Personality,
  Plugin,
  PluginComponents,
  Toolchain,
} from "./types.ts";

/**
 * A plugin from its manifest annotations and config blob bytes, with
 * `version` set to `tag`. No config (a cache entry without one) gives no
 * components; a config that is not a valid plugin blob throws
 * {@linkcode InvalidArtifactError} (callers prefix `parsing plugin config…`).
 */
export function pluginFromParts(
  annotations: Readonly<Record<string, string>> | undefined,
  config: Uint8Array | string | undefined,
  tag: string,
): Plugin {
  const components: PluginComponents = config === undefined
    ? {}
    : decodePluginConfig(config);
  const { name, ...meta } = metadataFromAnnotations(annotations);
  return { name, version: tag, ...meta, ...components };
}

/**
 * A personality from its manifest annotations and config blob bytes, with
 * `version` set to `tag` (see {@linkcode pluginFromParts}).
 */
export function personalityFromParts(
  annotations: Readonly<Record<string, string>> | undefined,
  config: Uint8Array | string | undefined,
  tag: string,
): Personality {
  const composition: PersonalityComposition = config === undefined
    ? {}
    : decodePersonalityConfig(config);
  const { name, ...meta } = metadataFromAnnotations(annotations);
  return { name, version: tag, ...meta, ...composition };
}

/**
 * A toolchain from the annotations of its manifest or image index, with
 * `version` set to `tag` when one is given. Any annotation outside the Klaus
 * keys (such as `org.opencontainers.image.version`) is ignored.
 */
export function toolchainFromAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  tag?: string,
): Toolchain {
  const { name, ...meta } = metadataFromAnnotations(annotations);
  return tag === undefined
    ? { name, ...meta }
    : { name, version: tag, ...meta };
}
