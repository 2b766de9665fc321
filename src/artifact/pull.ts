/**
 * Pulling an artifact to disk: resolve, check the destination's cache
 * entry, download, verify and extract into a temporary sibling, prepare
 * and validate everything there (config, `SOUL.md`, the cache entry), and
 * only then swap it in: a failed pull leaves the previous copy intact (Go
 * deletes the destination first; README, "Differences from klaus-oci
 * (Go)").
 *
 * @module
 */
import { resolve } from "node:path";
import { KlausOciError, NotFoundError, wrapError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Reference } from "../ref/reference_type.ts";
import { type ArchiveLimits, extractToDirectory } from "../archive/mod.ts";
import { assertNotProtected } from "../archive/protected_destination.ts";
import { repairDestination } from "../archive/repair_destination.ts";
import {
  type CacheEntryInput,
  isCompletePull,
  pulledAtOf,
  readCacheEntry,
  writeCacheEntry,
} from "./cache_entry.ts";
import type { ArtifactContext } from "./context.ts";
import { parsePinnedRef } from "./resolve_ref.ts";
import { personalityFromParts, pluginFromParts } from "./describe_parse.ts";
import { fetchArtifactManifest, readSmallBlob } from "./fetch_parts.ts";
import { type ArtifactKind, PERSONALITY_KIND, PLUGIN_KIND } from "./kind.ts";
import { assertPullDestination } from "./pull_destination.ts";
import { readSoul } from "./read_soul.ts";
import type { CacheEntry, PulledPersonality, PulledPlugin } from "./types.ts";
import type {
  SignatureResult,
  VerificationPolicy,
} from "../sign/verify_artifact.ts";
import type { VerifiedManifest } from "../sign/verified_manifest.ts";

/**
 * Options of `pullPlugin` / `pullPersonality`.
 *
 * @example
 * ```ts
 * import type { PullOptions } from "@klaus/oci";
 * const o: PullOptions = { limits: { maxFileBytes: 10 * 1024 * 1024 }, overwrite: false };
 * console.log(o.limits?.maxFileBytes);
 * ```
 */
export interface PullOptions {
  /** Extraction limits (per file, total bytes, entry count). */
  limits?: ArchiveLimits;
  /** Receives one message per archive entry that was skipped (links, devices). */
  onWarning?: (warning: string) => void;
  /**
   * Aborts the pull. Before the swap the destination is left as it was;
   * once the swap began it runs to its end (the new copy is in place).
   */
  signal?: AbortSignal;
  /**
   * Replace a destination no earlier pull made: a non-empty directory
   * without `.oci-cache.json`, a file, or a link to either. Default
   * `false`: such a pull fails with an `UnsafeDestinationError`
   * (`overridable: true`) before contacting the registry. The root, the
   * working directory, the home directory and their ancestors are refused
   * even with `overwrite`.
   */
  overwrite?: boolean;
  /**
   * Called at each step of the replacement: `"extracting"` (the first bytes
   * of the archive arrived), `"prepared"` (the new copy is complete in a
   * temporary sibling), `"moved-aside"`, `"swapped"` (the new copy is in
   * place) and `"removing-old"`. A returned promise holds the step; a throw
   * aborts the pull only before the swap.
   */
  onStep?: (
    step:
      | "extracting"
      | "prepared"
      | "moved-aside"
      | "swapped"
      | "removing-old",
  ) => void | Promise<void>;
  /**
   * Signature policy: the manifest's sigstore bundles (OCI referrers) are
   * checked right after the manifest is fetched — before the content
   * layer is requested, and also when the destination is already up to
   * date — and a refused artifact fails the pull with a `SignatureError`
   * (`reason` "unsigned", "wrong-key", "wrong-identity", "untrusted",
   * "tampered" or "other-digest"), leaving the destination untouched. The
   * result's `signatures` lists what was checked.
   */
  verification?: VerificationPolicy;
}

/** What was pulled, before the kind-specific parts are read. */
interface Parts {
  ref: string;
  tag: string;
  digest: string;
  /** Manifest annotations of what was pulled. */
  annotations: Record<string, string>;
  /** Its config blob (raw bytes, or re-encoded from a cache entry). */
  config?: Uint8Array;
}

/**
 * Reads the kind-specific result out of a complete copy in `dir`: the
 * temporary sibling before the swap, or the destination when it is already
 * up to date. Throwing before the swap keeps the previous copy.
 */
type Finish<T> = (dir: string, parts: Parts) => Promise<T>;

interface Pulled<T> {
  parts: Parts;
  value: T;
  cached: boolean;
  /** The signatures checked (a policy applied). */
  signatures?: SignatureResult[];
}

function decodeConfig(entry: CacheEntry): Uint8Array | undefined {
  if (entry.configJSON === undefined || entry.configJSON === null) {
    return undefined;
  }
  return new TextEncoder().encode(JSON.stringify(entry.configJSON));
}

/**
 * `err` with the temporary sibling's path in its message replaced by the
 * destination's (`read <dest>/SOUL.md: is a directory`): the sibling is
 * gone by the time anyone reads the message.
 */
function namingDestination(err: unknown, tmp: string, dest: string): unknown {
  if (!(err instanceof KlausOciError) || !err.message.includes(tmp)) {
    return err;
  }
  const renamed = new KlausOciError(err.message.replaceAll(tmp, dest), {
    cause: err,
  });
  Object.setPrototypeOf(renamed, Object.getPrototypeOf(err));
  renamed.name = err.name;
  return renamed;
}

