/**
 * A minimal ASN.1 DER reader (and the little writing a certificate needs):
 * enough to walk X.509 certificates, read OIDs, integers, bit strings, times
 * and strings, and re-encode a SEQUENCE without one of its children (the
 * precertificate TBS an SCT signs, RFC 6962 §3.2). Every node keeps its raw
 * slices, so signatures are checked over the exact bytes received.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";

/** Tag of a DER BOOLEAN. */
export const TAG_BOOLEAN = 0x01;
/** Tag of a DER INTEGER. */
export const TAG_INTEGER = 0x02;
/** Tag of a DER BIT STRING. */
export const TAG_BIT_STRING = 0x03;
/** Tag of a DER OCTET STRING. */
export const TAG_OCTET_STRING = 0x04;
/** Tag of a DER NULL. */
export const TAG_NULL = 0x05;
/** Tag of a DER OBJECT IDENTIFIER. */
export const TAG_OID = 0x06;
/** Tag of a DER UTF8String. */
export const TAG_UTF8_STRING = 0x0c;
/** Tag of a DER SEQUENCE (constructed). */
export const TAG_SEQUENCE = 0x30;
/** Tag of a DER SET (constructed). */
export const TAG_SET = 0x31;
/** Tag of a DER UTCTime. */
export const TAG_UTC_TIME = 0x17;
/** Tag of a DER GeneralizedTime. */
export const TAG_GENERALIZED_TIME = 0x18;

/** One DER element: its tag and the raw slices of the whole and the content. */
export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** The whole element: identifier, length and content. */
  raw: Uint8Array;
  /** The content octets. */
  content: Uint8Array;
}

/** The error every malformed input gives (`reason: "tampered"`). */
export function asn1Error(what: string): SignatureError {
  return new SignatureError(`malformed DER: ${what}`, { reason: "tampered" });
}

