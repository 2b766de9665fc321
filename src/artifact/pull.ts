import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError, wrapError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Reference } from "../ref/reference_type.ts";
import { type ArchiveLimits, extractToDirectory } from "../archive/mod.ts";
import {
  type CacheEntryInput,
  readCacheEntry,
  writeCacheEntry,
} from "./cache_entry.ts";
import type { ArtifactContext } from "./context.ts";
import { parsePinnedRef } from "./resolve_ref.ts";
import { personalityFromParts, pluginFromParts } from "./describe_parse.ts";
import { fetchArtifactManifest, readSmallBlob } from "./fetch_parts.ts";
import { type ArtifactKind, PERSONALITY_KIND, PLUGIN_KIND } from "./kind.ts";
import type { CacheEntry, PulledPersonality, PulledPlugin } from "./types.ts";

/**
 * Options of `pullPlugin` / `pullPersonality`.
 *
 * @example
 * ```ts
 * import type { PullOptions } from "@klaus/oci";
 * const o: PullOptions = { limits: { maxFileBytes: 10 * 1024 * 1024 } };
 * console.log(o.limits?.maxFileBytes);
 * ```
 */
export interface PullOptions {
  /** Extraction limits (per file, total bytes, entry count). */
  limits?: ArchiveLimits;
  /** Receives one message per archive entry that was skipped (links, devices). */
  onWarning?: (warning: string) => void;
  /** Aborts the pull; the destination is left as it was. */
  signal?: AbortSignal;
}

interface Pulled {
  ref: string;
  tag: string;
  digest: string;
  /** Manifest annotations of what was pulled. */
  annotations: Record<string, string>;
  /** Its config blob (raw bytes, or re-encoded from a cache entry). */
  config?: Uint8Array;
  cached: boolean;
}

function decodeConfig(entry: CacheEntry): Uint8Array | undefined {
  if (entry.configJSON === undefined || entry.configJSON === null) {
    return undefined;
  }
  return new TextEncoder().encode(JSON.stringify(entry.configJSON));
}

/**
 * Pulls an artifact into `destDir`: one HEAD when the destination is already
 * up to date (none when a digest reference is given or a fresh cache
 * answers), else manifest, config and the content layer, streamed, verified
 * and extracted into a temporary sibling that replaces `destDir` only when
 * every byte checked out. A failed pull leaves the previous copy intact.
 */
async function pullArtifact(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  ref: string,
  destDir: string,
  options: PullOptions,
): Promise<Pulled> {
  const parsed = parsePinnedRef(ref, "a tag or digest");
  const signal = options.signal;
  // Nothing is contacted, not even for a digest reference, once aborted.
  signal?.throwIfAborted();
  const tag = parsed.digest !== undefined ? "" : parsed.tag ?? "";
  let digest = parsed.digest;
  if (digest === undefined) {
    try {
      digest = (await ctx.store.resolve(parsed, { signal }))
        .descriptor.digest;
    } catch (e) {
      throw wrapError(`resolving ${ref}`, e);
    }
  }
  const previous = await readCacheEntry(destDir).catch(() => undefined);
  if (previous?.digest === digest) {
    return {
      ref,
      tag,
      digest,
      annotations: previous.annotations ?? {},
      config: decodeConfig(previous),
      cached: true,
    };
  }

  const byDigest: Reference = { ...parsed, digest };
  const { manifest } = await fetchArtifactManifest(
    ctx.store,
    byDigest,
    ref,
    { signal },
  );
  let config: Uint8Array | undefined;
  if (manifest.config) {
    try {
      config = await readSmallBlob(ctx.store, parsed, manifest.config, {
        signal,
      });
    } catch (e) {
      throw wrapError(`fetching config for ${ref}`, e);
    }
  }
  const layer: Descriptor | undefined = manifest.layers?.find((l) =>
    l.mediaType === kind.contentMediaType
  );
  if (!layer) {
    throw new NotFoundError(
      `no content layer found in ${ref} (expected media type ${kind.contentMediaType})`,
    );
  }
  // Raw config bytes: the entry keeps them as Go keeps a json.RawMessage,
  // and a config that is not JSON fails the pull before the swap.
  const entry: CacheEntryInput = {
    digest,
    ref,
    configJSON: config,
    annotations: manifest.annotations,
  };
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await ctx.store.fetchBlob(parsed, layer, {
      onProgress: ctx.onProgress,
      signal,
    });
  } catch (e) {
    throw wrapError(`fetching content layer for ${ref}`, e);
  }
  try {
    const result = await extractToDirectory(stream, destDir, {
      ...options.limits,
      signal,
      beforeCommit: async (tempDir: string) => {
        try {
          await writeCacheEntry(tempDir, entry);
        } catch (e) {
          throw wrapError("writing cache entry", e);
        }
      },
    });
    for (const s of result.skipped) {
      options.onWarning?.(`skipped ${s.type} ${s.name}: ${s.reason}`);
    }
  } catch (e) {
    throw wrapError(`extracting content for ${ref}`, e);
  }
  // Built from what was fetched, not re-read from disk: a concurrent pull
  // into the same directory may already have swapped in another version.
  return {
    ref,
    tag,
    digest,
    annotations: manifest.annotations ?? {},
    config: config && config.byteLength > 0 ? config : undefined,
    cached: false,
  };
}

/** Pulls a plugin into `destDir`. */
export async function pullPlugin(
  ctx: ArtifactContext,
  ref: string,
  destDir: string,
  options: PullOptions = {},
): Promise<PulledPlugin> {
  const p = await pullArtifact(ctx, PLUGIN_KIND, ref, destDir, options);
  let plugin;
  try {
    plugin = pluginFromParts(p.annotations, p.config, p.tag);
  } catch (e) {
    throw wrapError("parsing plugin config", e);
  }
  return {
    ref: p.ref,
    tag: p.tag,
    digest: p.digest,
    plugin,
    dir: destDir,
    cached: p.cached,
  };
}

/** Pulls a personality into `destDir` and reads its SOUL.md. */
export async function pullPersonality(
  ctx: ArtifactContext,
  ref: string,
  destDir: string,
  options: PullOptions = {},
): Promise<PulledPersonality> {
  const p = await pullArtifact(ctx, PERSONALITY_KIND, ref, destDir, options);
  let personality;
  try {
    personality = personalityFromParts(p.annotations, p.config, p.tag);
  } catch (e) {
    throw wrapError("parsing personality config", e);
  }
  let soul = "";
  try {
    soul = await readFile(join(destDir, "SOUL.md"), "utf8");
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") {
      throw wrapError("reading SOUL.md", e);
    }
  }
  return {
    ref: p.ref,
    tag: p.tag,
    digest: p.digest,
    personality,
    soul,
    dir: destDir,
    cached: p.cached,
  };
}
