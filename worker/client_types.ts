/**
 * The part of the library's `Client` the edge app calls, as a structural
 * type: the app works with the real `Client` and stays testable without one.
 *
 * @module
 */

/** `{ref, tag, digest}` of a described artifact. */
export interface ArtifactInfo {
  /** The resolved reference. */
  ref: string;
  /** Tag part of `ref` (`""` for digest references). */
  tag: string;
  /** Manifest digest. */
  digest: string;
}

/** Author metadata. */
export interface Author {
  /** Name. */
  name?: string;
  /** E-mail address. */
  email?: string;
  /** Home page. */
  url?: string;
}

/** Metadata every kind shares. */
export interface ArtifactMeta {
  /** Artifact name. */
  name: string;
  /** Version (the tag). */
  version?: string;
  /** One-line description. */
  description?: string;
  /** Author. */
  author?: Author;
  /** Home page URL. */
  homepage?: string;
  /** Source repository URL. */
  repository?: string;
  /** SPDX license. */
  license?: string;
  /** Keywords. */
  keywords?: string[];
}

/** A plugin as described. */
export interface PluginMeta extends ArtifactMeta {
  /** Skill names. */
  skills?: string[];
  /** Command names. */
  commands?: string[];
  /** Agent names. */
  agents?: string[];
  /** Whether the plugin ships hooks. */
  hasHooks?: boolean;
  /** MCP server names. */
  mcpServers?: string[];
  /** LSP server names. */
  lspServers?: string[];
}

/** A dependency reference of a personality. */
export interface DependencyReference {
  /** Repository (full, or a short name). */
  repository: string;
  /** Tag. */
  tag?: string;
  /** Digest (wins over the tag). */
  digest?: string;
}

/** A personality as described. */
export interface PersonalityMeta extends ArtifactMeta {
  /** Toolchain image. */
  toolchain?: DependencyReference;
  /** Plugins. */
  plugins?: DependencyReference[];
}

/** `describePlugin` result. */
export interface DescribedPlugin extends ArtifactInfo {
  /** The plugin. */
  plugin: PluginMeta;
}

/** `describePersonality` result. */
export interface DescribedPersonality extends ArtifactInfo {
  /** The personality. */
  personality: PersonalityMeta;
}

/** `describeToolchain` result. */
export interface DescribedToolchain extends ArtifactInfo {
  /** The toolchain. */
  toolchain: ArtifactMeta;
}

/** One repository of a listing with its latest semver tag. */
export interface ListEntry {
  /** Short name. */
  name: string;
  /** Latest semver tag. */
  version: string;
  /** Full repository. */
  repository: string;
  /** `repository:version`. */
  reference: string;
}

/** `resolvePersonalityDeps` result. */
export interface ResolvedDependencies {
  /** The toolchain, when it resolved. */
  toolchain?: DescribedToolchain;
  /** The plugins that resolved, in the personality's order. */
  plugins: DescribedPlugin[];
  /** One line per dependency that failed. */
  warnings: string[];
}

/** Options of the list calls. */
export interface ListOptions {
  /** Registry base to list (instead of the client's). */
  registry?: string;
  /** Keeps only repositories for which it returns true. */
  filter?: (repository: string) => boolean;
}

/**
 * What the app needs from a `Client` (`src/client.ts`).
 */
export interface KlausClient {
  /** Lists plugins under a base. */
  listPlugins(o?: ListOptions): Promise<ListEntry[]>;
  /** Lists personalities under a base. */
  listPersonalities(o?: ListOptions): Promise<ListEntry[]>;
  /** Lists toolchains under a base. */
  listToolchains(o?: ListOptions): Promise<ListEntry[]>;
  /** Tags of a plugin repository. */
  listPluginVersions(nameOrRef: string): Promise<string[]>;
  /** Tags of a personality repository. */
  listPersonalityVersions(nameOrRef: string): Promise<string[]>;
  /** Tags of a toolchain repository. */
  listToolchainVersions(nameOrRef: string): Promise<string[]>;
  /** Resolves to `repo:tag` or `repo@digest`. */
  resolvePluginRef(ref: string): Promise<string>;
  /** Resolves to `repo:tag` or `repo@digest`. */
  resolvePersonalityRef(ref: string): Promise<string>;
  /** Resolves to `repo:tag` or `repo@digest`. */
  resolveToolchainRef(ref: string): Promise<string>;
  /** Describes a plugin. */
  describePlugin(ref: string): Promise<DescribedPlugin>;
  /** Describes a personality. */
  describePersonality(ref: string): Promise<DescribedPersonality>;
  /** Describes a toolchain. */
  describeToolchain(ref: string): Promise<DescribedToolchain>;
  /** Describes a personality's toolchain and plugins. */
  resolvePersonalityDeps(
    personality: PersonalityMeta,
  ): Promise<ResolvedDependencies>;
}
