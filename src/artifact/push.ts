import {
  DigestMismatchError,
  KlausOciError,
  SignatureError,
  wrapError,
} from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";
import { skippedPush } from "../oci/_skipped_push.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../oci/media_types.ts";
import type { BlobSource, RepositoryRef } from "../oci/store.ts";
import {
  type ArchiveLimits,
  packDirectory,
  type PackedDirectory,
} from "../archive/mod.ts";
import {
  type PushRecord,
  treeFingerprint,
  withRepository,
} from "../cache/push_records.ts";
import { buildKlausAnnotations } from "./annotations.ts";
import { encodePersonalityConfig, encodePluginConfig } from "./config_blob.ts";
import type { ArtifactContext } from "./context.ts";
import { parsePinnedRef } from "./resolve_ref.ts";
import { type ArtifactKind, PERSONALITY_KIND, PLUGIN_KIND } from "./kind.ts";
import { buildManifest } from "./manifest.ts";
import type {
  Personality,
  Plugin,
  PushedSignature,
  PushResult,
} from "./types.ts";
import { concatBytes } from "../_bytes.ts";
import type { KeyInput } from "../sign/keys.ts";
import type { KeylessSignOptions } from "../sign/keyless_sign.ts";

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
  /**
   * The limits of the pulls that must accept the artifact (default: a
   * pull's defaults): a tree over them is refused with a `TooLargeError`
   * before anything is read or sent.
   */
  limits?: ArchiveLimits;
  /** Pack a tree over `limits` anyway, reporting each excess to `onWarning`. */
  allowOversize?: boolean;
  /** Hears each excess `allowOversize` lets through. */
  onWarning?: (warning: string) => void;
  /**
   * Signs the pushed manifest with this ECDSA P-256 private key (a
   * `CryptoKey`, extractable, or PKCS#8 PEM text): a sigstore bundle is
   * pushed as a referrer of the manifest, with no transparency log entry.
   */
  signKey?: KeyInput;
  /**
   * Signs the pushed manifest keylessly (as `cosign sign`): an ephemeral
   * key certified by Fulcio for the identity of `identityToken`, the
   * signature recorded in Rekor, the sigstore bundle pushed as a referrer
   * of the manifest. The certificate and the log entry are obtained
   * before the manifest is pushed, so a refusal by either service leaves
   * the tag as it was. Excludes `signKey`.
   */
  sign?: KeylessSignOptions;
}

async function pushBlobIfMissing(
  ctx: ArtifactContext,
  repo: RepositoryRef,
  descriptor: Descriptor,
  source: BlobSource,
  signal?: AbortSignal,
  mountFrom?: readonly string[],
): Promise<void> {
  if (await ctx.store.blobExists(repo, descriptor, { signal })) {
    ctx.onProgress?.(skippedPush(descriptor));
    return;
  }
  await ctx.store.pushBlob(repo, descriptor, source, {
    signal,
    onProgress: ctx.onProgress,
    mountFrom,
  });
}

