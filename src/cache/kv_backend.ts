/**
 * A cache backend on Cloudflare Workers KV, shaped by KV's limits
 * (https://developers.cloudflare.com/kv/platform/limits/): values ≤ 25 MiB, metadata ≤ 1024 bytes, one write per
 * second per key, no compare-and-set, eventually consistent. So:
 *
 * - freshness (`fetchedAt`) and the ETag travel in the key's metadata, the
 *   answer in its value (one `getWithMetadata` per lookup);
 * - a revalidation that changes nothing is not written again until
 *   `rewriteIntervalMs` has passed — this isolate remembers the newer
 *   timestamp — and no key is written twice within a second;
 * - only small JSON content (manifests, configs) is stored; layers never.
 *
 * @module
 */
import { TooLargeError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf, isValidDigest } from "../oci/digest.ts";
import { MAX_MANIFEST_BYTES } from "../oci/media_types.ts";
import {
  bufferingWriter,
  type CacheBackend,
  type CachedContent,
  type ContentWriter,
  type IndexKind,
  type IndexRecord,
  type IndexRecordOf,
} from "./backend.ts";
import { bytesStream } from "./relay.ts";
import { MAX_INDEX_ENTRY_BYTES } from "./constants.ts";
import { setBounded } from "../_bounded_map.ts";

/**
 * The part of a Workers `KVNamespace` the backend uses; a real binding
 * (`env.KLAUS_CACHE`) satisfies it.
 *
 * @example
 * ```ts
 * import type { KvNamespaceLike } from "@klaus/oci";
 * function use(kv: KvNamespaceLike) { return kv.get("k", { type: "text" }); }
 * console.log(typeof use);
 * ```
 */
export interface KvNamespaceLike {
  /** Reads a value as text. */
  get(key: string, options: { type: "text" }): Promise<string | null>;
  /** Reads a value as bytes. */
  get(
    key: string,
    options: { type: "arrayBuffer" },
  ): Promise<ArrayBuffer | null>;
  /** Reads a value and its metadata. */
  getWithMetadata(
    key: string,
    options: { type: "text" },
  ): Promise<{ value: string | null; metadata: unknown }>;
  /** Writes a value. */
  put(
    key: string,
    value: string | ArrayBuffer | ArrayBufferView,
    options?: { metadata?: unknown; expirationTtl?: number },
  ): Promise<void>;
  /** Deletes a value. */
  delete(key: string): Promise<void>;
}

/**
 * Options of {@linkcode KvCacheBackend}.
 *
 * @example
 * ```ts
 * import type { KvCacheBackendOptions } from "@klaus/oci";
 * const options: KvCacheBackendOptions = { prefix: "klaus-oci/staging/", indexTtlSeconds: 86_400 };
 * console.log(options.prefix);
 * ```
 */
export interface KvCacheBackendOptions {
  /** Prefix of every key (default `"klaus-oci/"`). */
  prefix?: string;
  /** Largest manifest or config stored (default 4 MiB, at most 25 MiB). */
  maxContentBytes?: number;
  /** Expiry of index entries in seconds (default 8 days, minimum 60). */
  indexTtlSeconds?: number;
  /** Expiry of content in seconds (default 30 days, minimum 60). */
  contentTtlSeconds?: number;
  /**
   * An entry confirmed unchanged is written again (to move its timestamp
   * for other isolates) at most this often; default 10 minutes.
   */
  rewriteIntervalMs?: number;
  /**
   * How long this isolate answers an index lookup from what it read from KV
   * before reading again (ms, default 1000; 0 reads every time). KV itself
   * propagates writes across locations within about 60 s, so a second of
   * isolate memory adds no staleness worth the round trip it saves on every
   * cached answer.
   */
  indexMemoMs?: number;
  /** Clock (epoch ms); default `Date.now`. */
  now?: () => number;
}

/** Largest KV value. */
export const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
/** Largest KV metadata, serialised as JSON. */
export const KV_MAX_METADATA_BYTES = 1024;
/** KV accepts one write per second to the same key. */
export const KV_MIN_WRITE_INTERVAL_MS = 1000;

