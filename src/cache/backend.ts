/**
 * The storage interface behind the cache: index entries (what a tag, a tag
 * list or a catalog answered, and when) and immutable content by digest.
 * The policy (freshness, revalidation, verification) lives in
 * {@linkcode CachingStore}; a backend only stores and forgets.
 *
 * @module
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { concatBytes } from "../_bytes.ts";

/**
 * The three kinds of index entries, named like the Go cache's folders:
 * what a tag points at, tag lists and repository catalogs.
 *
 * @example
 * ```ts
 * import type { IndexKind } from "@klaus/oci";
 * const kinds: IndexKind[] = ["refs", "tags", "catalog"];
 * console.log(kinds.length); // 3
 * ```
 */
export type IndexKind = "refs" | "tags" | "catalog";

/**
 * Fields every index entry has.
 *
 * @example
 * ```ts
 * import type { IndexRecordBase } from "@klaus/oci";
 * const age = (r: IndexRecordBase) => Date.now() - r.fetchedAt;
 * console.log(age({ key: "localhost:5000/plugins/base", fetchedAt: Date.now() }) < 1000); // true
 * ```
 */
export interface IndexRecordBase {
  /** The cache key (`host/repo:tag`, `host/repo`, or a registry base + `/`). */
  key: string;
  /** When the answer was fetched or last confirmed, in epoch milliseconds. */
  fetchedAt: number;
  /** The registry's ETag for the answer, for conditional revalidation. */
  etag?: string;
}

/**
 * What a tag pointed at.
 *
 * @example
 * ```ts
 * import type { RefRecord } from "@klaus/oci";
 * const r: RefRecord = {
 *   kind: "refs", key: "localhost:5000/plugins/base:v1", fetchedAt: Date.now(),
 *   descriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: "sha256:" + "0".repeat(64), size: 2 },
 * };
 * console.log(r.descriptor.digest);
 * ```
 */
export interface RefRecord extends IndexRecordBase {
  /** Discriminant. */
  kind: "refs";
  /** The manifest descriptor (media type, digest, size). */
  descriptor: Descriptor;
}

/**
 * Every tag of a repository.
 *
 * @example
 * ```ts
 * import type { TagsRecord } from "@klaus/oci";
 * const r: TagsRecord = { kind: "tags", key: "localhost:5000/plugins/base", fetchedAt: 0, tags: ["v1"] };
 * console.log(r.tags.length);
 * ```
 */
export interface TagsRecord extends IndexRecordBase {
  /** Discriminant. */
  kind: "tags";
  /** The tags, in registry order. */
  tags: string[];
}

/**
 * Every repository below a registry base.
 *
 * @example
 * ```ts
 * import type { CatalogRecord } from "@klaus/oci";
 * const r: CatalogRecord = { kind: "catalog", key: "localhost:5000/plugins/", fetchedAt: 0, repositories: [] };
 * console.log(r.repositories.length);
 * ```
 */
export interface CatalogRecord extends IndexRecordBase {
  /** Discriminant. */
  kind: "catalog";
  /** Full repository names (`host/prefix/name`). */
  repositories: string[];
}

/**
 * Any index entry; `kind` tells which.
 *
 * @example
 * ```ts
 * import type { IndexRecord } from "@klaus/oci";
 * function describe(r: IndexRecord): string {
 *   switch (r.kind) {
 *     case "refs": return `${r.key} -> ${r.descriptor.digest}`;
 *     case "tags": return `${r.key}: ${r.tags.length} tags`;
 *     case "catalog": return `${r.key}: ${r.repositories.length} repositories`;
 *   }
 * }
 * console.log(describe({ kind: "tags", key: "localhost:5000/plugins/base", fetchedAt: 0, tags: ["v1"] }));
 * ```
 */
export type IndexRecord = RefRecord | TagsRecord | CatalogRecord;

/**
 * The index entry type of a kind.
 *
 * @example
 * ```ts
 * import type { IndexRecordOf } from "@klaus/oci";
 * const r: IndexRecordOf<"tags"> = { kind: "tags", key: "localhost:5000/plugins/base", fetchedAt: 0, tags: ["v1"] };
 * console.log(r.tags); // ["v1"]
 * ```
 */
export type IndexRecordOf<K extends IndexKind> = Extract<
  IndexRecord,
  { kind: K }
>;

/**
 * Cached content, opened for reading. Cancel the stream if it is not read.
 *
 * @example
 * ```ts
 * import type { CachedContent } from "@klaus/oci";
 * const content: CachedContent = { size: 2, stream: new Blob(["{}"]).stream() };
 * console.log(await new Response(content.stream).text()); // {}
 * ```
 */
