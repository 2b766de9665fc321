/**
 * Streaming, reproducible tar.gz of a directory: the content layer of a
 * plugin or personality.
 *
 * The archive depends only on the names, contents and permission bits of
 * the files: owners are 0 with empty names, every mtime is the same
 * constant, and gzip writes no name or time. Packing the same tree twice on
 * the same runtime therefore gives the same bytes and digest, which lets a
 * push compute the digest in one pass and upload in a second without keeping
 * the archive anywhere. (Different runtimes may compress differently: Deno
 * and Node use different deflate implementations.)
 *
 * @module
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { KlausOciError, wrapError } from "../errors.ts";
import { type DigestAlgorithm, Digester } from "../oci/digest.ts";
import { gzipStream } from "./gzip.ts";
import { blockPadding, TYPE } from "./tar_format.ts";
import { encodeEntryHeader, END_OF_ARCHIVE } from "./tar_writer.ts";
import { type PackEntry, type SourceEntry, walkDirectory } from "./walk.ts";

/** Size of the chunks the packed stream produces. */
const CHUNK_SIZE = 64 * 1024;

/**
 * Options of {@linkcode packDirectory}.
 *
 * @example
 * ```ts
 * import type { PackOptions } from "@klaus/oci";
 * const o: PackOptions = { mtime: 0 };
 * console.log(o.mtime);
 * ```
 */
export interface PackOptions {
  /**
   * Modification time written for every entry, in seconds since the epoch
   * (default 0). Real mtimes are never used: they would make the digest
   * change on every checkout.
   */
  mtime?: number;
}

/**
 * Digest and size of a packed archive.
 *
 * @example
 * ```ts
 * import type { PackedDigest } from "@klaus/oci";
 * const d: PackedDigest = { digest: "sha256:…", size: 1024 };
 * console.log(d.size);
 * ```
 */
export interface PackedDigest {
  /** `<alg>:<hex>` digest of the tar.gz bytes. */
  digest: string;
  /** Length of the tar.gz in bytes. */
  size: number;
}

/**
 * A directory ready to be archived. The tree was walked once; every call of
 * {@linkcode PackedDirectory.stream} reads the files again, lazily, as the
 * consumer pulls.
 *
 * @example
 * ```ts
 * import { packDirectory } from "@klaus/oci";
 * const packed = await packDirectory("./my-plugin");
 * const { digest, size } = await packed.digest();
 * await fetch("https://registry.example/upload?digest=" + digest, {
 *   method: "PUT",
 *   body: packed.stream(),
 *   headers: { "content-length": String(size) },
 *   duplex: "half",
 * } as RequestInit);
 * ```
 */
export interface PackedDirectory {
  /** The directory that was walked. */
  readonly dir: string;
  /** What the archive contains, in archive order. */
  readonly entries: readonly PackEntry[];
  /** A fresh tar.gz stream of the directory. */
  stream(): ReadableStream<Uint8Array>;
  /** A fresh uncompressed tar stream of the directory. */
  tarStream(): ReadableStream<Uint8Array>;
  /** Packs once, hashing as it goes, and returns digest and size. */
  digest(algorithm?: DigestAlgorithm): Promise<PackedDigest>;
}

/**
 * Walks `dir` (spec §2.4 order and exclusions) and returns a
 * {@linkcode PackedDirectory} whose streams produce the archive. Errors of
 * the walk reject here; errors while reading files (a file that shrank or
 * disappeared since the walk) error the stream.
 *
 * @example
 * ```ts
 * import { packDirectory } from "@klaus/oci";
 * const packed = await packDirectory(".");
 * console.log(packed.entries.map((e) => e.name));
 * const bytes = await new Response(packed.stream()).arrayBuffer();
 * console.log(bytes.byteLength);
 * ```
 */
export async function packDirectory(
  dir: string,
  options: PackOptions = {},
): Promise<PackedDirectory> {
  const sources = await walkDirectory(dir);
  const mtime = options.mtime ?? 0;
  const entries: PackEntry[] = sources.map(({ name, type, mode, size }) => ({
    name,
    type,
    mode,
    size,
  }));
  const tarStream = () => iteratorStream(tarChunks(sources, mtime));
  const stream = () => gzipStream(tarStream());
  return {
    dir,
    entries,
    stream,
    tarStream,
    async digest(algorithm: DigestAlgorithm = "sha256") {
      const d = new Digester(algorithm);
      const reader = stream().getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        d.update(r.value);
      }
      return { digest: d.digest(), size: d.size };
    },
  };
}

/** A pull-driven stream over an async iterator; cancel ends the iterator. */
function iteratorStream(
  it: AsyncGenerator<Uint8Array, void, unknown>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await it.return();
    },
  }, { highWaterMark: 0 });
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The tar bytes in fixed-size chunks. File data is read straight into the
 * chunk being filled; every chunk is a new buffer because the consumer may
 * keep it.
 */
async function* tarChunks(
  entries: SourceEntry[],
  mtime: number,
): AsyncGenerator<Uint8Array, void, unknown> {
  let buf = new Uint8Array(CHUNK_SIZE);
  let off = 0;

  function* put(bytes: Uint8Array): Generator<Uint8Array> {
    let p = 0;
    while (p < bytes.byteLength) {
      const n = Math.min(CHUNK_SIZE - off, bytes.byteLength - p);
      buf.set(bytes.subarray(p, p + n), off);
      off += n;
      p += n;
      if (off === CHUNK_SIZE) {
        yield buf;
        buf = new Uint8Array(CHUNK_SIZE);
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

    let fh;
    try {
      fh = await open(e.path, constants.O_RDONLY | NO_FOLLOW);
    } catch (err) {
      throw wrapError(`opening ${e.path}`, err);
    }
    try {
      let left = e.size;
      while (left > 0) {
        const n = Math.min(CHUNK_SIZE - off, left);
        let got: number;
        try {
          got = (await fh.read(buf, off, n, null)).bytesRead;
        } catch (err) {
          throw wrapError(`reading ${e.path}`, err);
        }
        if (got === 0) {
          throw new KlausOciError(
            `reading ${e.path}: file shrank while it was being archived`,
          );
        }
        off += got;
        left -= got;
        if (off === CHUNK_SIZE) {
          yield buf;
          buf = new Uint8Array(CHUNK_SIZE);
          off = 0;
        }
      }
    } finally {
      await fh.close();
    }
    yield* put(new Uint8Array(blockPadding(e.size)));
  }
  yield* put(END_OF_ARCHIVE);
  if (off > 0) yield buf.subarray(0, off);
}
