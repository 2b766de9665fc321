import { budgetOf, withContextDeadline } from "../_deadline.ts";
import { wrapError } from "../errors.ts";
import { parseReference } from "../ref/reference.ts";
import type { Reference } from "../ref/reference_type.ts";
import type { ArtifactContext } from "./context.ts";
import { fetchArtifactManifest, readSmallBlob } from "./fetch_parts.ts";
import type { ArtifactKind } from "./kind.ts";
import { PERSONALITY_KIND, PLUGIN_KIND, TOOLCHAIN_KIND } from "./kind.ts";
import {
  personalityFromParts,
  pluginFromParts,
  toolchainFromAnnotations,
} from "./describe_parse.ts";
import { resolveArtifactRef } from "./resolve_ref.ts";
import type {
  ArtifactInfo,
  DescribedPersonality,
  DescribedPlugin,
  DescribedToolchain,
} from "./types.ts";

interface Fetched {
  info: ArtifactInfo;
  ref: Reference;
  annotations: Record<string, string>;
  config?: Uint8Array;
}

/**
 * Resolves `ref` against the kind's base and fetches its manifest (one GET,
 * verified against its digest, checked to be an artifact manifest) and,
 * for kinds with a config, its config blob (one GET): two requests for an
 * explicit tag, none from a warm cache. All of it within the `describe`
 * deadline of the context.
 */
function fetchDescribed(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  ref: string,
): Promise<Fetched> {
  return withContextDeadline(
    ctx,
    `describing ${kind.name} "${ref}"`,
    budgetOf(ctx.deadlines, "describe"),
    (c) => fetchParts(c, kind, ref),
  );
}

async function fetchParts(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  ref: string,
): Promise<Fetched> {
  let resolved: string;
  try {
    resolved = await resolveArtifactRef(
      ctx.store,
      ref,
      ctx.registries[kind.name],
    );
  } catch (e) {
    throw wrapError(`resolving ${kind.name} ref "${ref}"`, e);
  }
  let parsed: Reference;
  try {
    parsed = parseReference(resolved);
  } catch (e) {
    throw wrapError(`resolving ${resolved}`, e);
  }
  const { descriptor, manifest } = await fetchArtifactManifest(
    ctx.store,
    parsed,
    resolved,
    { kind },
  );
  let config: Uint8Array | undefined;
  if (kind.configMediaType !== undefined && manifest.config) {
    try {
      config = await readSmallBlob(ctx.store, parsed, manifest.config);
    } catch (e) {
      throw wrapError(`fetching config for ${resolved}`, e);
    }
  }
  return {
    info: {
      ref: resolved,
      // Digest references have no tag (Go puts the digest there on describe
      // and the bare hex on pull; README, "Differences from klaus-oci (Go)").
      tag: parsed.digest !== undefined ? "" : parsed.tag ?? "",
      digest: descriptor.digest,
    },
    ref: parsed,
    annotations: manifest.annotations ?? {},
    config,
  };
}

/** Describes a plugin: metadata from annotations, components from config. */
export async function describePlugin(
  ctx: ArtifactContext,
  ref: string,
): Promise<DescribedPlugin> {
  const f = await fetchDescribed(ctx, PLUGIN_KIND, ref);
  try {
    return {
      ...f.info,
      plugin: pluginFromParts(f.annotations, f.config, f.info.tag),
    };
  } catch (e) {
    throw wrapError(`parsing plugin config for ${f.info.ref}`, e);
  }
}

/** Describes a personality: metadata from annotations, deps from config. */
export async function describePersonality(
  ctx: ArtifactContext,
  ref: string,
): Promise<DescribedPersonality> {
  const f = await fetchDescribed(ctx, PERSONALITY_KIND, ref);
  try {
    return {
      ...f.info,
      personality: personalityFromParts(f.annotations, f.config, f.info.tag),
    };
  } catch (e) {
    throw wrapError(`parsing personality config for ${f.info.ref}`, e);
  }
}

/** Describes a toolchain from the annotations of its manifest or index. */
export async function describeToolchain(
  ctx: ArtifactContext,
  ref: string,
): Promise<DescribedToolchain> {
  const f = await fetchDescribed(ctx, TOOLCHAIN_KIND, ref);
  return {
    ...f.info,
    toolchain: toolchainFromAnnotations(f.annotations, f.info.tag),
  };
}
