import { wrapError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../oci/media_types.ts";
import type { BlobSource, RepositoryRef } from "../oci/store.ts";
import { packDirectory } from "../archive/mod.ts";
import { buildKlausAnnotations } from "./annotations.ts";
import { encodePersonalityConfig, encodePluginConfig } from "./config_blob.ts";
import type { ArtifactContext } from "./context.ts";
import { parsePinnedRef } from "./resolve_ref.ts";
import { type ArtifactKind, PERSONALITY_KIND, PLUGIN_KIND } from "./kind.ts";
import { buildManifest } from "./manifest.ts";
import { spoolLayer } from "./spool.ts";
import type { Personality, Plugin, PushResult } from "./types.ts";

/**
 * Options of `pushPlugin` / `pushPersonality`.
 *
 * @example
 * ```ts
 * import type { PushOptions } from "@klaus/oci";
 * const o: PushOptions = { signal: AbortSignal.timeout(60_000) };
 * console.log(o.signal !== undefined);
 * ```
 */
export interface PushOptions {
  /** Aborts the push. */
  signal?: AbortSignal;
}

async function pushBlobIfMissing(
  ctx: ArtifactContext,
  repo: RepositoryRef,
  descriptor: Descriptor,
  source: BlobSource,
  signal?: AbortSignal,
): Promise<void> {
  if (await ctx.store.blobExists(repo, descriptor, { signal })) {
    ctx.onProgress?.({
      direction: "push",
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      transferred: descriptor.size,
      total: descriptor.size,
      done: true,
      skipped: true,
    });
    return;
  }
  await ctx.store.pushBlob(repo, descriptor, source, {
    signal,
    onProgress: ctx.onProgress,
  });
}

/**
 * Packs `sourceDir` (reproducibly), uploads config and layer unless the
 * registry already has them, and puts the manifest straight to the tag:
 * at most 7 requests cold, 3 when the content is unchanged.
 */
async function pushArtifact(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  sourceDir: string,
  ref: string,
  config: Uint8Array,
  annotations: Record<string, string> | undefined,
  options: PushOptions,
): Promise<PushResult> {
  const parsed = parsePinnedRef(ref, "a tag");
  const signal = options.signal;
  signal?.throwIfAborted();
  // The archive is made before anything is uploaded, so an unreadable
  // source tree leaves no orphan blob behind.
  let layer;
  try {
    layer = await spoolLayer(
      await packDirectory(sourceDir),
      undefined,
      signal,
    );
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    throw wrapError("creating archive", e);
  }
  try {
    const configDesc: Descriptor = {
      mediaType: kind.configMediaType!,
      digest: digestOf(config),
      size: config.byteLength,
    };
    const layerDesc: Descriptor = {
      mediaType: kind.contentMediaType!,
      digest: layer.digest,
      size: layer.size,
    };
    try {
      await pushBlobIfMissing(ctx, parsed, configDesc, config, options.signal);
    } catch (e) {
      throw wrapError("pushing config blob", e);
    }
    try {
      await pushBlobIfMissing(
        ctx,
        parsed,
        layerDesc,
        layer.source,
        options.signal,
      );
    } catch (e) {
      // The registry saw the upload cut short; the cause is on this side.
      throw wrapError("pushing content layer", layer.sourceError ?? e);
    }
    const manifest = buildManifest(configDesc, layerDesc, annotations);
    try {
      const desc = await ctx.store.pushManifest(
        parsed,
        manifest,
        MEDIA_TYPE_OCI_MANIFEST,
        { signal: options.signal },
      );
      return { digest: desc.digest };
    } catch (e) {
      throw wrapError("pushing manifest", e);
    }
  } finally {
    await layer.cleanup();
  }
}

/** Pushes a plugin directory under `ref` (which must carry a tag). */
export function pushPlugin(
  ctx: ArtifactContext,
  sourceDir: string,
  ref: string,
  plugin: Plugin,
  options: PushOptions = {},
): Promise<PushResult> {
  return pushArtifact(
    ctx,
    PLUGIN_KIND,
    sourceDir,
    ref,
    encodePluginConfig(plugin),
    buildKlausAnnotations(plugin),
    options,
  );
}

/** Pushes a personality directory under `ref` (which must carry a tag). */
export function pushPersonality(
  ctx: ArtifactContext,
  sourceDir: string,
  ref: string,
  personality: Personality,
  options: PushOptions = {},
): Promise<PushResult> {
  return pushArtifact(
    ctx,
    PERSONALITY_KIND,
    sourceDir,
    ref,
    encodePersonalityConfig(personality),
    buildKlausAnnotations(personality),
    options,
  );
}
