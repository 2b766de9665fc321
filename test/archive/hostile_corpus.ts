/**
 * Hostile archives, written byte by byte, with the outcome each must have.
 * Shared by the extractTarGz and extractToDirectory tests.
 */
import type { ExtractOptions, SkippedEntry } from "../../src/archive/mod.ts";
import {
  KlausOciError,
  TooLargeError,
  UnsafeArchiveError,
} from "../../src/errors.ts";
import { concat, paxData, rawHeader, rawTar } from "./raw_tar.ts";

export interface HostileCase {
  name: string;
  tar: (outside: string) => Uint8Array;
  options?: ExtractOptions;
  /** Expected error message (exact string or pattern) and class. */
  error?: [string | RegExp, new (...a: never[]) => Error];
  /** On success: skipped entries and files present in the destination. */
  skipped?: SkippedEntry[];
  files?: Record<string, string>;
}

const invalid = (
  n: string,
): [string, typeof UnsafeArchiveError] => [
  `invalid path in archive: ${n}`,
  UnsafeArchiveError,
];

export const HOSTILE: HostileCase[] = [
  {
    name: "../escape.txt",
    tar: () => rawTar([{ name: "../escape.txt", data: "x" }]),
    error: invalid("../escape.txt"),
  },
  {
    name: "a/../../x",
    tar: () => rawTar([{ name: "a/../../x", data: "x" }]),
    error: invalid("a/../../x"),
  },
  {
    name: "/etc/passwd",
    tar: () =>
      rawTar([{ name: "/etc/passwd", data: "root::0:0::/:/bin/sh\n" }]),
    error: invalid("/etc/passwd"),
  },
  {
    name: "absolute path to the outside dir",
    tar: (o) => rawTar([{ name: `${o}/planted`, data: "x" }]),
    error: [
      /^invalid path in archive: \/.*\/outside\/planted$/,
      UnsafeArchiveError,
    ],
  },
  {
    name: "..",
    tar: () => rawTar([{ name: "..", type: "5" }]),
    error: invalid(".."),
  },
  {
    name: "../ directory",
    tar: () => rawTar([{ name: "../", type: "5" }]),
    error: invalid("../"),
  },
  {
    name: "late traversal after good entries",
    tar: () =>
      rawTar([{ name: "ok.txt", data: "fine" }, {
        name: "sub/../../../x",
        data: "x",
      }]),
    error: invalid("sub/../../../x"),
  },
  {
    name: "PAX path=../x overrides a harmless header name",
    tar: () =>
      rawTar([{
        name: "PaxHeaders/x",
        type: "x",
        data: paxData({ path: "../x" }),
      }, { name: "innocent", data: "x" }]),
    error: invalid("../x"),
  },
  {
    name: "GNU long name ../x",
    tar: () =>
      rawTar([{
        name: "././@LongLink",
        type: "L",
        data: "../x\0",
        format: "gnu",
      }, {
        name: "innocent",
        data: "x",
        format: "gnu",
      }]),
    error: invalid("../x"),
  },
  {
    name: "GNU long name beats PAX path",
    tar: () =>
      rawTar([
        { name: "p", type: "x", data: paxData({ path: "fine" }) },
        { name: "././@LongLink", type: "L", data: "/abs\0" },
        { name: "innocent", data: "x" },
      ]),
    error: invalid("/abs"),
  },
  {
    name: "symlink with a traversal name is refused like Go",
    tar: () => rawTar([{ name: "../link", type: "2", linkname: "/etc" }]),
    error: invalid("../link"),
  },
  {
    name: "symlink to the outside, then a file through it",
    tar: (o) =>
      rawTar([{ name: "link", type: "2", linkname: o }, {
        name: "link/evil",
        data: "EVIL",
      }]),
    skipped: [{
      name: "link",
      type: "symlink",
      reason: "symbolic links are not extracted",
    }],
    files: { "link/evil": "EVIL" },
  },
  {
    name: "symlink to an outside file, then a file of the same name",
    tar: (o) =>
      rawTar([{ name: "same", type: "2", linkname: `${o}/sentinel.txt` }, {
        name: "same",
        data: "EVIL",
      }]),
    skipped: [{
      name: "same",
      type: "symlink",
      reason: "symbolic links are not extracted",
    }],
    files: { same: "EVIL" },
  },
  {
    name: "hard link to /etc/passwd, then a file of the same name",
    tar: () =>
      rawTar([{ name: "passwd", type: "1", linkname: "/etc/passwd" }, {
        name: "passwd",
        data: "not root",
      }]),
    skipped: [{
      name: "passwd",
      type: "hardlink",
      reason: "hard links are not extracted",
    }],
    files: { passwd: "not root" },
  },
  {
    name: "devices and FIFOs are skipped and reported",
    tar: () =>
      rawTar([
        { name: "dev/null", type: "3" },
        { name: "dev/sda", type: "4" },
        { name: "pipe", type: "6" },
        { name: "contig", type: "7", data: "data" },
        { name: "weird", type: "Z", data: "data" },
        { name: "ok", data: "fine" },
      ]),
    skipped: [
      {
        name: "dev/null",
        type: "char-device",
        reason: "device files are not extracted",
      },
      {
        name: "dev/sda",
        type: "block-device",
        reason: "device files are not extracted",
      },
      { name: "pipe", type: "fifo", reason: "FIFOs are not extracted" },
      {
        name: "contig",
        type: "contiguous",
        reason: "contiguous files are not extracted",
      },
      { name: "weird", type: "other", reason: "unsupported entry type 'Z'" },
    ],
    files: { ok: "fine" },
  },
  {
    name: "header-only types carry no data even with a size field",
    tar: () =>
      rawTar([
        concat([rawHeader({ name: "l", type: "2", linkname: "x" }, 4096)]),
        { name: "next", data: "parsed in sync" },
      ]),
    skipped: [{
      name: "l",
      type: "symlink",
      reason: "symbolic links are not extracted",
    }],
    files: { next: "parsed in sync" },
  },
  {
    name: "file over a configured max size",
    tar: () =>
      rawTar([{ name: "small", data: "x".repeat(1000) }, {
        name: "big.bin",
        data: "x".repeat(1001),
      }]),
    options: { maxFileBytes: 1000 },
    error: ["file big.bin exceeds max size (1000 bytes)", TooLargeError],
  },
  {
    name: "too many entries",
    tar: () =>
      rawTar(
        Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, data: "x" })),
      ),
    options: { maxEntries: 5 },
    error: ["archive exceeds max entry count (5)", TooLargeError],
  },
  {
    name: "skipped entries count towards the entry limit",
    tar: () =>
      rawTar(
        Array.from(
          { length: 6 },
          (_, i) => ({ name: `l${i}`, type: "2", linkname: "x" }),
        ),
      ),
    options: { maxEntries: 5 },
    error: ["archive exceeds max entry count (5)", TooLargeError],
  },
  {
    name: "total bytes over the limit",
    tar: () =>
      rawTar(
        Array.from(
          { length: 3 },
          (_, i) => ({ name: `f${i}`, data: "x".repeat(4000) }),
        ),
      ),
    options: { maxTotalBytes: 10_000 },
    error: ["archive exceeds max total size (10000 bytes)", TooLargeError],
  },
  {
    name: "skipped entry data counts towards the total",
    tar: () => rawTar([{ name: "c", type: "7", data: "x".repeat(20_000) }]),
    options: { maxTotalBytes: 10_000 },
    error: ["archive exceeds max total size (10000 bytes)", TooLargeError],
  },
  {
    name: "data after the end marker counts towards the total",
    tar: () =>
      concat([rawTar([{ name: "f", data: "x" }]), new Uint8Array(50_000)]),
    options: { maxTotalBytes: 10_000 },
    error: ["archive exceeds max total size (10000 bytes)", TooLargeError],
  },
  {
    name: "truncated inside file data",
    tar: () =>
      rawTar([{ name: "f", data: "x".repeat(5000) }], { end: false }).subarray(
        0,
        3000,
      ),
    error: ["reading tar entry: unexpected EOF", KlausOciError],
  },
  {
    name: "truncated inside a header",
    tar: () => rawTar([{ name: "f", data: "x" }]).subarray(0, 1024 + 100),
    error: ["reading tar entry: unexpected EOF", KlausOciError],
  },
  {
    name: "truncated inside PAX records",
    tar: () =>
      rawTar([{
        name: "p",
        type: "x",
        data: paxData({ path: "y".repeat(2000) }),
      }]).subarray(0, 1200),
    error: ["reading tar entry: unexpected EOF", KlausOciError],
  },
  {
    name: "bad header checksum",
    tar: () => {
      const t = rawTar([{ name: "f", data: "x" }]);
      t[0] ^= 1;
      return t;
    },
    error: [
      "reading tar entry: archive/tar: invalid tar header",
      KlausOciError,
    ],
  },
  {
    name: "zero block followed by a header",
    tar: () =>
      concat([new Uint8Array(512), rawTar([{ name: "f", data: "x" }])]),
    error: [
      "reading tar entry: archive/tar: invalid tar header",
      KlausOciError,
    ],
  },
  {
    name: "malformed PAX record",
    tar: () =>
      rawTar([{ name: "p", type: "x", data: "99 path=x\n" }, {
        name: "f",
        data: "x",
      }]),
    error: [
      "reading tar entry: archive/tar: invalid tar header",
      KlausOciError,
    ],
  },
  {
    name: "GNU long name over 1 MiB",
    tar: () =>
      rawTar([{
        name: "././@LongLink",
        type: "L",
        data: "a".repeat((1 << 20) + 1),
      }]),
    error: [
      "reading tar entry: archive/tar: header field too long",
      KlausOciError,
    ],
  },
  {
    name: "negative base-256 size",
    tar: () => {
      const h = rawHeader({ name: "neg" }, 0);
      h.fill(0xff, 124, 136);
      h.fill(0x20, 148, 156);
      let sum = 0;
      for (const c of h) sum += c;
      h.set(
        new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "),
        148,
      );
      return rawTar([h]);
    },
    error: [
      "reading tar entry: archive/tar: invalid tar header",
      KlausOciError,
    ],
  },
  {
    name: "a file where a directory is needed",
    tar: () =>
      rawTar([{ name: "a", data: "file" }, { name: "a/b", data: "x" }]),
    error: [
      /^creating parent directory for .*\/dest\/a\/b: mkdir .*\/dest\/a: not a directory$/,
      KlausOciError,
    ],
  },
];
