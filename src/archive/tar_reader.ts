/**
 * A streaming tar reader: one header at a time, entry data pulled in the
 * chunks the source produces, nothing buffered beyond one chunk (PAX and GNU
 * long-name records, capped at 1 MiB, are the only data it keeps).
 *
 * It reads what Go's `archive/tar` reads: V7, USTAR (with `prefix`), GNU
 * (`L`/`K` long names, base-256 numbers, old sparse headers), PAX `x` records
 * (`path`, `linkpath`, `size`), PAX global `g` headers (returned as entries
 * of type `"pax-global"`, not applied), legacy type `'\0'`.
 *
 * @module
 */
import { KlausOciError, TooLargeError } from "../errors.ts";
import { GunzipError } from "./gzip.ts";
import {
  BLOCK_SIZE,
  blockPadding,
  checksumOk,
  F,
  type HeaderFormat,
  headerFormat,
  isZeroBlock,
  MAX_SPECIAL_FILE_SIZE,
  parsePaxRecords,
  parseString,
  readNumeric,
  readPrefix,
  readString,
  TYPE,
} from "./tar_format.ts";

/**
 * What an entry is, from its typeflag.
 */
export type TarEntryType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "char-device"
  | "block-device"
  | "fifo"
  | "contiguous"
  | "sparse"
  | "pax-global"
  | "other";

/**
 * One entry's header, after PAX records and GNU long names were applied.
 */
export interface TarHeader {
  /** Entry name as stored (not cleaned). */
  name: string;
  /** Link target of hard and symbolic links. */
  linkname: string;
  /** Typeflag character (legacy `'\0'` already mapped to `'0'` or `'5'`). */
  typeflag: string;
  /** Kind of entry. */
  type: TarEntryType;
  /** Mode bits as stored. */
  mode: number;
  /** Bytes of data that follow the header (0 for header-only types). */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** Header flavour. */
  format: HeaderFormat;
}

/**
 * Limits a reader enforces while it reads.
 */
export interface TarReaderOptions {
  /**
   * Most bytes of tar data (headers, entry data, skipped entries, padding,
   * anything after the end marker) that may be read; more is a
   * {@linkcode TooLargeError}. This is what bounds a gzip bomb.
   */
  maxBytes?: number;
  /** Most entries (of any type) the archive may hold. */
  maxEntries?: number;
}

const EMPTY = new Uint8Array(0);
const ERR_HEADER = "reading tar entry: archive/tar: invalid tar header";

const HEADER_ONLY = new Set<string>([
  TYPE.link,
  TYPE.symlink,
  TYPE.char,
  TYPE.block,
  TYPE.dir,
  TYPE.fifo,
]);

function typeOf(typeflag: string): TarEntryType {
  switch (typeflag) {
    case TYPE.reg:
      return "file";
    case TYPE.dir:
      return "directory";
    case TYPE.symlink:
      return "symlink";
    case TYPE.link:
      return "hardlink";
    case TYPE.char:
      return "char-device";
    case TYPE.block:
      return "block-device";
    case TYPE.fifo:
      return "fifo";
    case TYPE.cont:
      return "contiguous";
    case TYPE.gnuSparse:
      return "sparse";
    case TYPE.paxGlobal:
      return "pax-global";
    default:
      return "other";
  }
}

function headerError(): KlausOciError {
  return new KlausOciError(ERR_HEADER);
}

/**
 * Reads a tar stream entry by entry.
 */