/** The element starting at `offset` of `bytes`. */
function readAt(bytes: Uint8Array, offset: number): DerNode {
  if (offset + 2 > bytes.length) throw asn1Error("truncated element");
  const tag = bytes[offset];
  // High tag numbers (0x1f) never occur in what is parsed here.
  if ((tag & 0x1f) === 0x1f) throw asn1Error("high tag number");
  let length = bytes[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    // Indefinite lengths are BER, not DER; four octets are over 4 GiB.
    if (n === 0 || n > 4) throw asn1Error("unsupported length");
    if (offset + 2 + n > bytes.length) throw asn1Error("truncated length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[offset + 2 + i];
    header += n;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw asn1Error("element longer than its parent");
  return {
    tag,
    raw: bytes.subarray(offset, end),
    content: bytes.subarray(offset + header, end),
  };
}

/** Parses `bytes` as exactly one DER element. */
export function parseDer(bytes: Uint8Array): DerNode {
  const node = readAt(bytes, 0);
  if (node.raw.length !== bytes.length) throw asn1Error("trailing bytes");
  return node;
}

/** The children of a constructed element (its content as a run of elements). */
export function children(node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) throw asn1Error("not a constructed element");
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readAt(node.content, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

/** `node` checked to carry `tag`. */
export function expectTag(node: DerNode | undefined, tag: number): DerNode {
  if (!node || node.tag !== tag) {
    throw asn1Error(
      `expected tag 0x${tag.toString(16)}, got ${
        node ? `0x${node.tag.toString(16)}` : "nothing"
      }`,
    );
  }
  return node;
}

/** An OBJECT IDENTIFIER as dotted text (`1.2.840.10045.2.1`). */
export function readOid(node: DerNode): string {
  const c = expectTag(node, TAG_OID).content;
  if (c.length === 0) throw asn1Error("empty OID");
  const arcs: string[] = [];
  let value = 0n;
  for (let i = 0; i < c.length; i++) {
    value = (value << 7n) | BigInt(c[i] & 0x7f);
    if (c[i] & 0x80) continue;
    if (arcs.length === 0) {
      const first = value < 80n ? value / 40n : 2n;
      arcs.push(String(first), String(value - first * 40n));
    } else {
      arcs.push(String(value));
    }
    value = 0n;
  }
  if (c[c.length - 1] & 0x80) throw asn1Error("truncated OID");
  return arcs.join(".");
}

/** An INTEGER's value. */
export function readInteger(node: DerNode): bigint {
  const c = expectTag(node, TAG_INTEGER).content;
  if (c.length === 0) throw asn1Error("empty INTEGER");
  let value = 0n;
  for (const b of c) value = (value << 8n) | BigInt(b);
  // Two's complement: a set top bit is negative.
  if (c[0] & 0x80) value -= 1n << BigInt(8 * c.length);
  return value;
}

/** A BOOLEAN's value. */
export function readBoolean(node: DerNode): boolean {
  const c = expectTag(node, TAG_BOOLEAN).content;
  if (c.length !== 1) throw asn1Error("BOOLEAN of wrong length");
  return c[0] !== 0;
}

/** The bytes of a BIT STRING (which must have no unused bits). */
export function readBitString(node: DerNode): Uint8Array {
  const c = expectTag(node, TAG_BIT_STRING).content;
  if (c.length === 0 || c[0] !== 0) {
    throw asn1Error("BIT STRING with unused bits");
  }
  return c.subarray(1);
}

/** The bits of a BIT STRING as flags (bit 0 is the first, most significant). */
export function readBitFlags(node: DerNode): boolean[] {
  const c = expectTag(node, TAG_BIT_STRING).content;
  if (c.length === 0 || c[0] > 7) throw asn1Error("malformed BIT STRING");
  const bits: boolean[] = [];
  const total = (c.length - 1) * 8 - c[0];
  for (let i = 0; i < total; i++) {
    bits.push((c[1 + (i >> 3)] & (0x80 >> (i & 7))) !== 0);
  }
  return bits;
}

/** A UTCTime or GeneralizedTime (in UTC, `Z`) as a `Date`. */
export function readTime(node: DerNode): Date {
  const text = new TextDecoder().decode(node.content);
  let m: RegExpMatchArray | null;
  let year: number;
  if (node.tag === TAG_UTC_TIME) {
    m = text.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!m) throw asn1Error(`bad UTCTime ${JSON.stringify(text)}`);
    // RFC 5280 §4.1.2.5.1: two-digit years 50–99 are 19xx.
    year = Number(m[1]) + (Number(m[1]) >= 50 ? 1900 : 2000);
  } else if (node.tag === TAG_GENERALIZED_TIME) {
    // RFC 3161 genTime may carry a fraction of a second of any length (DER
    // drops trailing zeros: ".43" is 430 ms); milliseconds are kept.
    m = text.match(
      /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/,
    );
    if (!m) throw asn1Error(`bad GeneralizedTime ${JSON.stringify(text)}`);
    year = Number(m[1]);
  } else {
    throw asn1Error("expected a time");
  }
  return new Date(
    Date.UTC(
      year,
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0,
    ),
  );
}

/** The text of a string element (UTF8String, PrintableString, IA5String, …). */
export function readString(node: DerNode): string {
  return new TextDecoder().decode(node.content);
}

/** A DER length prefix for `length` content octets. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Encodes one element with `tag` around `content`. */
export function encodeDer(tag: number, content: Uint8Array): Uint8Array {
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

/** A constructed element re-encoded with the children kept by `keep`. */
export function withoutChildren(
  node: DerNode,
  keep: (child: DerNode, index: number) => boolean,
): Uint8Array {
  const kept = children(node).filter(keep);
  const content = new Uint8Array(kept.reduce((n, c) => n + c.raw.length, 0));
  let offset = 0;
  for (const c of kept) {
    content.set(c.raw, offset);
    offset += c.raw.length;
  }
  return encodeDer(node.tag, content);
}
