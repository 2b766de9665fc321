/**
 * Content by digest — manifests, configs, layers. It is immutable, so it
 * never goes stale; it is kept only once verified against its digest and
 * size, and verified again whenever it is served (a corrupt file is
 * dropped, not served twice).
 *
 * @module
 */
import { DigestMismatchError, InvalidArtifactError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  digestAlgorithm,
  digestOf,
  isValidDigest,
  verifyBytes,
  verifyingStream,
} from "../oci/digest.ts";
import {
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../oci/media_types.ts";
import type {
  FetchedManifest,
  OciStore,
  ProgressEvent,
  RepositoryRef,
  TransferOptions,
} from "../oci/store.ts";
import { type ContentWriter, readAllBounded } from "./backend.ts";
import type { GuardedBackend } from "./guarded_backend.ts";
import { bytesStream, relay } from "./relay.ts";
import { Singleflight } from "./singleflight.ts";
import type { CacheStatus } from "./status.ts";

// Blobs up to this size (configs, in practice) are fetched whole, so that
// concurrent requests for one share a single download; larger ones stream.
const WHOLE_BLOB_BYTES = MAX_MANIFEST_BYTES;

/**
 * Whether `bytes` is a manifest worth keeping: a schema 2 image manifest
 * with a config and a layer list, or an index listing at least one
 * manifest. A `{}` (or any other broken document) a registry serves is not
 * kept, so it cannot answer again from the cache; the artifact layer
 * refuses it with {@linkcode InvalidArtifactError}.
 */
function isManifestDocument(bytes: Uint8Array): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return false;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return false;
  }
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion !== 2) return false;
  const config = d.config as Record<string, unknown> | null | undefined;
  if (typeof config === "object" && config !== null) {
    return isValidDigest(String(config.digest)) && Array.isArray(d.layers);
  }
  return Array.isArray(d.manifests) && d.manifests.length > 0;
}

/** The media type a manifest document declares, or the likely one. */
function sniffManifestMediaType(bytes: Uint8Array): string {
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof doc?.mediaType === "string" && doc.mediaType) {
      return doc.mediaType;
    }
    if (Array.isArray(doc?.manifests)) return MEDIA_TYPE_OCI_INDEX;
  } catch {
    // not JSON: the inner store would not have returned it as a manifest
  }
  return MEDIA_TYPE_OCI_MANIFEST;
}

function progress(d: Descriptor, transferred: number, done: boolean) {
  const event: ProgressEvent = {
    direction: "pull",
    digest: d.digest,
    mediaType: d.mediaType,
    transferred,
    total: d.size,
    done,
  };
  return event;
}

/** Content answered from the cache or fetched through it. */
export interface ContentAnswer<T> {
  /** The content. */
  value: T;
  /** `fresh` from the cache, `miss` from the inner store. */
  status: CacheStatus;
}

/** Verified content by digest in front of an inner store. */
export class ContentCache {
  readonly #inner: OciStore;
  readonly #backend: GuardedBackend;
  #flights = new Singleflight();

  /** Content of `inner`, kept in `backend`. */
  constructor(inner: OciStore, backend: GuardedBackend) {
    this.#inner = inner;
    this.#backend = backend;
  }