const MEMO_LIMIT = 1000;
// Isolate memory for content: a Worker has 128 MB in all.
const CONTENT_MEMO_BYTES = 8 * 1024 * 1024;
const CONTENT_MEMO_ENTRY_BYTES = 256 * 1024;

interface IndexMetadata {
  fetchedAt: number;
  etag?: string;
}

interface StoredState {
  body: string;
  etag?: string;
  fetchedAt: number;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  setBounded(map, key, value, MEMO_LIMIT);
}

function valueOf(record: IndexRecord): Record<string, unknown> {
  switch (record.kind) {
    case "refs":
      return { key: record.key, descriptor: record.descriptor };
    case "tags":
      return { key: record.key, tags: record.tags };
    case "catalog":
      return { key: record.key, repositories: record.repositories };
  }
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

function decode(
  kind: IndexKind,
  key: string,
  body: string,
  metadata: unknown,
): IndexRecord | undefined {
  const meta = metadata as Partial<IndexMetadata> | null;
  if (
    !meta || typeof meta.fetchedAt !== "number" ||
    !Number.isFinite(meta.fetchedAt) ||
    (meta.etag !== undefined && typeof meta.etag !== "string")
  ) {
    return undefined;
  }
  // KV caps values far above this, but garbage is still not parsed.
  if (body.length > MAX_INDEX_ENTRY_BYTES) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object" || v.key !== key) return undefined;
  const base = { key, fetchedAt: meta.fetchedAt };
  const withEtag = meta.etag ? { ...base, etag: meta.etag } : base;
  switch (kind) {
    case "refs": {
      const d = v.descriptor as Descriptor | undefined;
      if (
        !d || typeof d.digest !== "string" || !isValidDigest(d.digest) ||
        typeof d.size !== "number" || typeof d.mediaType !== "string"
      ) {
        return undefined;
      }
      return { kind, ...withEtag, descriptor: d };
    }
    case "tags":
      return isStringArray(v.tags)
        ? { kind, ...withEtag, tags: v.tags }
        : undefined;
    case "catalog":
      return isStringArray(v.repositories)
        ? { kind, ...base, repositories: v.repositories }
        : undefined;
  }
}

/**
 * Whether KV keeps content of this media type: JSON documents (manifests,
 * configs), never layers.
 */
function isJsonMediaType(mediaType: string): boolean {
  return /json$/i.test(mediaType.split(";")[0].trim());
}

/**
 * A {@linkcode CacheStore} on a Workers KV namespace.
 *
 * @example A Worker answering from a KV-backed registry cache
 * ```ts
 * import { Client, KvCacheBackend, type KvNamespaceLike } from "@klaus/oci";
 *
 * interface Env {
 *   KLAUS_CACHE: KvNamespaceLike;
 * }
 *
 * // The Worker's handler: `export default { fetch: handle }` in its entry module.
 * async function handle(
 *   _request: Request,
 *   env: Env,
 *   ctx: { waitUntil(work: Promise<unknown>): void },
 * ): Promise<Response> {
 *   const client = new Client({
 *     cache: {
 *       store: new KvCacheBackend(env.KLAUS_CACHE),
 *       // Revalidations outlive the response.
 *       scheduler: {
 *         schedule: (work) => ctx.waitUntil(work),
 *         drain: () => Promise.resolve(),
 *       },
 *     },
 *   });
 *   return Response.json(await client.listPlugins());
 * }
 * console.log(typeof handle);
 * ```
 */
export class KvCacheBackend implements CacheBackend {
  /** KV has no byte budget the backend could enforce: always 0. */
  readonly maxBytes = 0;
  readonly #kv: KvNamespaceLike;
  readonly #prefix: string;
  readonly #maxContent: number;
  readonly #indexTtl: number;
  readonly #contentTtl: number;
  readonly #rewriteInterval: number;
  readonly #now: () => number;
  // In-isolate memory (bounded): the newest record known per key, what KV
  // is known to hold, and when this isolate last wrote each key.
  #newest = new Map<string, IndexRecord>();
  #stored = new Map<string, StoredState>();
  #lastWrite = new Map<string, number>();
  #contentWritten = new Map<string, true>();
  // Content is addressed by digest, so what was read once stays right:
  // small documents are kept (bounded) and served without a KV read.
  #contentMemo = new Map<string, Uint8Array>();
  #contentMemoBytes = 0;
  // Index entries as last read from KV, and when.
  #indexMemo = new Map<
    string,
    { value: string | null; metadata: unknown; at: number }
  >();
  readonly #indexMemoMs: number;

  /** A backend on `namespace`. */
  constructor(namespace: KvNamespaceLike, options: KvCacheBackendOptions = {}) {
    this.#kv = namespace;
    this.#prefix = options.prefix ?? "klaus-oci/";
    this.#maxContent = Math.min(
      options.maxContentBytes ?? MAX_MANIFEST_BYTES,
      KV_MAX_VALUE_BYTES,
    );
    this.#indexTtl = Math.max(60, options.indexTtlSeconds ?? 8 * 86_400);
    this.#contentTtl = Math.max(60, options.contentTtlSeconds ?? 30 * 86_400);
    this.#rewriteInterval = options.rewriteIntervalMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#indexMemoMs = Math.max(0, options.indexMemoMs ?? 1000);
  }

  // Keys are hashed: KV keys are limited to 512 bytes, repository paths not.
  #indexKey(kind: IndexKind, key: string): string {
    const h = digestOf(new TextEncoder().encode(key)).slice("sha256:".length);
    return `${this.#prefix}${kind}/${h}`;
  }

  #contentKey(digest: string): string {
    return `${this.#prefix}blobs/${digest.replace(":", "/")}`;
  }

  #mayWrite(kvKey: string): boolean {
    const last = this.#lastWrite.get(kvKey);
    return last === undefined ||
      this.#now() - last >= KV_MIN_WRITE_INTERVAL_MS;
  }

  #wrote(kvKey: string): void {
    remember(this.#lastWrite, kvKey, this.#now());
  }

  /** The newest of KV's entry and this isolate's knowledge of it. */
  async getIndex<K extends IndexKind>(
    kind: K,
    key: string,
  ): Promise<IndexRecordOf<K> | undefined> {
    const kvKey = this.#indexKey(kind, key);
    const { value, metadata } = await this.#readIndex(kvKey);
    const fromKv = value === null
      ? undefined
      : decode(kind, key, value, metadata);
    if (fromKv && value !== null) {
      remember(this.#stored, kvKey, {
        body: value,
        etag: fromKv.etag,
        fetchedAt: fromKv.fetchedAt,
      });
    }
    const known = this.#newest.get(kvKey);
    if (known && (!fromKv || known.fetchedAt >= fromKv.fetchedAt)) {
      return structuredClone(known) as IndexRecordOf<K>;
    }
    if (known) this.#newest.delete(kvKey);
    return fromKv as IndexRecordOf<K> | undefined;
  }

  async #readIndex(
    kvKey: string,
  ): Promise<{ value: string | null; metadata: unknown }> {
    const memo = this.#indexMemo.get(kvKey);
    const now = this.#now();
    if (memo && now - memo.at < this.#indexMemoMs) return memo;
    const { value, metadata } = await this.#kv.getWithMetadata(kvKey, {
      type: "text",
    });
    if (this.#indexMemoMs > 0) {
      setBounded(
        this.#indexMemo,
        kvKey,
        { value, metadata, at: now },
        MEMO_LIMIT,
      );
    }
    return { value, metadata };
  }

  /**
   * Stores an entry unless KV already holds the same answer confirmed
   * recently enough, or this key was written less than a second ago (this
   * isolate then still answers with the newer record).
   */
  async putIndex(record: IndexRecord): Promise<void> {
    const kvKey = this.#indexKey(record.kind, record.key);
    const body = JSON.stringify(valueOf(record));
    if (utf8Length(body) > KV_MAX_VALUE_BYTES) {
      throw new TooLargeError(
        `cache: entry for ${record.key} exceeds the KV value limit`,
      );
    }
    remember(this.#newest, kvKey, structuredClone(record));
    const stored = this.#stored.get(kvKey);
    if (
      stored && stored.body === body && stored.etag === record.etag &&
      record.fetchedAt - stored.fetchedAt < this.#rewriteInterval
    ) {
      return;
    }
    if (!this.#mayWrite(kvKey)) return;
    const metadata: IndexMetadata = { fetchedAt: record.fetchedAt };
    if (record.etag) {
      const withEtag = { ...metadata, etag: record.etag };
      // An ETag too long for the metadata only costs conditional requests.
      if (utf8Length(JSON.stringify(withEtag)) <= KV_MAX_METADATA_BYTES) {
        metadata.etag = record.etag;
      }
    }
    this.#wrote(kvKey);
    await this.#kv.put(kvKey, body, {
      metadata,
      expirationTtl: this.#indexTtl,
    });
    remember(this.#stored, kvKey, {
      body,
      etag: metadata.etag,
      fetchedAt: record.fetchedAt,
    });
  }

  /** Deletes an entry. */
  async deleteIndex(kind: IndexKind, key: string): Promise<void> {
    const kvKey = this.#indexKey(kind, key);
    this.#newest.delete(kvKey);
    this.#stored.delete(kvKey);
    this.#indexMemo.delete(kvKey);
    this.#wrote(kvKey);
    await this.#kv.delete(kvKey);
  }

  /** Stored content. */
  async getContent(digest: string): Promise<CachedContent | undefined> {
    if (!isValidDigest(digest)) return undefined;
    const kvKey = this.#contentKey(digest);
    let bytes = this.#contentMemo.get(kvKey);
    if (bytes) {
      setBounded(this.#contentMemo, kvKey, bytes, MEMO_LIMIT);
    } else {
      const buf = await this.#kv.get(kvKey, { type: "arrayBuffer" });
      if (buf === null) return undefined;
      bytes = new Uint8Array(buf);
      this.#memoContent(kvKey, bytes);
    }
    return {
      size: bytes.byteLength,
      // A copy: the memo must not be handed to a consumer that keeps it.
      stream: bytesStream(bytes.slice()),
    };
  }

  #memoContent(kvKey: string, bytes: Uint8Array): void {
    if (bytes.byteLength > CONTENT_MEMO_ENTRY_BYTES) return;
    const old = this.#contentMemo.get(kvKey);
    if (old) this.#contentMemoBytes -= old.byteLength;
    this.#contentMemo.set(kvKey, bytes);
    this.#contentMemoBytes += bytes.byteLength;
    for (const [key, value] of this.#contentMemo) {
      if (this.#contentMemoBytes <= CONTENT_MEMO_BYTES) break;
      this.#contentMemo.delete(key);
      this.#contentMemoBytes -= value.byteLength;
    }
  }

  /**
   * A writer for small JSON content; `undefined` for layers, large content,
   * and content this isolate already stored.
   */
  openContentWriter(
    descriptor: Descriptor,
  ): Promise<ContentWriter | undefined> {
    const kvKey = this.#contentKey(descriptor.digest);
    if (
      !isValidDigest(descriptor.digest) ||
      !isJsonMediaType(descriptor.mediaType ?? "") ||
      descriptor.size > this.#maxContent || !this.#mayWrite(kvKey) ||
      this.#contentWritten.has(kvKey)
    ) {
      return Promise.resolve(undefined);
    }
    return Promise.resolve(
      bufferingWriter(this.#maxContent, async (bytes) => {
        this.#wrote(kvKey);
        remember(this.#contentWritten, kvKey, true);
        await this.#kv.put(kvKey, bytes, {
          metadata: { size: bytes.byteLength, mediaType: descriptor.mediaType },
          expirationTtl: this.#contentTtl,
        });
      }),
    );
  }

  /** Deletes content. */
  async deleteContent(digest: string): Promise<void> {
    if (!isValidDigest(digest)) return;
    const kvKey = this.#contentKey(digest);
    this.#contentWritten.delete(kvKey);
    this.#wrote(kvKey);
    await this.#kv.delete(kvKey);
  }
}