export class TarReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = EMPTY;
  #eof = false;
  #ended = false;
  #consumed = 0;
  #entries = 0;
  #remaining = 0;
  #padding = 0;
  #maxBytes: number;
  #maxEntries: number;

  /** Starts reading `stream` (uncompressed tar). */
  constructor(
    stream: ReadableStream<Uint8Array>,
    options: TarReaderOptions = {},
  ) {
    this.#reader = stream.getReader();
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#maxEntries = options.maxEntries ?? Infinity;
  }

  /** Bytes of tar data consumed so far. */
  get bytesRead(): number {
    return this.#consumed;
  }

  /**
   * The next entry's header, or `null` at the end of the archive. Data the
   * caller did not read from the previous entry is skipped.
   */
  async next(): Promise<TarHeader | null> {
    if (this.#ended) return null;
    await this.#skip(this.#remaining + this.#padding);
    this.#remaining = 0;
    this.#padding = 0;

    let pax: Record<string, string> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.#readBlock();
      if (!block) return this.#end();
      if (isZeroBlock(block)) {
        // Go: EOF after one zero block is a clean end too.
        const second = await this.#readBlock();
        if (!second || isZeroBlock(second)) return this.#end();
        throw headerError();
      }
      if (!checksumOk(block)) throw headerError();
      const format = headerFormat(block);
      let typeflag = String.fromCharCode(block[F.typeflag[0]]);
      let size = readNumeric(block, F.size);
      const mode = readNumeric(block, F.mode);
      const mtime = readNumeric(block, F.mtime);
      if (
        size === undefined || mode === undefined || mtime === undefined ||
        readNumeric(block, F.uid) === undefined ||
        readNumeric(block, F.gid) === undefined
      ) {
        throw headerError();
      }

      if (
        typeflag === TYPE.paxLocal || typeflag === TYPE.paxGlobal ||
        typeflag === TYPE.gnuLongName || typeflag === TYPE.gnuLongLink
      ) {
        const data = await this.#readSpecial(size);
        if (typeflag === TYPE.gnuLongName) longName = parseString(data);
        else if (typeflag === TYPE.gnuLongLink) longLink = parseString(data);
        else {
          const records = parsePaxRecords(data);
          if (!records) throw headerError();
          if (typeflag === TYPE.paxLocal) {
            pax = records;
          } else {
            this.#countEntry();
            return {
              name: readString(block, F.name),
              linkname: "",
              typeflag,
              type: "pax-global",
              mode,
              size: 0,
              mtime,
              format,
            };
          }
        }
        continue;
      }

      let name = readString(block, F.name);
      if (format === "ustar") {
        const prefix = readPrefix(block);
        if (prefix !== "") name = `${prefix}/${name}`;
      }
      let linkname = readString(block, F.linkname);
      let sparse = typeflag === TYPE.gnuSparse;
      if (pax) {
        if (pax.path !== undefined) name = pax.path;
        if (pax.linkpath !== undefined) linkname = pax.linkpath;
        if (pax.size !== undefined) {
          if (!/^[0-9]{1,16}$/.test(pax.size)) throw headerError();
          size = Number(pax.size);
          if (size > Number.MAX_SAFE_INTEGER) throw headerError();
        }
        if (Object.keys(pax).some((k) => k.startsWith("GNU.sparse."))) {
          sparse = true;
          if (pax["GNU.sparse.name"] !== undefined) {
            name = pax["GNU.sparse.name"];
          }
        }
      }
      if (longName !== undefined) name = longName;
      if (longLink !== undefined) linkname = longLink;
      if (typeflag === TYPE.regLegacy) {
        typeflag = name.endsWith("/") ? TYPE.dir : TYPE.reg;
      }
      if (typeflag === TYPE.gnuSparse && format === "gnu" && block[482] !== 0) {
        // Old GNU sparse maps continue in extension blocks before the data.
        for (;;) {
          const ext = await this.#readBlock();
          if (!ext) throw this.#unexpectedEof();
          if (ext[504] === 0) break;
        }
      }
      const dataSize = HEADER_ONLY.has(typeflag) ? 0 : size;
      this.#countEntry();
      this.#remaining = dataSize;
      this.#padding = blockPadding(dataSize);
      return {
        name,
        linkname,
        typeflag,
        type: sparse ? "sparse" : typeOf(typeflag),
        mode,
        size: dataSize,
        mtime,
        format,
      };
    }
  }

  /**
   * Up to `max` bytes of the current entry's data (a view into the source's
   * chunk: consume it before the next call), or `null` once all of it was
   * read.
   */
  async read(max: number = Infinity): Promise<Uint8Array | null> {
    if (this.#remaining === 0) return null;
    if (!(await this.#fill())) throw this.#unexpectedEof();
    const n = Math.min(this.#chunk.byteLength, this.#remaining, max);
    this.#count(n);
    const out = this.#chunk.subarray(0, n);
    this.#chunk = this.#chunk.subarray(n);
    this.#remaining -= n;
    return out;
  }

  /**
   * Reads the source to its end after {@linkcode TarReader.next} returned
   * `null`, so that an error the source raises only at its very end (a
   * digest mismatch, a gzip checksum) is not missed. What follows the end
   * marker still counts against `maxBytes`.
   */
  async drain(): Promise<void> {
    while (await this.#fill()) {
      this.#count(this.#chunk.byteLength);
      this.#chunk = EMPTY;
    }
  }

  /** Cancels the source (after an error, or when the rest is not wanted). */
  async cancel(reason?: unknown): Promise<void> {
    this.#chunk = EMPTY;
    this.#eof = true;
    await this.#reader.cancel(reason).catch(() => {});
  }

  #end(): null {
    this.#ended = true;
    return null;
  }

  #countEntry(): void {
    if (++this.#entries > this.#maxEntries) {
      throw new TooLargeError(
        `archive exceeds max entry count (${this.#maxEntries})`,
      );
    }
  }

  #count(n: number): void {
    this.#consumed += n;
    if (this.#consumed > this.#maxBytes) {
      throw new TooLargeError(
        `archive exceeds max total size (${this.#maxBytes} bytes)`,
      );
    }
  }

  #unexpectedEof(): KlausOciError {
    return new KlausOciError("reading tar entry: unexpected EOF");
  }

  #mapError(err: unknown): unknown {
    if (err instanceof GunzipError) {
      // Input ran out while tar data was still expected: truncated.
      if (err.inputEnded && !this.#ended) return this.#unexpectedEof();
      return new KlausOciError(`reading tar entry: ${err.message}`, {
        cause: err,
      });
    }
    return err;
  }

  /** Makes the current chunk non-empty; `false` at the end of the source. */
  async #fill(): Promise<boolean> {
    while (this.#chunk.byteLength === 0) {
      if (this.#eof) return false;
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await this.#reader.read();
      } catch (err) {
        this.#eof = true;
        throw this.#mapError(err);
      }
      if (r.done) {
        this.#eof = true;
        return false;
      }
      this.#chunk = r.value;
    }
    return true;
  }

  /** One block, or `null` if the source ended exactly here. */
  async #readBlock(): Promise<Uint8Array | null> {
    if (!(await this.#fill())) return null;
    if (this.#chunk.byteLength >= BLOCK_SIZE) {
      this.#count(BLOCK_SIZE);
      const block = this.#chunk.subarray(0, BLOCK_SIZE);
      this.#chunk = this.#chunk.subarray(BLOCK_SIZE);
      return block;
    }
    return await this.#readExact(BLOCK_SIZE);
  }

  async #readExact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (!(await this.#fill())) throw this.#unexpectedEof();
      const k = Math.min(this.#chunk.byteLength, n - off);
      this.#count(k);
      out.set(this.#chunk.subarray(0, k), off);
      this.#chunk = this.#chunk.subarray(k);
      off += k;
    }
    return out;
  }

  async #readSpecial(size: number): Promise<Uint8Array> {
    if (size > MAX_SPECIAL_FILE_SIZE) {
      throw new KlausOciError(
        "reading tar entry: archive/tar: header field too long",
      );
    }
    const data = await this.#readExact(size);
    await this.#skip(blockPadding(size));
    return data;
  }

  async #skip(n: number): Promise<void> {
    while (n > 0) {
      if (!(await this.#fill())) throw this.#unexpectedEof();
      const k = Math.min(this.#chunk.byteLength, n);
      this.#count(k);
      this.#chunk = this.#chunk.subarray(k);
      n -= k;
    }
  }
}