/**
 * Packs `sourceDir` (reproducibly) and uploads the layer in the same pass,
 * then the config, then the manifest straight to the tag.
 *
 * - Unchanged since a push recorded in the cache directory: the record
 *   gives the layer's digest, two `HEAD`s confirm both blobs, and the
 *   manifest goes up: 3 requests, no file read. A blob the registry has in
 *   another repository is mounted from there.
 * - A layer that fits in the first chunk is hashed before anything is sent,
 *   `HEAD`-skipped when the registry has it, else sent in one `PUT`.
 * - A larger one goes up in chunks while it is being packed; its digest
 *   goes into the final `PUT ?digest=`. Memory stays bounded by the chunk
 *   size, and nothing is spooled to disk.
 *
 * The tree is checked for changes at the end of packing, before the layer
 * is committed; the config follows the layer, so an unreadable tree
 * leaves no orphan blob.
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
  if (options.signKey !== undefined && options.sign !== undefined) {
    throw new SignatureError(
      `signing ${ref}: signKey and sign (keyless) exclude each other`,
      { reason: "other" },
    );
  }
  const mediaType = kind.contentMediaType!;
  const records = ctx.pushRecords;
  let packed: PackedDirectory;
  let fingerprint: string | undefined;
  let record: PushRecord | undefined;
  try {
    packed = await packDirectory(sourceDir, {
      limits: options.limits,
      allowOversize: options.allowOversize,
      onWarning: options.onWarning,
    });
    if (records) {
      fingerprint = await treeFingerprint(sourceDir, packed.entries, PACKING);
      record = await records.get(fingerprint);
    }
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    throw wrapError("creating archive", e);
  }
  const mountFrom = record?.repositories[parsed.registry] ?? [];

  let layerDesc: Descriptor | undefined;
  if (record && record.layer.mediaType === mediaType) {
    // The record is only a hint: the registry confirms it, and an upload
    // of the files checks them against its digest.
    try {
      await pushBlobIfMissing(
        ctx,
        parsed,
        record.layer,
        () => packed.stream(),
        signal,
        mountFrom,
      );
      layerDesc = record.layer;
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      if (!(e instanceof DigestMismatchError)) {
        throw wrapError("pushing content layer", e);
      }
    }
  }
  layerDesc ??= await pushLayerOnePass(
    ctx,
    parsed,
    packed,
    mediaType,
    signal,
    fingerprint,
  );

  const configDesc: Descriptor = {
    mediaType: kind.configMediaType!,
    digest: digestOf(config),
    size: config.byteLength,
  };
  try {
    await pushBlobIfMissing(ctx, parsed, configDesc, config, signal);
  } catch (e) {
    throw wrapError("pushing config blob", e);
  }
  const manifest = buildManifest(configDesc, layerDesc, annotations);
  const manifestDesc: Descriptor = {
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    digest: digestOf(manifest),
    size: manifest.byteLength,
  };
  // The signature is made before the manifest goes up: a signing service
  // that refuses (or a key that fails) leaves the tag as it was.
  const signing = await signatureOf(ref, manifestDesc, manifest, options);
  let digest: string;
  try {
    const desc = await ctx.store.pushManifest(
      parsed,
      manifest,
      MEDIA_TYPE_OCI_MANIFEST,
      { signal },
    );
    digest = desc.digest;
  } catch (e) {
    throw wrapError("pushing manifest", e);
  }
  let signature: PushedSignature | undefined;
  if (signing) {
    const { pushSignatureReferrer } = await import(
      "../sign/sign_artifact.ts"
    );
    try {
      const referrer = await pushSignatureReferrer(
        ctx.store,
        { registry: parsed.registry, repository: parsed.repository },
        manifestDesc,
        signing.bundle,
        signal,
      );
      signature = { ...signing.signature, referrer: referrer.digest };
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      throw wrapError(`signing ${ref}: pushing the signature`, e);
    }
  }
  if (records && fingerprint) {
    await records.put(
      fingerprint,
      withRepository(record, layerDesc, parsed.registry, parsed.repository),
    );
  }
  return signature ? { digest, signature } : { digest };
}

/** The bundle of a signed push and what it says, before anything is pushed. */
async function signatureOf(
  ref: string,
  manifestDesc: Descriptor,
  manifest: Uint8Array,
  options: PushOptions,
): Promise<
  | { bundle: Uint8Array; signature: Omit<PushedSignature, "referrer"> }
  | undefined
> {
  const { signal } = options;
  try {
    if (options.signKey !== undefined) {
      const { keyBundle } = await import("../sign/sign_artifact.ts");
      const { keyId, bundle } = await keyBundle(
        manifestDesc,
        manifest,
        options.signKey,
      );
      return { bundle, signature: { keyId } };
    }
    if (options.sign !== undefined) {
      const { createKeylessBundle } = await import(
        "../sign/keyless_sign.ts"
      );
      const signed = await createKeylessBundle(manifestDesc, manifest, {
        ...options.sign,
        signal,
      });
      return {
        bundle: signed.bundle,
        signature: {
          identity: signed.identity,
          issuer: signed.issuer,
          tlogIndex: signed.tlogIndex,
        },
      };
    }
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    throw wrapError(`signing ${ref}`, e);
  }
  return undefined;
}