/**
 * Pulls an artifact into `destDir`. First, without any request: refuses a
 * protected destination, repairs what interrupted pulls left (restores a
 * destination missing mid-swap, removes stale siblings), refuses a
 * destination no pull made unless `overwrite`. Then one HEAD when the
 * destination is already up to date (none when a digest reference is given
 * or a fresh cache answers), else manifest, config and the content layer,
 * streamed, verified and extracted into a temporary sibling where `finish`
 * and the cache entry run; the sibling replaces `destDir` only when all of
 * it succeeded. A failed pull leaves the previous copy intact.
 */
async function pullArtifact<T>(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  ref: string,
  destDir: string,
  options: PullOptions,
  finish: Finish<T>,
): Promise<Pulled<T>> {
  const parsed = parsePinnedRef(ref, "a tag or digest");
  const signal = options.signal;
  const overwrite = options.overwrite ?? false;
  // Nothing is contacted, not even for a digest reference, once aborted.
  signal?.throwIfAborted();
  const dest = resolve(destDir);
  await assertNotProtected(dest);
  try {
    await repairDestination(dest, {
      isComplete: isCompletePull,
      madeAt: pulledAtOf,
    });
  } catch (e) {
    throw wrapError(`repairing destination ${destDir}`, e);
  }
  await assertPullDestination(dest, overwrite);

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
  const byDigest: Reference = { ...parsed, digest };
  // Verified first: nothing of an artifact the policy refuses is used.
  let verified: VerifiedManifest | undefined;
  if (options.verification) {
    // The verifier (X.509, CMS, TUF…) loads only when a policy asks for it.
    const { fetchVerifiedManifest } = await import(
      "../sign/verified_manifest.ts"
    );
    verified = await fetchVerifiedManifest(
      ctx.store,
      byDigest,
      ref,
      options.verification,
      signal,
    );
  }
  const previous = await readCacheEntry(dest).catch(() => undefined);
  if (previous?.digest === digest) {
    const parts: Parts = {
      ref,
      tag,
      digest,
      annotations: previous.annotations ?? {},
      config: decodeConfig(previous),
    };
    return {
      parts,
      value: await finish(dest, parts),
      cached: true,
      signatures: verified?.verification.signatures,
    };
  }

  const { manifest } = verified ?? await fetchArtifactManifest(
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
  // Built from what was fetched, not re-read from disk: a concurrent pull
  // into the same directory may swap in another version right after ours.
  const parts: Parts = {
    ref,
    tag,
    digest,
    annotations: manifest.annotations ?? {},
    config: config && config.byteLength > 0 ? config : undefined,
  };
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
  let value: T | undefined;
  // Errors of the preparation keep their own wording (no "extracting" prefix).
  let prepareError: unknown;
  const prepare = async (tmp: string) => {
    try {
      try {
        value = await finish(tmp, parts);
      } catch (e) {
        throw namingDestination(e, tmp, dest);
      }
      try {
        // Last, so a sibling with a cache entry is a complete copy.
        await writeCacheEntry(tmp, entry);
      } catch (e) {
        throw wrapError("writing cache entry", e);
      }
      // What is at the destination may have changed while downloading.
      await assertPullDestination(dest, overwrite);
    } catch (e) {
      prepareError = e;
      throw e;
    }
  };
  try {
    const result = await extractToDirectory(stream, dest, {
      ...options.limits,
      signal,
      onStep: options.onStep,
      beforeCommit: prepare,
    });
    for (const s of result.skipped) {
      options.onWarning?.(`skipped ${s.type} ${s.name}: ${s.reason}`);
    }
  } catch (e) {
    if (e === prepareError) throw e;
    throw wrapError(`extracting content for ${ref}`, e);
  }
  return {
    parts,
    value: value as T,
    cached: false,
    signatures: verified?.verification.signatures,
  };
}

/**
 * Pulls a plugin into `destDir` (see {@linkcode PullOptions}); its config is
 * parsed in the temporary sibling, before the swap.
 */
export async function pullPlugin(
  ctx: ArtifactContext,
  ref: string,
  destDir: string,
  options: PullOptions = {},
): Promise<PulledPlugin> {
  const p = await pullArtifact(
    ctx,
    PLUGIN_KIND,
    ref,
    destDir,
    options,
    // deno-lint-ignore require-await
    async (_dir, parts) => {
      try {
        return pluginFromParts(parts.annotations, parts.config, parts.tag);
      } catch (e) {
        throw wrapError("parsing plugin config", e);
      }
    },
  );
  return {
    ref: p.parts.ref,
    tag: p.parts.tag,
    digest: p.parts.digest,
    plugin: p.value,
    dir: destDir,
    cached: p.cached,
    ...(p.signatures ? { signatures: p.signatures } : {}),
  };
}

/**
 * Pulls a personality into `destDir` and reads its SOUL.md (see
 * {@linkcode PullOptions}). Config and `SOUL.md` are read in the temporary
 * sibling, before the swap: a `SOUL.md` that cannot be read (a directory,
 * unreadable) fails the pull and keeps the previous copy.
 */
export async function pullPersonality(
  ctx: ArtifactContext,
  ref: string,
  destDir: string,
  options: PullOptions = {},
): Promise<PulledPersonality> {
  const p = await pullArtifact(
    ctx,
    PERSONALITY_KIND,
    ref,
    destDir,
    options,
    async (dir, parts) => {
      let personality;
      try {
        personality = personalityFromParts(
          parts.annotations,
          parts.config,
          parts.tag,
        );
      } catch (e) {
        throw wrapError("parsing personality config", e);
      }
      return { personality, soul: await readSoul(dir) };
    },
  );
  return {
    ref: p.parts.ref,
    tag: p.parts.tag,
    digest: p.parts.digest,
    personality: p.value.personality,
    soul: p.value.soul,
    dir: destDir,
    cached: p.cached,
    ...(p.signatures ? { signatures: p.signatures } : {}),
  };
}
