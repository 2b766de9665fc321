import {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
} from "../ref/registries.ts";
import {
  MEDIA_TYPE_PERSONALITY_CONFIG,
  MEDIA_TYPE_PERSONALITY_CONTENT,
  MEDIA_TYPE_PLUGIN_CONFIG,
  MEDIA_TYPE_PLUGIN_CONTENT,
} from "./media_types.ts";

/** The three kinds of Klaus artifacts. */
export type ArtifactKindName = "plugin" | "personality" | "toolchain";

/**
 * What differs between the kinds: where short names live and which media
 * types their manifests use (toolchains are ordinary images: none).
 */
export interface ArtifactKind {
  /** `plugin`, `personality` or `toolchain` (used in error messages). */
  name: ArtifactKindName;
  /** Registry base short names expand against. */
  defaultRegistry: string;
  /** Config blob media type (plugins and personalities). */
  configMediaType?: string;
  /** Content layer media type (plugins and personalities). */
  contentMediaType?: string;
}

/** Plugins: config + tar.gz layer under the plugin registry base. */
export const PLUGIN_KIND: ArtifactKind = {
  name: "plugin",
  defaultRegistry: DEFAULT_PLUGIN_REGISTRY,
  configMediaType: MEDIA_TYPE_PLUGIN_CONFIG,
  contentMediaType: MEDIA_TYPE_PLUGIN_CONTENT,
};

/** Personalities: config + tar.gz layer under the personality base. */
export const PERSONALITY_KIND: ArtifactKind = {
  name: "personality",
  defaultRegistry: DEFAULT_PERSONALITY_REGISTRY,
  configMediaType: MEDIA_TYPE_PERSONALITY_CONFIG,
  contentMediaType: MEDIA_TYPE_PERSONALITY_CONTENT,
};

/** Toolchains: container images described by their annotations. */
export const TOOLCHAIN_KIND: ArtifactKind = {
  name: "toolchain",
  defaultRegistry: DEFAULT_TOOLCHAIN_REGISTRY,
};
