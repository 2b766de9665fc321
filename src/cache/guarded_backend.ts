/**
 * A backend whose failures never reach the caller: a cache that cannot read
 * answers "miss", one that cannot write skips the write, and the error goes
 * to a callback (a full disk must not fail a pull that the registry can
 * serve).
 *
 * @module
 */
import type { Descriptor } from "../oci/descriptor.ts";
import {
  type CacheBackend,
  type CachedContent,
  type ContentWriter,
  type IndexKind,
  type IndexRecord,
  type IndexRecordOf,
  writeContent,
} from "./backend.ts";

/** {@linkcode CacheBackend} calls with failures reported, not thrown. */
export class GuardedBackend {
  /** The backend guarded. */
  readonly backend: CacheBackend;
  /** Receives every failure. */
  readonly onError: (error: unknown) => void;

  /** Guards `backend`, reporting failures to `onError`. */
  constructor(backend: CacheBackend, onError: (error: unknown) => void) {
    this.backend = backend;
    this.onError = onError;
  }

  async #try<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.onError(e);
      return fallback;
    }
  }

  /** The entry, or `undefined` (also on failure). */
  getIndex<K extends IndexKind>(
    kind: K,
    key: string,
  ): Promise<IndexRecordOf<K> | undefined> {
    return this.#try(() => this.backend.getIndex(kind, key), undefined);
  }

  /** Stores an entry if it can. */
  putIndex(record: IndexRecord): Promise<void> {
    return this.#try(() => this.backend.putIndex(record), undefined);
  }

  /** Forgets an entry if it can. */
  deleteIndex(kind: IndexKind, key: string): Promise<void> {
    return this.#try(() => this.backend.deleteIndex(kind, key), undefined);
  }

  /** Opens content, or `undefined` (also on failure). */
  getContent(digest: string): Promise<CachedContent | undefined> {
    return this.#try(() => this.backend.getContent(digest), undefined);
  }

  /** A writer, or `undefined` when declined or failing. */
  openContentWriter(d: Descriptor): Promise<ContentWriter | undefined> {
    return this.#try(() => this.backend.openContentWriter(d), undefined);
  }

  /** Stores verified bytes if it can. */
  putContent(d: Descriptor, bytes: Uint8Array): Promise<void> {
    return this.#try(async () => {
      await writeContent(this.backend, d, bytes);
    }, undefined);
  }

  /** Forgets content if it can. */
  deleteContent(digest: string): Promise<void> {
    return this.#try(() => this.backend.deleteContent(digest), undefined);
  }
}
