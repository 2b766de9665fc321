/**
 * Media types of Klaus plugin and personality artifacts. Toolchains have
 * none: they are ordinary container images.
 *
 * @module
 */

/**
 * Media type of a plugin's config blob.
 *
 * @example
 * ```ts
 * import { MEDIA_TYPE_PLUGIN_CONFIG } from "@klaus/oci";
 * console.log(MEDIA_TYPE_PLUGIN_CONFIG);
 * ```
 */
export const MEDIA_TYPE_PLUGIN_CONFIG =
  "application/vnd.giantswarm.klaus-plugin.config.v1+json";

/**
 * Media type of a plugin's content layer (tar.gz of the source tree).
 *
 * @example
 * ```ts
 * import { MEDIA_TYPE_PLUGIN_CONTENT } from "@klaus/oci";
 * console.log(MEDIA_TYPE_PLUGIN_CONTENT);
 * ```
 */
export const MEDIA_TYPE_PLUGIN_CONTENT =
  "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip";

/**
 * Media type of a personality's config blob.
 *
 * @example
 * ```ts
 * import { MEDIA_TYPE_PERSONALITY_CONFIG } from "@klaus/oci";
 * console.log(MEDIA_TYPE_PERSONALITY_CONFIG);
 * ```
 */
export const MEDIA_TYPE_PERSONALITY_CONFIG =
  "application/vnd.giantswarm.klaus-personality.config.v1+json";

/**
 * Media type of a personality's content layer (tar.gz of the source tree).
 *
 * @example
 * ```ts
 * import { MEDIA_TYPE_PERSONALITY_CONTENT } from "@klaus/oci";
 * console.log(MEDIA_TYPE_PERSONALITY_CONTENT);
 * ```
 */
export const MEDIA_TYPE_PERSONALITY_CONTENT =
  "application/vnd.giantswarm.klaus-personality.content.v1.tar+gzip";