export interface CachedContent {
  /** Size in bytes of the stored content. */
  size: number;
  /** The stored bytes (not verified by the backend). */
  stream: ReadableStream<Uint8Array>;
}

/**
 * An open write of content into a backend. Nothing is visible to readers
 * until {@linkcode ContentWriter.commit}; {@linkcode ContentWriter.abort}
 * discards what was written. Both may be called more than once.
 *
 * @example Write content into a memory backend and read it back
 * ```ts
 * import { MemoryCacheBackend } from "@klaus/oci";
 * const backend = new MemoryCacheBackend();
 * const bytes = new TextEncoder().encode("{}");
 * const digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
 * const writer = await backend.openContentWriter({ mediaType: "application/json", digest, size: 2 });
 * await writer?.write(bytes);
 * await writer?.commit();
 * const content = await backend.getContent(digest);
 * console.log(await new Response(content?.stream).text()); // {}
 * ```
 */
export interface ContentWriter {
  /** Appends bytes. */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the content visible; the caller has verified it. */
  commit(): Promise<void>;
  /** Discards the content. */
  abort(): Promise<void>;
}

/**
 * Where the client's registry cache keeps its entries (exported as
 * `CacheStore`, the Go module's name): the filesystem
 * ({@linkcode FsCacheBackend}), memory ({@linkcode MemoryCacheBackend}),
 * Workers KV ({@linkcode KvCacheBackend}), or your own, passed as
 * `cache.store` of {@linkcode ClientOptions}. Methods may throw; the cache
 * treats every backend failure as a miss or a skipped write. The cache
 * decides freshness and verifies content; a backend only stores and
 * forgets.
 *
 * @example A backend that stores nothing
 * ```ts
 * import { Client, type CacheStore } from "@klaus/oci";
 * const none: CacheStore = {
 *   maxBytes: 0,
 *   getIndex: () => Promise.resolve(undefined),
 *   putIndex: () => Promise.resolve(),
 *   deleteIndex: () => Promise.resolve(),
 *   getContent: () => Promise.resolve(undefined),
 *   openContentWriter: () => Promise.resolve(undefined),
 *   deleteContent: () => Promise.resolve(),
 * };
 * const client = new Client({ cache: { store: none } });
 * await client.close();
 * ```
 */
export interface CacheBackend {
  /** Content budget in bytes (0: unbounded or not applicable). */
  readonly maxBytes: number;
  /** The entry stored under `key`, or `undefined` (missing or unreadable). */
  getIndex<K extends IndexKind>(
    kind: K,
    key: string,
  ): Promise<IndexRecordOf<K> | undefined>;
  /** Stores (replaces) an entry. */
  putIndex(record: IndexRecord): Promise<void>;
  /** Forgets an entry. */
  deleteIndex(kind: IndexKind, key: string): Promise<void>;
  /** Opens stored content, or `undefined`; a hit counts as a use (LRU). */
  getContent(digest: string): Promise<CachedContent | undefined>;
  /**
   * Starts storing content, or returns `undefined` when this backend does
   * not keep content like it (too large, a layer in KV, …).
   */
  openContentWriter(descriptor: Descriptor): Promise<ContentWriter | undefined>;
  /** Forgets content. */
  deleteContent(digest: string): Promise<void>;
}

/**
 * Stores `bytes` (already verified against `descriptor`) through a
 * {@linkcode ContentWriter}; returns whether the backend kept them.
 */
export async function writeContent(
  backend: CacheBackend,
  descriptor: Descriptor,
  bytes: Uint8Array,
): Promise<boolean> {
  const writer = await backend.openContentWriter(descriptor);
  if (!writer) return false;
  try {
    await writer.write(bytes);
    await writer.commit();
    return true;
  } catch (e) {
    await writer.abort().catch(() => {});
    throw e;
  }
}

/**
 * Reads all of a stream into one array, refusing more than `limit` bytes
 * (the stream is cancelled then, and `undefined` returned).
 */
export async function readAllBounded(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, total);
}

/**
 * A {@linkcode ContentWriter} that buffers in memory and hands the bytes to
 * `store` on commit, or drops them once they pass `limit` (`<= 0`: no
 * limit). The memory and KV backends differ only in where the bytes go.
 */
export function bufferingWriter(
  limit: number,
  store: (bytes: Uint8Array) => Promise<void> | void,
): ContentWriter {
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  return {
    write: (chunk) => {
      if (chunks) {
        chunks.push(chunk.slice());
        size += chunk.byteLength;
        if (limit > 0 && size > limit) chunks = undefined;
      }
      return Promise.resolve();
    },
    commit: async () => {
      if (!chunks) return;
      const bytes = concatBytes(chunks, size);
      chunks = undefined;
      await store(bytes);
    },
    abort: () => {
      chunks = undefined;
      return Promise.resolve();
    },
  };
}
