/**
 * Header blocks for the tar writer, chosen the way Go's `archive/tar`
 * chooses them: plain USTAR when the name is ASCII and fits (using the
 * `prefix` field when splitting at a `/` makes it fit), otherwise a PAX `x`
 * record carries the name; sizes beyond the 8 GiB octal range also go to PAX.
 *
 * @module
 */
import {
  BLOCK_SIZE,
  blockPadding,
  encodeHeader,
  encodePaxRecords,
  isAscii,
  maxOctal,
} from "./tar_format.ts";

const NAME_SIZE = 100;
const PREFIX_SIZE = 155;

/**
 * End-of-archive marker: two zero blocks (no padding to a 10 KiB record,
 * like Go's writer).
 */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(2 * BLOCK_SIZE);

/**
 * Go's `splitUSTARPath`: `[prefix, name]` when the split makes it fit.
 */
export function splitUstarPath(
  name: string,
): [string, string] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAscii(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === "/") length--;
  const i = name.lastIndexOf("/", length - 1);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || i > PREFIX_SIZE) {
    return undefined;
  }
  return [name.slice(0, i), name.slice(i + 1)];
}

/**
 * What the writer needs to know about one entry.
 */
export interface WriteHeader {
  /** Path inside the archive, `/`-separated. */
  name: string;
  /** `"0"` (regular file) or `"5"` (directory). */
  typeflag: string;
  /** Permission bits plus setuid/setgid/sticky. */
  mode: number;
  /** Data bytes that follow (0 for directories). */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
}

function asciiTruncated(s: string, max: number): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[^\x00-\x7f]/g, "").slice(0, max);
}

/**
 * The header block(s) of one entry: a single USTAR block, or a PAX `x`
 * header, its records and padding, then the USTAR block.
 */
export function encodeEntryHeader(h: WriteHeader): Uint8Array {
  const records: Record<string, string> = {};
  let name = h.name;
  let prefix = "";
  if (!(isAscii(h.name) && h.name.length <= NAME_SIZE)) {
    const split = splitUstarPath(h.name);
    if (split) [prefix, name] = split;
    else {
      records.path = h.name;
      name = asciiTruncated(h.name, NAME_SIZE);
    }
  }
  if (h.size > maxOctal(12)) records.size = String(h.size);
  const main = encodeHeader({
    name,
    prefix,
    mode: h.mode,
    size: h.size,
    mtime: h.mtime,
    typeflag: h.typeflag,
  });
  if (Object.keys(records).length === 0) return main;

  const data = encodePaxRecords(records);
  const slash = h.name.lastIndexOf("/");
  const paxName = slash === -1
    ? `PaxHeaders.0/${h.name}`
    : `${h.name.slice(0, slash)}/PaxHeaders.0/${h.name.slice(slash + 1)}`;
  const pax = encodeHeader({
    name: asciiTruncated(paxName, NAME_SIZE).replace(/\/+$/, ""),
    mode: 0,
    size: data.byteLength,
    mtime: 0,
    typeflag: "x",
  });
  const out = new Uint8Array(
    2 * BLOCK_SIZE + data.byteLength + blockPadding(data.byteLength),
  );
  out.set(pax, 0);
  out.set(data, BLOCK_SIZE);
  out.set(main, out.byteLength - BLOCK_SIZE);
  return out;
}