/** Packing options that change the archive, part of the fingerprint. */
const PACKING = { mtime: 0, format: "tar.gz/1" };

/**
 * Layers up to this size are packed into memory and hashed before the
 * upload (one chunk of the chunked upload): typical plugins and
 * personalities are a few KiB to a few MiB.
 */
const FIRST_CHUNK = 8 * 1024 * 1024;

async function pushLayerOnePass(
  ctx: ArtifactContext,
  repo: RepositoryRef,
  packed: PackedDirectory,
  mediaType: string,
  signal: AbortSignal | undefined,
  fingerprint: string | undefined,
): Promise<Descriptor> {
  const source = checkedSource(packed, fingerprint);
  let head: { bytes: Uint8Array; complete: boolean };
  try {
    head = await readHead(source.reader, FIRST_CHUNK, signal);
  } catch (e) {
    await source.reader.cancel().catch(() => {});
    throw sourceFailure(e, signal);
  }
  try {
    if (head.complete) {
      const desc: Descriptor = {
        mediaType,
        digest: digestOf(head.bytes),
        size: head.bytes.byteLength,
      };
      await pushBlobIfMissing(ctx, repo, desc, head.bytes, signal);
      return desc;
    }
    return await ctx.store.pushBlobStream(
      repo,
      prepend(head.bytes, source.reader),
      { mediaType, signal, onProgress: ctx.onProgress },
    );
  } catch (e) {
    await source.reader.cancel().catch(() => {});
    // The registry saw the upload cut short; the cause is on this side.
    const cause = source.error();
    if (cause !== undefined) throw sourceFailure(cause, signal);
    if (signal?.aborted && e === signal.reason) throw e;
    throw wrapError("pushing content layer", e);
  }
}

function sourceFailure(e: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && e === signal.reason) return e;
  if (typeof e === "object" && e !== null && contentChanged.has(e)) {
    return wrapError("pushing content layer", e);
  }
  return wrapError("creating archive", e);
}

/** Errors saying the tree changed between the start and the end of packing. */
const contentChanged = new WeakSet<object>();

interface SourceStream {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Why reading the source tree failed, if it did. */
  error(): unknown;
}

/**
 * A reader of the archive that remembers why the archive failed, and that
 * fails at its end — before the upload is committed — when the tree's
 * fingerprint is no longer what it was when packing started.
 */
function checkedSource(
  packed: PackedDirectory,
  fingerprint: string | undefined,
): SourceStream {
  let failure: unknown;
  const before = fingerprint ??
    treeFingerprint(packed.dir, packed.entries, PACKING);
  const inner = packed.stream().getReader();
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await inner.read();
        if (!r.done) {
          controller.enqueue(r.value);
          return;
        }
        const after = await treeFingerprint(
          packed.dir,
          packed.entries,
          PACKING,
        );
        if (after !== await before) {
          const e = new KlausOciError(
            `the content changed while it was being pushed (${packed.dir})`,
          );
          contentChanged.add(e);
          throw e;
        }
        controller.close();
      } catch (e) {
        failure ??= e;
        controller.error(e);
      }
    },
    cancel: (reason) => inner.cancel(reason),
  }, { highWaterMark: 0 });
  return { reader: watched.getReader(), error: () => failure };
}

/** Reads up to `limit` bytes; `complete` when the stream ended within them. */
async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size <= limit) {
    signal?.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) return { bytes: concatBytes(parts, size), complete: true };
    parts.push(value);
    size += value.byteLength;
  }
  return { bytes: concatBytes(parts, size), complete: false };
}

/** `head`, then the rest of `reader`, as one stream. */
function prepend(
  head: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let first: Uint8Array | undefined = head;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first) {
        controller.enqueue(first);
        first = undefined;
        return;
      }
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
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
