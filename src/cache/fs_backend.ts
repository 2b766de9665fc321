/**
 * The filesystem cache backend, in the Go cache's layout (so klausctl and
 * this library can share a directory) minus its doubled blob path:
 *
 * ```text
 * <dir>/blobs/sha256/<hex>          content, named by digest
 * <dir>/refs/<sha256(key)>.json     what a tag points at
 * <dir>/tags/<sha256(key)>.json     tag lists
 * <dir>/catalog/<sha256(key)>.json  repository catalogs
 * ```
 *
 * Many processes may share one directory without locks: every file is
 * written to `<name>.tmp.<16 hex>` (O_EXCL) and renamed into place, so
 * readers see a whole old file, a whole new file, or none; readers treat
 * vanished, unreadable and foreign files as misses.
 *
 * The content budget is enforced by deleting the least recently used files;
 * a hit refreshes a file's modification time, so use — not insertion —
 * decides what goes (the Go cache never evicted). Summing the
 * directory costs a `stat` per file, so a process does it after an insert
 * only when its running total passes the budget or its last pass is more
 * than {@linkcode EVICTION_RECOUNT_MS} old, and then evicts down to 90 % of
 * the budget so the next pass is not due at the next insert. Between two
 * passes, other processes' inserts can exceed the budget briefly.
 *
 * @module
 */
import {
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  utimes,
} from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { digestOf, isValidDigest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  isNotFound,
  randomHex,
  writeAll,
  writeFileAtomic,
} from "../layout/fs_util.ts";
import type {
  CacheBackend,
  CachedContent,
  ContentWriter,
  IndexKind,
  IndexRecord,
  IndexRecordOf,
} from "./backend.ts";
import { decodeIndexJson, encodeIndexJson } from "./index_json.ts";
import { DEFAULT_CACHE_MAX_BYTES, MAX_INDEX_ENTRY_BYTES } from "./constants.ts";

/**
 * Options of {@linkcode FsCacheBackend}.
 *
 * @example
 * ```ts
 * import type { FsCacheBackendOptions } from "@klaus/oci";
 * const options: FsCacheBackendOptions = { maxBytes: 512 * 1024 * 1024 };
 * console.log(options.maxBytes);
 * ```
 */
export interface FsCacheBackendOptions {
  /**
   * Content budget in bytes (default 2 GiB); `<= 0` disables eviction.
   * Content larger than the budget is not stored.
   */
  maxBytes?: number;
  /** Clock for recency stamps (epoch ms); default `Date.now`. */
  now?: () => number;
}

const READ_CHUNK = 256 * 1024;
/** Longest a process trusts its running total of the content size. */
export const EVICTION_RECOUNT_MS = 10_000;
// Eviction frees down to this share of the budget.
const LOW_WATER = 0.9;
const STAT_BATCH = 64;
// A temp file this old belongs to a writer that died.
const ABANDONED_TEMP_MS = 60 * 60 * 1000;
const TEMP_MARK = ".tmp.";

// The Go cache names index files by the SHA-256 of the key.
function keyHash(key: string): string {
  return digestOf(new TextEncoder().encode(key)).slice("sha256:".length);
}

