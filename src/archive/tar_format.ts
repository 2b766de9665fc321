/**
 * The tar on-disk format: 512-byte header blocks (V7, USTAR, GNU), their
 * numeric fields (octal and GNU base-256) and PAX extended-header records.
 * Only the pieces the writer and reader of this module need, kept byte-exact
 * with Go's `archive/tar` so archives compare equal across implementations.
 *
 * @module
 */

/**
 * Size of a tar block.
 */
export const BLOCK_SIZE = 512;

/**
 * Bytes of padding that follow `size` bytes of entry data.
 */
export function blockPadding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/**
 * Typeflags used by this module (one ASCII character each).
 */
export const TYPE = {
  reg: "0",
  regLegacy: "\0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
  cont: "7",
  paxLocal: "x",
  paxGlobal: "g",
  gnuLongName: "L",
  gnuLongLink: "K",
  gnuSparse: "S",
} as const;

/**
 * Go's `maxSpecialFileSize`: PAX and GNU long-name records larger than this
 * are refused, so a hostile archive cannot make the reader buffer gigabytes.
 */
export const MAX_SPECIAL_FILE_SIZE = 1 << 20;

/**
 * Field offsets and sizes of the common V7/USTAR layout: `[offset, length]`.
 */
export const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Header flavours, told apart by the magic/version fields.
 */
export type HeaderFormat = "v7" | "ustar" | "gnu";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `s`. */
function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * Whether every character of `s` is 7-bit ASCII.
 */
export function isAscii(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s);
}

/**
 * Whether a 512-byte block is all zeros (an end-of-archive marker).
 */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

function field(block: Uint8Array, f: readonly [number, number]): Uint8Array {
  return block.subarray(f[0], f[0] + f[1]);
}

/**
 * A NUL-terminated string field (Go `parseString`).
 */
export function parseString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/**
 * Reads string field `f` of `block`.
 */
export function readString(
  block: Uint8Array,
  f: readonly [number, number],
): string {
  return parseString(field(block, f));
}

/**
 * A numeric field (Go `parseNumeric`): GNU base-256 when the high bit of
 * the first byte is set, otherwise octal padded with spaces or NULs.
 * Returns `undefined` for malformed or negative values.
 */
export function parseNumeric(bytes: Uint8Array): number | undefined {
  if (bytes.length > 0 && (bytes[0] & 0x80) !== 0) {
    // 0xff marks a negative base-256 number: never valid for our fields.
    if (bytes[0] === 0xff) return undefined;
    let n = bytes[0] & 0x7f;
    for (let i = 1; i < bytes.length; i++) {
      n = n * 256 + bytes[i];
      if (n > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return n;
  }
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) {
    end--;
  }
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c < 0x30 || c > 0x37) return undefined;
    n = n * 8 + (c - 0x30);
  }
  return n > Number.MAX_SAFE_INTEGER ? undefined : n;
}

/**
 * Reads numeric field `f` of `block`.
 */
export function readNumeric(
  block: Uint8Array,
  f: readonly [number, number],
): number | undefined {
  return parseNumeric(field(block, f));
}

/**
 * Verifies the header checksum. Like Go, both the POSIX unsigned sum and the
 * historic signed sum are accepted.
 */
export function checksumOk(block: Uint8Array): boolean {
  const want = readNumeric(block, F.chksum);
  if (want === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += c;
    signed += c < 128 ? c : c - 256;
  }
  return want === unsigned || want === signed;
}

/**
 * The header flavour of `block`, from its magic and version.
 */
export function headerFormat(block: Uint8Array): HeaderFormat {
  const m = field(block, F.magic);
  const v = field(block, F.version);
  const isUstarMagic = m[0] === 0x75 && m[1] === 0x73 && m[2] === 0x74 &&
    m[3] === 0x61 && m[4] === 0x72;
  if (isUstarMagic && m[5] === 0 && v[0] === 0x30 && v[1] === 0x30) {
    return "ustar";
  }
  if (isUstarMagic && m[5] === 0x20 && v[0] === 0x20 && v[1] === 0) {
    return "gnu";
  }
  return "v7";
}

/**
 * The USTAR `prefix` field. The star variant (trailer `tar\0` at offset 508)
 * keeps timestamps in the tail of that area, so its prefix is 131 bytes.
 */
