/**
 * The Klaus domain types, as plain JSON-serialisable data. Field names are
 * the Go module's JSON names (`repository` for the source repository,
 * `hasHooks`, `mcpServers`, …); optional fields are absent rather than
 * empty, as Go's `omitempty` leaves them out. `version` always comes from the
 * OCI tag: it is filled in by describe and pull and never stored in a blob
 * or an annotation.
 *
 * @module
 */
import type { SignatureResult } from "../sign/verify_artifact.ts";

/**
 * The author of an artifact.
 *
 * @example
 * ```ts
 * import type { Author } from "@klaus/oci";
 * const a: Author = { name: "Giant Swarm GmbH", email: "planeteers@giantswarm.io" };
 * console.log(a.name);
 * ```
 */
export interface Author {
  /** Name. */
  name?: string;
  /** E-mail address. */
  email?: string;
  /** Web address. */
  url?: string;
}

/**
 * Metadata every kind of artifact carries in `io.giantswarm.klaus.*`
 * manifest annotations.
 *
 * @example
 * ```ts
 * import type { KlausMetadata } from "@klaus/oci";
 * const m: KlausMetadata = { name: "base", keywords: ["giantswarm", "klaus"] };
 * console.log(m.name);
 * ```
 */
export interface KlausMetadata {
  /** Artifact name (`""` when unknown). */
  name: string;
  /** One-line description. */
  description?: string;
  /** Author. */
  author?: Author;
  /** Home page. */
  homepage?: string;
  /** Source repository (Go `SourceRepo`, JSON `repository`). */
  repository?: string;
  /** SPDX licence identifier. */
  license?: string;
  /** Keywords. */
  keywords?: string[];
}

/**
 * The components discovered in a plugin's source tree: what its config blob
 * stores.
 *
 * @example
 * ```ts
 * import type { PluginComponents } from "@klaus/oci";
 * const c: PluginComponents = { commands: ["hello"] };
 * console.log(c.commands);
 * ```
 */
export interface PluginComponents {
  /** Directories under `skills/` holding a `SKILL.md`. */
  skills?: string[];
  /** `commands/*.md` without the extension. */
  commands?: string[];
  /** `agents/*.md` without the extension. */
  agents?: string[];
  /** True when the plugin ships hooks. */
  hasHooks?: boolean;
  /** Server names of `.mcp.json`. */
  mcpServers?: string[];
  /** Server names of `.lsp.json`. */
  lspServers?: string[];
}

/**
 * A Klaus plugin: metadata plus discovered components.
 *
 * @example
 * ```ts
 * import type { Plugin } from "@klaus/oci";
 * const p: Plugin = { name: "commit-commands", commands: ["commit", "push", "pr"] };
 * console.log(p.commands?.length);
 * ```
 */
export interface Plugin extends KlausMetadata, PluginComponents {
  /** The OCI tag it was described or pulled from (`""` for a digest reference). */
  version?: string;
}

/**
 * Points to a plugin artifact.
 *
 * @example
 * ```ts
 * import type { PluginReference } from "@klaus/oci";
 * const r: PluginReference = { repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base", tag: "v0.1.0" };
 * console.log(r.tag);
 * ```
 */
export interface PluginReference {
  /** Full repository (`host/path`). */
  repository: string;
  /** Tag. */
  tag?: string;
  /** Manifest digest; wins over the tag. */
  digest?: string;
}

/**
 * Points to a toolchain image (same shape as {@linkcode PluginReference}).
 *
 * @example
 * ```ts
 * import type { ToolchainReference } from "@klaus/oci";
 * const r: ToolchainReference = { repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go", tag: "0.1.14" };
 * console.log(r.repository);
 * ```
 */
export interface ToolchainReference {
  /** Full repository (`host/path`). */
  repository: string;
  /** Tag. */
  tag?: string;
  /** Manifest digest; wins over the tag. */
  digest?: string;
}

/**
 * A Klaus personality: metadata plus composition (toolchain and plugins).
 * `toolchain` is absent when the personality names none.
 *
 * @example
 * ```ts
 * import type { Personality } from "@klaus/oci";
 * const p: Personality = {
 *   name: "sre",
 *   toolchain: { repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go", tag: "0.1.14" },
 * };
 * console.log(p.toolchain?.tag);
 * ```
 */