function fileStream(handle: FileHandle): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buf = new Uint8Array(READ_CHUNK);
        const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
        } else {
          controller.enqueue(buf.subarray(0, bytesRead));
        }
      } catch (e) {
        await close();
        controller.error(e);
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * The whole file at `path` if it has at most `limit` bytes; `undefined`
 * when it is missing, unreadable or bigger (checked before reading, and
 * again while reading, in case it grows).
 */
async function readBounded(
  path: string,
  limit: number,
): Promise<Uint8Array | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    if (size > limit) return undefined;
    // One byte more than the limit reveals a file that grew meanwhile.
    const buf = new Uint8Array(Math.min(size, limit) + 1);
    let n = 0;
    while (n < buf.byteLength) {
      const { bytesRead } = await handle.read(buf, n, buf.byteLength - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return n > limit || n > size ? undefined : buf.subarray(0, n);
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * A {@linkcode CacheStore} in a directory, shared safely by processes; what
 * `cache: { dir }` of {@linkcode ClientOptions} uses.
 *
 * @example
 * ```ts
 * import { Client, FsCacheBackend } from "@klaus/oci";
 * const dir = await Deno.makeTempDir();
 * const cache = new FsCacheBackend(dir, { maxBytes: 64 * 1024 * 1024 });
 * await cache.putIndex({ kind: "tags", key: "localhost:5000/plugins/base", tags: ["v1"], fetchedAt: Date.now() });
 * console.log((await cache.getIndex("tags", "localhost:5000/plugins/base"))?.tags); // ["v1"]
 *
 * // A client whose cache directory has a smaller budget than the default 2 GiB.
 * const client = new Client({ cache: { store: cache } });
 * await client.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FsCacheBackend implements CacheBackend {
  /** The cache directory. */
  readonly dir: string;
  /** Content budget in bytes (0: unbounded). */
  readonly maxBytes: number;
  #now: () => number;
  #ready?: Promise<void>;
  #evicting?: Promise<void>;
  #evictAgain = false;
  // Content bytes as of the last pass plus what this process added since.
  #estimate?: number;
  #countedAt = 0;

  /** A backend rooted at `dir` (created on the first write). */
  constructor(dir: string, options: FsCacheBackendOptions = {}) {
    this.dir = dir;
    const max = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.maxBytes = max > 0 ? max : 0;
    this.#now = options.now ?? Date.now;
  }

  #indexPath(kind: IndexKind, key: string): string {
    return join(this.dir, kind, keyHash(key) + ".json");
  }

  #contentPath(digest: string): string | undefined {
    if (!isValidDigest(digest)) return undefined;
    const [alg, h] = digest.split(":");
    return join(this.dir, "blobs", alg, h);
  }

  #prepare(): Promise<void> {
    this.#ready ??= Promise.all(
      ["blobs/sha256", "refs", "tags", "catalog"].map((d) =>
        mkdir(join(this.dir, d), { recursive: true, mode: 0o755 })
      ),
    ).then(() => {}, (e) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  // Runs a write; if its directory vanished (`klausctl cache prune --all`
  // removes the layer directories), makes the directories again and retries.
  async #write<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    await this.#prepare();
    try {
      return await fn();
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.#ready = undefined;
      await this.#prepare();
      await mkdir(dir, { recursive: true, mode: 0o755 });
      return await fn();
    }
  }

  /**
   * The entry for `key`; unreadable, foreign or garbage files are misses,
   * and so is a file over 64 MiB, which is not read at all.
   */
  async getIndex<K extends IndexKind>(
    kind: K,
    key: string,
  ): Promise<IndexRecordOf<K> | undefined> {
    const bytes = await readBounded(
      this.#indexPath(kind, key),
      MAX_INDEX_ENTRY_BYTES,
    );
    if (!bytes) return undefined;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
    return decodeIndexJson(kind, key, text);
  }

  /** Writes an entry atomically (temp file + rename). */
  async putIndex(record: IndexRecord): Promise<void> {
    const path = this.#indexPath(record.kind, record.key);
    const bytes = new TextEncoder().encode(encodeIndexJson(record));
    await this.#write(dirname(path), () => writeFileAtomic(path, bytes));
  }

  /** Deletes an entry (missing is fine). */
  async deleteIndex(kind: IndexKind, key: string): Promise<void> {
    await rm(this.#indexPath(kind, key), { force: true });
  }

  /** Opens content and marks it as just used. */
  async getContent(digest: string): Promise<CachedContent | undefined> {
    const path = this.#contentPath(digest);
    if (!path) return undefined;
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch {
      return undefined;
    }
    try {
      const { size } = await handle.stat();
      const t = this.#now() / 1000;
      // Best effort: an evicting process may have unlinked it already; the
      // open handle still reads the whole file.
      await utimes(path, t, t).catch(() => {});
      return { size, stream: fileStream(handle) };
    } catch {
      await handle.close().catch(() => {});
      return undefined;
    }
  }

  /** Starts writing content to a temp file; `undefined` when over budget. */
  async openContentWriter(
    descriptor: Descriptor,
  ): Promise<ContentWriter | undefined> {
    const path = this.#contentPath(descriptor.digest);
    if (!path || (this.maxBytes > 0 && descriptor.size > this.maxBytes)) {
      return undefined;
    }
    const tmp = `${path}${TEMP_MARK}${randomHex()}`;
    const handle = await this.#write(
      dirname(path),
      () => open(tmp, "wx", 0o644),
    );
    let finished = false;
    const discard = async () => {
      await handle.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
    };
    return {
      write: (chunk) => writeAll(handle, chunk),
      commit: async () => {
        if (finished) return;
        finished = true;
        try {
          await handle.close();
          const t = this.#now() / 1000;
          await utimes(tmp, t, t);
          await rename(tmp, path);
        } catch (e) {
          await discard();
          throw e;
        }
        await this.#afterInsert(descriptor.size);
      },
      abort: async () => {
        if (finished) return;
        finished = true;
        await discard();
      },
    };
  }

  /** Deletes content (missing is fine). */
  async deleteContent(digest: string): Promise<void> {
    const path = this.#contentPath(digest);
    if (path) await rm(path, { force: true });
  }

  async #afterInsert(size: number): Promise<void> {
    if (this.maxBytes === 0) return;
    if (this.#estimate !== undefined) {
      this.#estimate += size;
      const due = this.#estimate > this.maxBytes ||
        Date.now() - this.#countedAt > EVICTION_RECOUNT_MS;
      if (!due) return;
    }
    await this.evict();
  }

  /**
   * Sums the content and, when it is over the budget, deletes the least
   * recently used files down to 90 % of it; also removes temp files
   * abandoned by dead writers. Concurrent calls share one pass (plus one
   * more if asked meanwhile).
   */
  evict(): Promise<void> {
    if (this.#evicting) {
      this.#evictAgain = true;
      return this.#evicting;
    }
    const run = async () => {
      do {
        this.#evictAgain = false;
        await this.#evictOnce();
      } while (this.#evictAgain);
    };
    this.#evicting = run().finally(() => {
      this.#evicting = undefined;
    });
    return this.#evicting;
  }

  async #evictOnce(): Promise<void> {
    const startedAt = Date.now();
    const paths: string[] = [];
    for (const alg of ["sha256", "sha384", "sha512"]) {
      const dir = join(this.dir, "blobs", alg);
      try {
        for (const name of await readdir(dir)) paths.push(join(dir, name));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const files: { path: string; size: number; used: number }[] = [];
    let total = 0;
    for (let i = 0; i < paths.length; i += STAT_BATCH) {
      const batch = paths.slice(i, i + STAT_BATCH);
      const infos = await Promise.all(
        batch.map((p) => stat(p).catch(() => undefined)), // vanished: skip
      );
      for (const [j, info] of infos.entries()) {
        if (!info?.isFile()) continue;
        const path = batch[j];
        if (basename(path).includes(TEMP_MARK)) {
          // Real time on both sides: the injectable clock is for recency.
          if (startedAt - info.mtimeMs > ABANDONED_TEMP_MS) {
            await rm(path, { force: true }).catch(() => {});
          }
          continue;
        }
        files.push({ path, size: info.size, used: info.mtimeMs });
        total += info.size;
      }
    }
    if (this.maxBytes > 0 && total > this.maxBytes) {
      const target = Math.floor(this.maxBytes * LOW_WATER);
      files.sort((a, b) => a.used - b.used);
      for (const f of files) {
        if (total <= target) break;
        await rm(f.path, { force: true }).catch(() => {});
        total -= f.size;
      }
    }
    this.#estimate = total;
    this.#countedAt = startedAt;
  }
}
