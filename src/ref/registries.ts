/**
 * The Giant Swarm registry bases of the three artifact kinds.
 *
 * @module
 */

/**
 * Registry base of plugins.
 *
 * @example
 * ```ts
 * import { DEFAULT_PLUGIN_REGISTRY } from "@klaus/oci";
 * console.log(`${DEFAULT_PLUGIN_REGISTRY}/gs-base`);
 * ```
 */
export const DEFAULT_PLUGIN_REGISTRY =
  "gsoci.azurecr.io/giantswarm/klaus-plugins";

/**
 * Registry base of personalities.
 *
 * @example
 * ```ts
 * import { DEFAULT_PERSONALITY_REGISTRY } from "@klaus/oci";
 * console.log(`${DEFAULT_PERSONALITY_REGISTRY}/sre`);
 * ```
 */
export const DEFAULT_PERSONALITY_REGISTRY =
  "gsoci.azurecr.io/giantswarm/klaus-personalities";

/**
 * Registry base of toolchain images.
 *
 * @example
 * ```ts
 * import { DEFAULT_TOOLCHAIN_REGISTRY } from "@klaus/oci";
 * console.log(`${DEFAULT_TOOLCHAIN_REGISTRY}/go`);
 * ```
 */
export const DEFAULT_TOOLCHAIN_REGISTRY =
  "gsoci.azurecr.io/giantswarm/klaus-toolchains";

/**
 * The full repository of a toolchain image: `name` unchanged when it
 * already starts with {@linkcode DEFAULT_TOOLCHAIN_REGISTRY} (a plain string
 * prefix test, as in Go), else that base + `/` + `name`.
 *
 * @example
 * ```ts
 * import { toolchainRegistryRef } from "@klaus/oci";
 * console.log(toolchainRegistryRef("go")); // "gsoci.azurecr.io/giantswarm/klaus-toolchains/go"
 * ```
 */
export function toolchainRegistryRef(name: string): string {
  if (name.startsWith(DEFAULT_TOOLCHAIN_REGISTRY)) return name;
  return `${DEFAULT_TOOLCHAIN_REGISTRY}/${name}`;
}