  /**
   * The manifest with `digest` (media type `mediaType` when known): from
   * the cache, or fetched from `repo`, verified and kept.
   */
  async manifest(
    repo: RepositoryRef,
    digest: string,
    mediaType: string | undefined,
    signal?: AbortSignal,
  ): Promise<ContentAnswer<FetchedManifest>> {
    digestAlgorithm(digest);
    const cached = await this.#cachedManifest(digest, mediaType);
    if (cached) return { value: cached, status: "fresh" };
    const value = await this.#flights.do(`manifest:${digest}`, async (s) => {
      const m = await this.#inner.fetchManifest({
        registry: repo.registry,
        repository: repo.repository,
        digest,
      }, { signal: s });
      const descriptor = await this.keepManifest(m, digest, mediaType);
      return { descriptor, bytes: m.bytes };
    }, signal);
    return { value, status: "miss" };
  }

  /**
   * Verifies a manifest fetched elsewhere against `digest` (throws
   * {@linkcode DigestMismatchError}) and its shape (throws
   * {@linkcode InvalidArtifactError} for a document that is no manifest,
   * such as `{}`), keeps it, returns its descriptor.
   */
  async keepManifest(
    m: FetchedManifest,
    digest: string,
    mediaType: string | undefined,
  ): Promise<Descriptor> {
    verifyBytes(m.bytes, digest);
    if (!isManifestDocument(m.bytes)) {
      throw new InvalidArtifactError(
        `manifest ${digest} is not an image manifest or index (not cached)`,
      );
    }
    const descriptor = {
      mediaType: mediaType ?? (m.descriptor.mediaType ||
        sniffManifestMediaType(m.bytes)),
      digest,
      size: m.bytes.byteLength,
    };
    await this.#backend.putContent(descriptor, m.bytes);
    return descriptor;
  }

  /**
   * A blob as a verified stream: from the cache; else small blobs are
   * fetched whole (shared by concurrent callers) and kept, larger ones
   * stream from the inner store while being written into the cache.
   */
  async blob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options: TransferOptions,
  ): Promise<ContentAnswer<ReadableStream<Uint8Array>>> {
    const { digest, size } = descriptor;
    digestAlgorithm(digest);
    const hit = await this.#cachedBlob(descriptor, options.onProgress);
    if (hit) return { value: hit, status: "fresh" };
    if (size >= 0 && size <= WHOLE_BLOB_BYTES) {
      const flight = `blob:${digest}:${size}`;
      const bytes = await this.#flights.do(flight, async (signal) => {
        const source = await this.#inner.fetchBlob(repo, descriptor, {
          signal,
        });
        // verifyingStream refuses more than `size` bytes before this limit
        const all = await readAllBounded(
          source.pipeThrough(verifyingStream(digest, size)),
          size,
        );
        if (!all) throw new DigestMismatchError(`size mismatch for ${digest}`);
        await this.#backend.putContent(descriptor, all);
        return all;
      }, options.signal);
      options.onProgress?.(progress(descriptor, size, true));
      return { value: bytesStream(bytes.slice()), status: "miss" };
    }
    const writer = await this.#backend.openContentWriter(descriptor);
    let source: ReadableStream<Uint8Array>;
    try {
      source = await this.#inner.fetchBlob(repo, descriptor, {
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } catch (e) {
      await writer?.abort().catch(() => {});
      throw e;
    }
    if (!writer) return { value: source, status: "miss" };
    const verified = source.pipeThrough(verifyingStream(digest, size));
    return { value: this.#writeThrough(verified, writer), status: "miss" };
  }

  async #cachedManifest(
    digest: string,
    mediaType: string | undefined,
  ): Promise<FetchedManifest | undefined> {
    const content = await this.#backend.getContent(digest);
    if (!content) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readAllBounded(content.stream, MAX_MANIFEST_BYTES);
    } catch (e) {
      this.#backend.onError(e);
      return undefined;
    }
    if (
      !bytes || digestOf(bytes, digestAlgorithm(digest)) !== digest ||
      // Kept by an older version that cached anything: ask again.
      !isManifestDocument(bytes)
    ) {
      await this.#backend.deleteContent(digest);
      return undefined;
    }
    return {
      descriptor: {
        mediaType: mediaType ?? sniffManifestMediaType(bytes),
        digest,
        size: bytes.byteLength,
      },
      bytes,
    };
  }

  async #cachedBlob(
    descriptor: Descriptor,
    onProgress: ((e: ProgressEvent) => void) | undefined,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const { digest, size } = descriptor;
    const content = await this.#backend.getContent(digest);
    if (!content) return undefined;
    if (content.size !== size) {
      // Either the descriptor or the file is wrong; only a verified refetch
      // can tell, and it replaces the file if the descriptor was right.
      await content.stream.cancel().catch(() => {});
      return undefined;
    }
    const verified = content.stream.pipeThrough(
      verifyingStream(
        digest,
        size,
        (n) => onProgress?.(progress(descriptor, n, false)),
      ),
    );
    return relay(verified, {
      end: () => onProgress?.(progress(descriptor, size, true)),
      error: async (e) => {
        if (e instanceof DigestMismatchError) {
          await this.#backend.deleteContent(digest);
        }
      },
    });
  }

  /** `source` (verified) relayed to the caller while it is written. */
  #writeThrough(
    source: ReadableStream<Uint8Array>,
    writer: ContentWriter,
  ): ReadableStream<Uint8Array> {
    let broken = false;
    const giveUp = async () => {
      broken = true;
      await writer.abort().catch(() => {});
    };
    const attempt = async (step: () => Promise<void>) => {
      if (broken) return;
      try {
        await step();
      } catch (e) {
        this.#backend.onError(e);
        await giveUp();
      }
    };
    return relay(source, {
      chunk: (chunk) => attempt(() => writer.write(chunk)),
      end: () => attempt(() => writer.commit()),
      error: giveUp,
      cancel: giveUp,
    });
  }
}