export interface Personality extends KlausMetadata {
  /** The OCI tag it was described or pulled from (`""` for a digest reference). */
  version?: string;
  /** The container image providing the runtime. */
  toolchain?: ToolchainReference;
  /** The plugins it is composed of. */
  plugins?: PluginReference[];
}

/**
 * A Klaus toolchain (a container image described by its annotations).
 *
 * @example
 * ```ts
 * import type { Toolchain } from "@klaus/oci";
 * const t: Toolchain = { name: "go", version: "0.1.14" };
 * console.log(t.version);
 * ```
 */
export interface Toolchain extends KlausMetadata {
  /** The OCI tag it was described from (`""` for a digest reference). */
  version?: string;
}

/**
 * What every registry operation reports about the artifact it touched.
 *
 * @example
 * ```ts
 * import type { ArtifactInfo } from "@klaus/oci";
 * const i: ArtifactInfo = { ref: "example.com/plugins/base:v1.0.0", tag: "v1.0.0", digest: "sha256:…" };
 * console.log(i.tag);
 * ```
 */
export interface ArtifactInfo {
  /** The fully qualified reference operated on. */
  ref: string;
  /** Its tag (`""` for a digest reference). */
  tag: string;
  /** The manifest digest. */
  digest: string;
  /**
   * The signatures checked under a verification policy (absent when no
   * policy applied): who signed (`keyId`, or `identity` and `issuer`),
   * whether it verified, the transparency log index.
   */
  signatures?: SignatureResult[];
}

/**
 * A described plugin.
 *
 * @example
 * ```ts
 * import type { DescribedPlugin } from "@klaus/oci";
 * const d: DescribedPlugin = { ref: "r:v1", tag: "v1", digest: "sha256:…", plugin: { name: "base", version: "v1" } };
 * console.log(d.plugin.name);
 * ```
 */
export interface DescribedPlugin extends ArtifactInfo {
  /** The plugin. */
  plugin: Plugin;
}

/**
 * A described personality (its SOUL.md needs a pull).
 *
 * @example
 * ```ts
 * import type { DescribedPersonality } from "@klaus/oci";
 * const d: DescribedPersonality = { ref: "r:v1", tag: "v1", digest: "sha256:…", personality: { name: "sre" } };
 * console.log(d.personality.name);
 * ```
 */
export interface DescribedPersonality extends ArtifactInfo {
  /** The personality. */
  personality: Personality;
}

/**
 * A described toolchain.
 *
 * @example
 * ```ts
 * import type { DescribedToolchain } from "@klaus/oci";
 * const d: DescribedToolchain = { ref: "r:1.0.0", tag: "1.0.0", digest: "sha256:…", toolchain: { name: "go" } };
 * console.log(d.toolchain.name);
 * ```
 */
export interface DescribedToolchain extends ArtifactInfo {
  /** The toolchain. */
  toolchain: Toolchain;
}

/**
 * A plugin pulled to disk.
 *
 * @example
 * ```ts
 * import type { PulledPlugin } from "@klaus/oci";
 * const p: PulledPlugin = { ref: "r:v1", tag: "v1", digest: "sha256:…", plugin: { name: "base" }, dir: "./base", cached: false };
 * console.log(p.dir);
 * ```
 */
export interface PulledPlugin extends ArtifactInfo {
  /** The plugin. */
  plugin: Plugin;
  /** The directory it was extracted into. */
  dir: string;
  /** True when the directory already held this digest and nothing was downloaded. */
  cached: boolean;
}

/**
 * A personality pulled to disk, with its SOUL.md text.
 *
 * @example
 * ```ts
 * import type { PulledPersonality } from "@klaus/oci";
 * const p: PulledPersonality = { ref: "r:v1", tag: "v1", digest: "sha256:…", personality: { name: "sre" }, soul: "# SRE", dir: "./sre", cached: true };
 * console.log(p.soul);
 * ```
 */
