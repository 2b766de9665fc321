/**
 * A bounded in-memory cache backend: content least-recently-used within a
 * byte budget, index entries least-recently-used within a count.
 *
 * @module
 */
import type { Descriptor } from "../oci/descriptor.ts";
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

/**
 * Options of {@linkcode MemoryCacheBackend}.
 *
 * @example
 * ```ts
 * import { Client, MemoryCacheBackend, type MemoryCacheBackendOptions } from "@klaus/oci";
 * const options: MemoryCacheBackendOptions = { maxBytes: 16 * 1024 * 1024, maxEntries: 1000 };
 * const client = new Client({ cache: { store: new MemoryCacheBackend(options) } });
 * await client.close();
 * ```
 */
export interface MemoryCacheBackendOptions {
  /** Content budget in bytes (default 64 MiB); `<= 0` means unbounded. */
  maxBytes?: number;
  /** Most index entries kept (default 10 000). */
  maxEntries?: number;
}

/** Default content budget of {@linkcode MemoryCacheBackend}: 64 MiB. */
export const DEFAULT_MEMORY_CACHE_MAX_BYTES = 64 * 1024 * 1024;

function cloneRecord<R extends IndexRecord>(r: R): R {
  return structuredClone(r);
}

/**
 * A {@linkcode CacheStore} in memory, for one process or isolate; what
 * `cache: {}` of {@linkcode ClientOptions} uses.
 *
 * @example
 * ```ts
 * import { MemoryCacheBackend } from "@klaus/oci";
 * const cache = new MemoryCacheBackend({ maxBytes: 1 << 20 });
 * await cache.putIndex({ kind: "refs", key: "h/r:v1", fetchedAt: 0, descriptor: { mediaType: "x", digest: "sha256:" + "a".repeat(64), size: 1 } });
 * console.log((await cache.getIndex("refs", "h/r:v1"))?.descriptor.size); // 1
 * ```
 */
export class MemoryCacheBackend implements CacheBackend {
  /** Content budget in bytes (0: unbounded). */
  readonly maxBytes: number;
  readonly #maxEntries: number;
  // Map iteration order is insertion order: re-inserting on use makes the
  // first key the least recently used.
  #index = new Map<string, IndexRecord>();
  #content = new Map<string, Uint8Array>();
  #bytes = 0;

  /** A backend with the given bounds. */
  constructor(options: MemoryCacheBackendOptions = {}) {
    const max = options.maxBytes ?? DEFAULT_MEMORY_CACHE_MAX_BYTES;
    this.maxBytes = max > 0 ? max : 0;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  /** Bytes of content held. */
  get contentBytes(): number {
    return this.#bytes;
  }

  /** The entry, marked as just used. */
  getIndex<K extends IndexKind>(
    kind: K,
    key: string,
  ): Promise<IndexRecordOf<K> | undefined> {
    const id = `${kind}\n${key}`;
    const r = this.#index.get(id);
    if (!r) return Promise.resolve(undefined);
    this.#index.delete(id);
    this.#index.set(id, r);
    return Promise.resolve(cloneRecord(r) as IndexRecordOf<K>);
  }

  /** Stores an entry, dropping the least recently used beyond the count. */
  putIndex(record: IndexRecord): Promise<void> {
    const id = `${record.kind}\n${record.key}`;
    this.#index.delete(id);
    this.#index.set(id, cloneRecord(record));
    for (const old of this.#index.keys()) {
      if (this.#index.size <= this.#maxEntries) break;
      this.#index.delete(old);
    }
    return Promise.resolve();
  }

  /** Forgets an entry. */
  deleteIndex(kind: IndexKind, key: string): Promise<void> {
    this.#index.delete(`${kind}\n${key}`);
    return Promise.resolve();
  }

  /** Content, marked as just used. */
  getContent(digest: string): Promise<CachedContent | undefined> {
    const bytes = this.#content.get(digest);
    if (!bytes) return Promise.resolve(undefined);
    this.#content.delete(digest);
    this.#content.set(digest, bytes);
    const copy = bytes.slice();
    return Promise.resolve({
      size: copy.byteLength,
      stream: bytesStream(copy),
    });
  }

  /** Buffers content; it is stored on commit if it fits the budget. */
  openContentWriter(
    descriptor: Descriptor,
  ): Promise<ContentWriter | undefined> {
    if (this.maxBytes > 0 && descriptor.size > this.maxBytes) {
      return Promise.resolve(undefined);
    }
    return Promise.resolve(
      bufferingWriter(
        this.maxBytes,
        (bytes) => this.#insert(descriptor.digest, bytes),
      ),
    );
  }

  /** Forgets content. */
  deleteContent(digest: string): Promise<void> {
    const old = this.#content.get(digest);
    if (old) {
      this.#content.delete(digest);
      this.#bytes -= old.byteLength;
    }
    return Promise.resolve();
  }

  #insert(digest: string, bytes: Uint8Array): void {
    const old = this.#content.get(digest);
    if (old) {
      this.#content.delete(digest);
      this.#bytes -= old.byteLength;
    }
    this.#content.set(digest, bytes);
    this.#bytes += bytes.byteLength;
    if (this.maxBytes === 0) return;
    for (const [d, b] of this.#content) {
      if (this.#bytes <= this.maxBytes) break;
      this.#content.delete(d);
      this.#bytes -= b.byteLength;
    }
  }
}
