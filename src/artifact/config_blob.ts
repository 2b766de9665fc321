/**
 * Config blobs of plugins and personalities. They hold only what is specific
 * to the kind (a plugin's components, a personality's composition); metadata
 * lives in annotations and the version in the tag. The bytes are exactly
 * what Go's `json.Marshal` writes for the Go module's private blob structs,
 * so the same source pushed by either implementation has the same digest.
 *
 * @module
 */
import { type GoJsonValue, goMarshal } from "./go_json.ts";
import {
  decodeBool,
  type DecodePath,
  decodeSlice,
  decodeString,
  decodeStringSlice,
  decodeStruct,
  type FieldDecoders,
  parseGoJson,
} from "./go_json_parse.ts";
import type {
  Personality,
  PluginComponents,
  PluginReference,
  ToolchainReference,
} from "./types.ts";

/** A personality's composition: what its config blob stores. */
export type PersonalityComposition = Pick<Personality, "toolchain" | "plugins">;

const encoder = new TextEncoder();

function nonEmpty(list: readonly string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? [...list] : undefined;
}

function referenceValue(
  ref: PluginReference | ToolchainReference | undefined,
): GoJsonValue {
  // Go's `repository` has no omitempty, so it is written even when empty.
  return {
    repository: ref?.repository ?? "",
    tag: ref?.tag || undefined,
    digest: ref?.digest || undefined,
  };
}

/**
 * The plugin config blob: keys `skills`, `commands`, `agents`, `hasHooks`,
 * `mcpServers`, `lspServers` in that order, each only when non-empty; `{}`
 * when there are none. Metadata and version are never included.
 */
export function encodePluginConfig(plugin: PluginComponents): Uint8Array {
  return encoder.encode(goMarshal({
    skills: nonEmpty(plugin.skills),
    commands: nonEmpty(plugin.commands),
    agents: nonEmpty(plugin.agents),
    hasHooks: plugin.hasHooks ? true : undefined,
    mcpServers: nonEmpty(plugin.mcpServers),
    lspServers: nonEmpty(plugin.lspServers),
  }));
}

/**
 * The personality config blob: `toolchain` always (Go never omits a struct;
 * `{"repository":""}` when there is none), `plugins` only when non-empty.
 */
export function encodePersonalityConfig(
  personality: PersonalityComposition,
): Uint8Array {
  const plugins = personality.plugins ?? [];
  return encoder.encode(goMarshal({
    toolchain: referenceValue(personality.toolchain),
    plugins: plugins.length > 0 ? plugins.map(referenceValue) : undefined,
  }));
}

const REFERENCE_FIELDS: FieldDecoders<PluginReference> = {
  repository: decodeString,
  tag: decodeString,
  digest: decodeString,
};

/** Drops empty optional fields, as the TypeScript types leave them absent. */
function cleanReference<T extends PluginReference | ToolchainReference>(
  ref: T | undefined,
): T {
  const out = { repository: ref?.repository ?? "" } as T;
  if (ref?.tag) out.tag = ref.tag;
  if (ref?.digest) out.digest = ref.digest;
  return out;
}

/**
 * Decodes a plugin config blob with Go's rules: keys match
 * case-insensitively, unknown keys are ignored, `null` is allowed (also for
 * the whole blob), invalid JSON and wrongly typed values are errors
 * ({@linkcode InvalidArtifactError}).
 */
export function decodePluginConfig(
  bytes: Uint8Array | string,
): PluginComponents {
  const path: DecodePath = { struct: "pluginConfigBlob", field: "" };
  const decoded = decodeStruct<PluginComponents>(
    parseGoJson(bytes),
    {},
    path,
    "oci.pluginConfigBlob",
    {
      skills: decodeStringSlice,
      commands: decodeStringSlice,
      agents: decodeStringSlice,
      hasHooks: decodeBool,
      mcpServers: decodeStringSlice,
      lspServers: decodeStringSlice,
    },
  ) ?? {};
  if (!decoded.hasHooks) delete decoded.hasHooks;
  return decoded;
}

/**
 * Decodes a personality config blob with Go's rules (see
 * {@linkcode decodePluginConfig}). An empty toolchain reference decodes to
 * no `toolchain`.
 */
export function decodePersonalityConfig(
  bytes: Uint8Array | string,
): PersonalityComposition {
  const path: DecodePath = { struct: "personalityConfigBlob", field: "" };
  const decoded = decodeStruct<PersonalityComposition>(
    parseGoJson(bytes),
    {},
    path,
    "oci.personalityConfigBlob",
    {
      toolchain: (node, prev, p) =>
        decodeStruct(node, prev, p, "oci.ToolchainReference", REFERENCE_FIELDS),
      plugins: (node, prev, p) =>
        decodeSlice(
          node,
          prev,
          p,
          "[]oci.PluginReference",
          (item, prevItem, ip) =>
            decodeStruct(
              item,
              prevItem,
              ip,
              "oci.PluginReference",
              REFERENCE_FIELDS,
            ) ??
              { repository: "" },
        ),
    },
  ) ?? {};
  const out: PersonalityComposition = {};
  const t = decoded.toolchain;
  if (t && (t.repository || t.tag || t.digest)) {
    out.toolchain = cleanReference(t);
  }
  if (decoded.plugins) out.plugins = decoded.plugins.map(cleanReference);
  return out;
}