export interface PulledPersonality extends ArtifactInfo {
  /** The personality. */
  personality: Personality;
  /** Contents of `SOUL.md` (`""` when there is none). */
  soul: string;
  /** The directory it was extracted into. */
  dir: string;
  /** True when the directory already held this digest and nothing was downloaded. */
  cached: boolean;
}

/**
 * One artifact found by a list operation.
 *
 * @example
 * ```ts
 * import type { ListEntry } from "@klaus/oci";
 * const e: ListEntry = { name: "sre", version: "v0.2.0", repository: "example.com/p/sre", reference: "example.com/p/sre:v0.2.0" };
 * console.log(e.reference);
 * ```
 */
export interface ListEntry {
  /** Short name (last path segment). */
  name: string;
  /** Highest semver tag. */
  version: string;
  /** Full repository (`host/path`). */
  repository: string;
  /** `repository:version`. */
  reference: string;
}

/**
 * A personality's dependencies, described. Failures are warnings, never
 * errors.
 *
 * @example
 * ```ts
 * import type { ResolvedDependencies } from "@klaus/oci";
 * const d: ResolvedDependencies = { plugins: [], warnings: ["plugin x:v1: not found"] };
 * console.log(d.warnings.length);
 * ```
 */
export interface ResolvedDependencies {
  /** The toolchain, when it names one and it could be described. */
  toolchain?: DescribedToolchain;
  /** The plugins that could be described, in the personality's order. */
  plugins: DescribedPlugin[];
  /** One message per dependency that could not be described. */
  warnings: string[];
}

/**
 * What a signed push signed: the key's id (key-based), or the certified
 * identity, its OIDC issuer and the transparency log index (keyless); and
 * the digest of the referrer manifest carrying the sigstore bundle.
 *
 * @example
 * ```ts
 * import type { PushedSignature } from "@klaus/oci";
 * const s: PushedSignature = { keyId: "3f2a…", referrer: "sha256:…" };
 * console.log(s.identity ?? s.keyId);
 * ```
 */
export interface PushedSignature {
  /** Key-based: the key id (sha256 of the public key's SPKI DER, hex). */
  keyId?: string;
  /** Keyless: the certified identity (SAN email or URI). */
  identity?: string;
  /** Keyless: the OIDC issuer. */
  issuer?: string;
  /** Keyless: the entry's index in the transparency log. */
  tlogIndex?: number;
  /** Digest of the referrer manifest carrying the bundle. */
  referrer: string;
}

/**
 * The outcome of a push.
 *
 * @example
 * ```ts
 * import type { PushResult } from "@klaus/oci";
 * const r: PushResult = { digest: "sha256:…" };
 * console.log(r.digest);
 * ```
 */
export interface PushResult {
  /** Digest of the pushed manifest. */
  digest: string;
  /** What was signed, when the push signed (`signKey` or `sign`). */
  signature?: PushedSignature;
}

/**
 * The `.oci-cache.json` file a pull leaves in its destination directory.
 *
 * @example
 * ```ts
 * import type { CacheEntry } from "@klaus/oci";
 * const e: CacheEntry = { digest: "sha256:…", ref: "r:v1", pulledAt: "2026-04-20T20:01:00.123+02:00" };
 * console.log(e.pulledAt);
 * ```
 */
export interface CacheEntry {
  /** Manifest digest of the extracted artifact. */
  digest: string;
  /** The reference that was pulled. */
  ref: string;
  /** When it was pulled: RFC 3339 with the local offset, as Go writes `time.Time`. */
  pulledAt: string;
  /** The config blob, as a parsed JSON value. */
  configJSON?: unknown;
  /** The manifest annotations. */
  annotations?: Record<string, string>;
}

/**
 * The reference string of a plugin or toolchain reference, as Go's `Ref()`:
 * `repository@digest` when there is a digest (it wins over the tag), else
 * `repository:tag`, else the bare repository. Nothing is validated.
 */
export function referenceString(
  ref: PluginReference | ToolchainReference,
): string {
  if (ref.digest) return `${ref.repository}@${ref.digest}`;
  if (ref.tag) return `${ref.repository}:${ref.tag}`;
  return ref.repository;
}
