/**
 * ECDSA signature encodings: Web Crypto signs and verifies IEEE P1363
 * (`r || s`, fixed width), sigstore bundles and cosign carry ASN.1 DER
 * (`SEQUENCE { INTEGER r, INTEGER s }`).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";

function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v[0] & 0x80) {
    const padded = new Uint8Array(v.length + 1);
    padded.set(v, 1);
    v = padded;
  }
  const out = new Uint8Array(2 + v.length);
  out[0] = 0x02;
  out[1] = v.length;
  out.set(v, 2);
  return out;
}

/** A P1363 `r || s` signature (64 bytes for P-256) as ASN.1 DER. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length / 2;
  const r = derInteger(sig.subarray(0, half));
  const s = derInteger(sig.subarray(half));
  const body = r.length + s.length;
  const out = new Uint8Array(2 + body);
  out[0] = 0x30;
  out[1] = body;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}

function malformed(): SignatureError {
  return new SignatureError("malformed DER ECDSA signature", {
    reason: "tampered",
  });
}

/**
 * An ASN.1 DER ECDSA signature as P1363 `r || s` of `size` bytes per
 * integer (32 for P-256). Throws a `SignatureError` (`reason:
 * "tampered"`) when it is not well-formed DER.
 */
export function derToP1363(der: Uint8Array, size = 32): Uint8Array {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) {
    throw malformed();
  }
  const out = new Uint8Array(2 * size);
  let pos = 2;
  for (let k = 0; k < 2; k++) {
    if (der[pos] !== 0x02) throw malformed();
    const len = der[pos + 1];
    let v = der.subarray(pos + 2, pos + 2 + len);
    if (v.length !== len || len === 0) throw malformed();
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw malformed();
    out.set(v, k * size + (size - v.length));
    pos += 2 + len;
  }
  if (pos !== der.length) throw malformed();
  return out;
}
