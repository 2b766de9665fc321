import { deepStrictEqual, ok } from "node:assert/strict";
import {
  checksumOk,
  encodeHeader,
  encodePaxRecords,
  parseNumeric,
  parsePaxRecords,
} from "../../src/archive/tar_format.ts";
import {
  encodeEntryHeader,
  splitUstarPath,
} from "../../src/archive/tar_writer.ts";
import { paxData, rawHeader } from "./raw_tar.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("parseNumeric: octal with NUL/space padding, base-256, malformed", () => {
  const cases: [Uint8Array, number | undefined][] = [
    [enc.encode("0000644\0"), 0o644],
    [enc.encode("   644 \0"), 0o644],
    [enc.encode("\0\0\0\0\0\0\0\0"), 0],
    [enc.encode("00000000012\0"), 10],
    [enc.encode("0000009\0"), undefined],
    [enc.encode("12x4\0"), undefined],
    [new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]), 2 * 65536],
    [new Uint8Array([0x80, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0]), 2 ** 44],
    [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]),
      undefined,
    ],
    [
      new Uint8Array([
        0x80,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
      ]),
      undefined,
    ],
  ];
  for (const [bytes, want] of cases) {
    deepStrictEqual(parseNumeric(bytes), want, String(bytes));
  }
});

Deno.test("PAX records: self-counting lengths across digit boundaries round-trip", () => {
  for (let n = 0; n < 200; n++) {
    const records = { path: "x".repeat(n), "GNU.x": "é".repeat(n % 7) };
    const bytes = encodePaxRecords(records);
    deepStrictEqual(parsePaxRecords(bytes), records);
    // Also byte-identical with the independent test encoder (keys sorted).
    deepStrictEqual(
      dec.decode(bytes),
      paxData({ "GNU.x": records["GNU.x"], path: records.path }),
    );
  }
});

Deno.test("PAX records: malformed input is refused", () => {
  for (
    const bad of [
      "5 a=b\n",
      "11 path=x\n",
      "x path=y\n",
      "9 pathx\n",
      "12 path=a\0b\n",
      "6 =ab\n",
    ]
  ) {
    deepStrictEqual(
      parsePaxRecords(enc.encode(bad)),
      undefined,
      JSON.stringify(bad),
    );
  }
  deepStrictEqual(
    parsePaxRecords(enc.encode("12 path=a\0b\n".replace("path", "comm"))),
    {
      comm: "a\0b",
    },
  );
});

Deno.test("header checksum: ours verifies, a flipped byte does not, signed sums accepted", () => {
  const h = encodeHeader({
    name: "a",
    mode: 0o644,
    size: 1,
    mtime: 0,
    typeflag: "0",
  });
  ok(checksumOk(h));
  h[0] ^= 1;
  ok(!checksumOk(h));
  ok(checksumOk(rawHeader({ name: "x" }, 0)));
  // A historic writer summing signed bytes, with a high byte in the name.
  const s = rawHeader({ name: "y" }, 0);
  s[1] = 0xe9;
  s.fill(0x20, 148, 156);
  let signed = 0;
  for (const c of s) signed += c < 128 ? c : c - 256;
  s.set(enc.encode(signed.toString(8).padStart(6, "0") + "\0 "), 148);
  ok(checksumOk(s));
});

Deno.test("our header is byte-exact USTAR: uid/gid 0, empty owner names, fixed fields", () => {
  const h = encodeEntryHeader({
    name: "dir/file.txt",
    typeflag: "0",
    mode: 0o4755,
    size: 10,
    mtime: 0,
  });
  deepStrictEqual(h.length, 512);
  const field = (o: number, n: number) => dec.decode(h.subarray(o, o + n));
  deepStrictEqual(field(0, 12), "dir/file.txt");
  deepStrictEqual(field(100, 8), "0004755\0");
  deepStrictEqual(field(108, 8), "0000000\0");
  deepStrictEqual(field(116, 8), "0000000\0");
  deepStrictEqual(field(124, 12), "00000000012\0");
  deepStrictEqual(field(136, 12), "00000000000\0");
  deepStrictEqual(field(156, 1), "0");
  deepStrictEqual(field(257, 8), "ustar\x0000");
  deepStrictEqual(h.subarray(265, 329), new Uint8Array(64)); // uname, gname
  ok(checksumOk(h));
});

Deno.test("splitUstarPath follows Go's rule", () => {
  const d = "d".repeat(60);
  deepStrictEqual(splitUstarPath("short"), undefined);
  deepStrictEqual(splitUstarPath(`${d}/${d}/x`), [`${d}/${d}`, "x"]);
  deepStrictEqual(splitUstarPath(`${d}/${"f".repeat(101)}`), undefined); // name part too long
  deepStrictEqual(
    splitUstarPath(`${"p".repeat(156)}/x${"y".repeat(10)}`),
    undefined,
  ); // prefix too long
  deepStrictEqual(splitUstarPath(`${d}/${d}/é`), undefined); // not ASCII
});

Deno.test("long and non-ASCII names go to a PAX path record", () => {
  for (const name of ["é.txt", "x".repeat(300), `${"d".repeat(200)}/f`]) {
    const h = encodeEntryHeader({
      name,
      typeflag: "0",
      mode: 0o644,
      size: 0,
      mtime: 0,
    });
    ok(h.length > 512, name);
    deepStrictEqual(String.fromCharCode(h[156]), "x");
    const size = parseNumeric(h.subarray(124, 136))!;
    deepStrictEqual(parsePaxRecords(h.subarray(512, 512 + size)), {
      path: name,
    });
  }
});

Deno.test("sizes beyond the octal range go to a PAX size record", () => {
  const h = encodeEntryHeader({
    name: "huge",
    typeflag: "0",
    mode: 0o644,
    size: 2 ** 40,
    mtime: 0,
  });
  const size = parseNumeric(h.subarray(124, 136))!;
  deepStrictEqual(parsePaxRecords(h.subarray(512, 512 + size)), {
    size: String(2 ** 40),
  });
});
