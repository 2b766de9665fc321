/**
 * The tar bytes of a walked directory in fixed-size chunks, read from the
 * files as the consumer pulls.
 *
 * @module
 */
import { closeSync, constants, openSync, readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { KlausOciError, wrapError } from "../errors.ts";
import { blockPadding, TYPE } from "./tar_format.ts";
import { encodeEntryHeader, END_OF_ARCHIVE } from "./tar_writer.ts";
import type { SourceEntry } from "./walk.ts";

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Files up to this size are read with synchronous calls: a tree of
 * thousands of small files costs its file-system calls, and each
 * asynchronous one pays a round trip through the runtime's thread pool.
 * Larger files keep the asynchronous read-ahead, which overlaps the disk
 * with hashing and compression.
 */
const SYNC_READ_MAX_BYTES = 256 * 1024;

/**
 * Options of {@linkcode tarChunks}.
 */
export interface TarChunkOptions {
  /** Bytes per chunk; every chunk but the last is exactly this long. */
  chunkSize: number;
  /**
   * Rotate three buffers instead of allocating one per chunk: a chunk then
   * stays valid only until the chunk after the next is requested. For
   * consumers that copy or hash and let go.
   */
  reuse?: boolean;
}

/**
 * The tar archive of `entries` (Go `archive/tar` headers, `mtime` for
 * every entry, owners 0, no names), file data read straight into the chunk
 * being filled. A file that shrank since the walk errors the iteration.
 */
export async function* tarChunks(
  entries: readonly SourceEntry[],
  mtime: number,
  options: TarChunkOptions,
): AsyncGenerator<Uint8Array, void, unknown> {
  const size = options.chunkSize;
  // Three buffers when reused: the chunk the consumer holds, the one before
  // it (still valid, see TarChunkOptions.reuse) and the one being read ahead.
  const ring = options.reuse
    ? [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)]
    : undefined;
  let turn = 0;
  const next = () => ring ? ring[turn++ % 3] : new Uint8Array(size);
  let buf = next();
  let off = 0;

  function* put(bytes: Uint8Array): Generator<Uint8Array> {
    let p = 0;
    while (p < bytes.byteLength) {
      const n = Math.min(size - off, bytes.byteLength - p);
      buf.set(bytes.subarray(p, p + n), off);
      off += n;
      p += n;
      if (off === size) {
        yield buf;
        buf = next();
        off = 0;
      }
    }
  }

  for (const e of entries) {
    yield* put(encodeEntryHeader({
      name: e.name,
      typeflag: e.type === "directory" ? TYPE.dir : TYPE.reg,
      mode: e.mode,
      size: e.size,
      mtime,
    }));
    if (e.type !== "file") continue;

    if (e.size <= SYNC_READ_MAX_BYTES) {
      let fd: number;
      try {
        fd = openSync(e.path, constants.O_RDONLY | NO_FOLLOW);
      } catch (err) {
        throw wrapError(`opening ${e.path}`, err);
      }
      try {
        let left = e.size;
        while (left > 0) {
          let n: number;
          try {
            n = readSync(fd, buf, off, Math.min(size - off, left), null);
          } catch (err) {
            throw wrapError(`reading ${e.path}`, err);
          }
          if (n === 0) throw shrank(e.path);
          off += n;
          left -= n;
          if (off === size) {
            const full = buf;
            buf = next();
            off = 0;
            yield full;
          }
        }
      } finally {
        closeSync(fd);
      }
      yield* put(new Uint8Array(blockPadding(e.size)));
      continue;
    }

    let fh: FileHandle;
    try {
      fh = await open(e.path, constants.O_RDONLY | NO_FOLLOW);
    } catch (err) {
      throw wrapError(`opening ${e.path}`, err);
    }
    // A read started before handing out a full chunk, so the disk (the
    // runtime's I/O threads) works while the consumer hashes or compresses.
    let ahead: Promise<ReadOutcome> | undefined;
    const read = (n: number): Promise<ReadOutcome> =>
      fh.read(buf, off, n, null).then(
        (r) => ({ bytes: r.bytesRead }),
        (error) => ({ error }),
      );
    try {
      let left = e.size;
      while (left > 0) {
        const r = await (ahead ?? read(Math.min(size - off, left)));
        ahead = undefined;
        if ("error" in r) throw wrapError(`reading ${e.path}`, r.error);
        if (r.bytes === 0) throw shrank(e.path);
        off += r.bytes;
        left -= r.bytes;
        if (off === size) {
          const full = buf;
          buf = next();
          off = 0;
          if (left > 0) ahead = read(Math.min(size, left));
          yield full;
        }
      }
    } finally {
      // Never close the file under a read in flight (consumer stopped early).
      if (ahead) await ahead;
      await fh.close();
    }
    yield* put(new Uint8Array(blockPadding(e.size)));
  }
  yield* put(END_OF_ARCHIVE);
  if (off > 0) yield buf.subarray(0, off);
}

type ReadOutcome = { bytes: number } | { error: unknown };

function shrank(path: string): KlausOciError {
  return new KlausOciError(
    `reading ${path}: file shrank while it was being archived`,
  );
}