export function readPrefix(block: Uint8Array): string {
  const star = block[508] === 0x74 && block[509] === 0x61 &&
    block[510] === 0x72 && block[511] === 0;
  return parseString(block.subarray(345, star ? 476 : 500));
}

function writeBytes(
  block: Uint8Array,
  f: readonly [number, number],
  bytes: Uint8Array,
): void {
  block.set(bytes.subarray(0, f[1]), f[0]);
}

/**
 * Writes `value` as zero-padded octal leaving room for a trailing NUL, the
 * way Go's `formatOctal` does (`0000644\0`).
 */
function writeOctal(
  block: Uint8Array,
  f: readonly [number, number],
  value: number,
): void {
  const s = value.toString(8).padStart(f[1] - 1, "0");
  writeBytes(block, f, utf8(s));
}

/**
 * Largest value an octal field of `width` bytes can hold.
 */
export function maxOctal(width: number): number {
  return 8 ** (width - 1) - 1;
}

/**
 * What the writer puts in one header block.
 */
export interface RawHeader {
  /** Name field (at most 100 bytes, already chosen by the caller). */
  name: string;
  /** USTAR prefix field (at most 155 bytes). */
  prefix?: string;
  /** Mode bits. */
  mode: number;
  /** Size; values over the octal range are written as 0 (PAX carries them). */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** Typeflag character. */
  typeflag: string;
}

/**
 * Encodes one USTAR header block with uid/gid 0 and empty user and group
 * names: nothing in it depends on who or when packed it.
 */
export function encodeHeader(h: RawHeader): Uint8Array {
  const block = new Uint8Array(BLOCK_SIZE);
  writeBytes(block, F.name, utf8(h.name));
  writeOctal(block, F.mode, h.mode);
  writeOctal(block, F.uid, 0);
  writeOctal(block, F.gid, 0);
  writeOctal(block, F.size, h.size <= maxOctal(12) ? h.size : 0);
  writeOctal(block, F.mtime, h.mtime <= maxOctal(12) ? h.mtime : 0);
  block[F.typeflag[0]] = h.typeflag.charCodeAt(0);
  writeBytes(block, F.magic, utf8("ustar\0"));
  writeBytes(block, F.version, utf8("00"));
  writeOctal(block, F.devmajor, 0);
  writeOctal(block, F.devminor, 0);
  if (h.prefix) writeBytes(block, F.prefix, utf8(h.prefix));
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : block[i];
  }
  // Go writes six octal digits, NUL, space.
  writeBytes(block, F.chksum, utf8(sum.toString(8).padStart(6, "0") + "\0 "));
  return block;
}

/**
 * Encodes PAX records, sorted by key, each `"<len> <key>=<value>\n"` where
 * `<len>` counts the whole record including its own digits.
 */
export function encodePaxRecords(records: Record<string, string>): Uint8Array {
  let out = "";
  for (const key of Object.keys(records).sort()) {
    const body = ` ${key}=${records[key]}\n`;
    const bodyLen = utf8(body).length;
    let size = bodyLen + String(bodyLen).length;
    if (String(size).length + bodyLen !== size) {
      size = bodyLen + String(size).length;
    }
    out += `${size}${body}`;
  }
  return utf8(out);
}

/**
 * Parses PAX records (Go `parsePAX` rules: exact lengths, `key=value`,
 * no NUL in path-like values). Returns `undefined` when malformed.
 */
export function parsePaxRecords(
  data: Uint8Array,
): Record<string, string> | undefined {
  const records: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1 || space === pos || space - pos > 20) return undefined;
    let len = 0;
    for (let i = pos; i < space; i++) {
      const c = data[i];
      if (c < 0x30 || c > 0x39) return undefined;
      len = len * 10 + (c - 0x30);
    }
    const end = pos + len;
    if (len <= space - pos + 1 || end > data.length || data[end - 1] !== 0x0a) {
      return undefined;
    }
    const record = decoder.decode(data.subarray(space + 1, end - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) return undefined;
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (
      (key === "path" || key === "linkpath" || key === "uname" ||
        key === "gname") && value.includes("\0")
    ) {
      return undefined;
    }
    records[key] = value;
    pos = end;
  }
  return records;
}
