/**
 * Streaming, reproducible tar.gz of a directory: the content layer of a
 * plugin or personality.
 *
 * The archive depends only on the names, contents and permission bits of
 * the files: owners are 0 with empty names, every mtime is the same
 * constant, and gzip writes no name or time. Packing the same tree twice on
 * the same runtime therefore gives the same bytes and digest, which lets a
 * push compute the digest in one pass and upload in a second without keeping
 * the archive anywhere.
 *
 * Compression is adaptive (`adaptive_gzip.ts`): with `node:zlib` (Deno,
 * Node, Bun, workerd) compressible 1 MiB chunks are deflated at level 6 and
 * incompressible ones stored, in one gzip member; without it the whole
 * archive goes through `CompressionStream("gzip")`. Stored chunks are the
 * same bytes everywhere; deflated ones depend on the runtime's zlib (Deno,
 * Node and Bun each write different deflate output).
 *
 * @module
 */
import { TooLargeError } from "../errors.ts";
import { type DigestAlgorithm, Digester } from "../oci/digest.ts";
import {
  frameStored,
  GZIP_CHUNK_SIZE,
  piecesStream,
  storedSize,
} from "./adaptive_gzip.ts";
import { gzipStream } from "./gzip.ts";
import {
  type ArchiveLimits,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
} from "./limits.ts";
import { loadZlib } from "./node_zlib.ts";
import { layerPieces, registerPacked } from "./packed_layer.ts";
import { tarChunks } from "./tar_chunks.ts";
import { blockPadding, TYPE } from "./tar_format.ts";
import { encodeEntryHeader, END_OF_ARCHIVE } from "./tar_writer.ts";
import { type PackEntry, type SourceEntry, walkDirectory } from "./walk.ts";

/** Size of the chunks the uncompressed tar stream produces. */
const CHUNK_SIZE = 64 * 1024;

/**
 * Options of {@linkcode packDirectory}.
 */
export interface PackOptions {
  /**
   * Modification time written for every entry, in seconds since the epoch
   * (default 0). Real mtimes are never used: they would make the digest
   * change on every checkout.
   */
  mtime?: number;
  /**
   * The limits of the pull that must accept the archive (default: a pull's
   * defaults — {@linkcode DEFAULT_MAX_FILE_BYTES} per file,
   * {@linkcode DEFAULT_MAX_TOTAL_BYTES} of tar data,
   * {@linkcode DEFAULT_MAX_ENTRIES} entries). A tree over any of them is
   * refused with a {@linkcode TooLargeError} before a file is read: an
   * artifact made from it could be pushed but not pulled.
   */
  limits?: ArchiveLimits;
  /**
   * Pack a tree over `limits` anyway (for pulls configured with larger
   * limits); each excess is reported through `onWarning` instead.
   */
  allowOversize?: boolean;
  /** Hears each excess `allowOversize` lets through. */
  onWarning?: (warning: string) => void;
}

/**
 * Digest and size of a packed archive.
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
 * Walks `dir` (the Go module's entry order and exclusions) and returns a
 * {@linkcode PackedDirectory} whose streams produce the archive. Errors of
 * the walk reject here; errors while reading files (a file that shrank or
 * disappeared since the walk) error the stream.
 *
 * A tree whose archive a pull would refuse — a file over the per-file
 * limit, more tar data or more entries than allowed (`options.limits`,
 * default a pull's defaults) — is refused here with a
 * {@linkcode TooLargeError} naming the file or the total and the limit,
 * unless `options.allowOversize` is set (then `options.onWarning` hears
 * each excess). The Go module packs such trees and refuses them only on
 * pull (per file; it has no total or entry limit).
 */
export async function packDirectory(
  dir: string,
  options: PackOptions = {},
): Promise<PackedDirectory> {
  const sources = await walkDirectory(dir);
  const mtime = options.mtime ?? 0;
  const excesses = pullLimitExcesses(sources, mtime, options.limits ?? {});
  if (excesses.length > 0 && !options.allowOversize) {
    throw new TooLargeError(
      `${excesses[0]}: a pull would refuse it (allowOversize packs it anyway)`,
    );
  }
  for (const excess of excesses) {
    options.onWarning?.(`${excess}: a pull with these limits refuses it`);
  }
  const entries: PackEntry[] = sources.map(({ name, type, mode, size }) => ({
    name,
    type,
    mode,
    size,
  }));
  const tarStream = () =>
    iteratorStream(tarChunks(sources, mtime, { chunkSize: CHUNK_SIZE }));
  const packed: PackedDirectory = {
    dir,
    entries,
    stream() {
      return lazyStream(async () => {
        const zlib = await loadZlib();
        if (!zlib) return gzipStream(tarStream());
        return piecesStream(layerPieces(packed, zlib)!);
      });
    },
    tarStream,
    async digest(algorithm: DigestAlgorithm = "sha256") {
      const d = new Digester(algorithm);
      const zlib = await loadZlib();
      if (!zlib) {
        const reader = packed.stream().getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          d.update(r.value);
        }
        return { digest: d.digest(), size: d.size };
      }
      // Hashes stored chunks framed into one reused buffer: no allocation
      // per chunk.
      const scratch = new Uint8Array(storedSize(GZIP_CHUNK_SIZE));
      for await (const p of layerPieces(packed, zlib)!) {
        d.update(p.kind === "stored" ? frameStored(p.bytes, scratch) : p.bytes);
      }
      return { digest: d.digest(), size: d.size };
    },
  };
  registerPacked(packed, sources, mtime);
  return packed;
}

/**
 * What a pull with `limits` would refuse in the archive of `sources`, in
 * archive order (each file over the per-file limit, then the total tar
 * bytes and the entry count), worded like the pull's own errors.
 */
function pullLimitExcesses(
  sources: readonly SourceEntry[],
  mtime: number,
  limits: ArchiveLimits,
): string[] {
  const maxFile = limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const out: string[] = [];
  // The exact length of the tar stream, which is what a pull counts:
  // headers (with PAX records for long names), data, padding, end marker.
  let total = END_OF_ARCHIVE.byteLength;
  for (const e of sources) {
    if (e.type === "file" && e.size > maxFile) {
      out.push(
        `file ${e.name} (${e.size} bytes) exceeds max size (${maxFile} bytes)`,
      );
    }
    total += encodeEntryHeader({
      name: e.name,
      typeflag: e.type === "directory" ? TYPE.dir : TYPE.reg,
      mode: e.mode,
      size: e.size,
      mtime,
    }).byteLength + e.size + blockPadding(e.size);
  }
  if (total > maxTotal) {
    out.push(
      `archive (${total} bytes of tar data) exceeds max total size (${maxTotal} bytes)`,
    );
  }
  if (sources.length > maxEntries) {
    out.push(
      `archive (${sources.length} entries) exceeds max entry count (${maxEntries})`,
    );
  }
  return out;
}

/**
 * A stream that creates its source on the first read (the choice of
 * compressor needs an `await`).
 */
function lazyStream(
  open: () => Promise<ReadableStream<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= (await open()).getReader();
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  }, { highWaterMark: 0 });
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
