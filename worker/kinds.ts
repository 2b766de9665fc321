/**
 * The three artifact kinds as the HTTP API names them, and which client
 * call serves each operation of each kind.
 *
 * @module
 */
import type {
  ArtifactInfo,
  ListEntry,
  Personality,
  Plugin,
  Toolchain,
} from "../src/artifact/types.ts";
import type { Client } from "../src/client.ts";
import type { ArtifactKindName } from "../src/artifact/kind.ts";

/** Singular kind name, as the library and registry bases use it. */
export type KindName = ArtifactKindName;

/** Plural path segment of the API (`/v1/plugins`). */
export type KindPath = "plugins" | "personalities" | "toolchains";

/** Registry base per kind (`host/prefix` or `ocidir://<root>`). */
export type RegistryBases = Record<KindName, string>;

/** The kind-specific object of a described artifact. */
export type ArtifactMeta = Plugin | Personality | Toolchain;

/** A described artifact of any kind, with its metadata under `meta`. */
export interface DescribedAny extends ArtifactInfo {
  /** The kind-specific object (`plugin`, `personality` or `toolchain`). */
  [key: string]: unknown;
}

/** What differs between the kinds at the HTTP layer. */
export interface Kind {
  /** Singular name. */
  name: KindName;
  /** Plural path segment. */
  path: KindPath;
  /** Heading on the catalog page. */
  title: string;
  /** Lists every repository under `base`. */
  list(client: Client, base: string): Promise<ListEntry[]>;
  /** Tags of a repository. */
  versions(client: Client, repository: string): Promise<string[]>;
  /** Resolves a reference to `repo:tag` / `repo@digest`. */
  resolve(client: Client, ref: string): Promise<string>;
  /** Describes a reference. */
  describe(client: Client, ref: string): Promise<DescribedAny>;
  /** The kind-specific object of a described artifact. */
  meta(described: DescribedAny): ArtifactMeta;
}

/** Plugins. */
export const PLUGINS: Kind = {
  name: "plugin",
  path: "plugins",
  title: "Plugins",
  list: (c, base) => c.listPlugins({ registry: base }),
  versions: (c, repo) => c.listPluginVersions(repo),
  resolve: (c, ref) => c.resolvePluginRef(ref),
  describe: async (c, ref) =>
    (await c.describePlugin(ref)) as unknown as DescribedAny,
  meta: (d) => d.plugin as ArtifactMeta,
};

/** Personalities. */
export const PERSONALITIES: Kind = {
  name: "personality",
  path: "personalities",
  title: "Personalities",
  list: (c, base) => c.listPersonalities({ registry: base }),
  versions: (c, repo) => c.listPersonalityVersions(repo),
  resolve: (c, ref) => c.resolvePersonalityRef(ref),
  describe: async (c, ref) =>
    (await c.describePersonality(ref)) as unknown as DescribedAny,
  meta: (d) => d.personality as ArtifactMeta,
};

/** Toolchains. */
export const TOOLCHAINS: Kind = {
  name: "toolchain",
  path: "toolchains",
  title: "Toolchains",
  list: (c, base) => c.listToolchains({ registry: base }),
  versions: (c, repo) => c.listToolchainVersions(repo),
  resolve: (c, ref) => c.resolveToolchainRef(ref),
  describe: async (c, ref) =>
    (await c.describeToolchain(ref)) as unknown as DescribedAny,
  meta: (d) => d.toolchain as ArtifactMeta,
};

/** The kinds in catalog order. */
export const KINDS: readonly Kind[] = [PLUGINS, PERSONALITIES, TOOLCHAINS];

/**
 * The full reference for a short `name` under `base`, pinned to `version`
 * (a tag or a digest) when given. `name` and `version` must be validated.
 *
 * @example
 * ```ts
 * import { refFor } from "./kinds.ts";
 * console.log(refFor("localhost:5000/plugins", "base", "v1")); // localhost:5000/plugins/base:v1
 * ```
 */
export function refFor(base: string, name: string, version?: string): string {
  const repo = `${base}/${name}`;
  if (!version) return repo;
  return version.includes(":") ? `${repo}@${version}` : `${repo}:${version}`;
}
