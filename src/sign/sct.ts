/**
 * Signed certificate timestamps embedded in a Fulcio certificate (RFC 6962
 * §3.3, extension 1.3.6.1.4.1.11129.2.4.2): the proof that the
 * certificate was logged in a certificate transparency log before use.
 * Each SCT signs the precertificate — the leaf's TBS without the SCT
 * extension — with the hash of the issuing CA's key (RFC 6962 §3.2).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import {
  children,
  encodeDer,
  expectTag,
  parseDer,
  readOid,
  TAG_OCTET_STRING,
  TAG_SEQUENCE,
  withoutChildren,
} from "./asn1.ts";
import type { HashName } from "./public_key.ts";
import { verifySignature } from "./public_key.ts";
import { bufferOf } from "./keys.ts";
import { covers, type TransparencyLog } from "./trusted_root.ts";
import { bytesEqual, type Certificate, OID_SCT_LIST } from "./x509.ts";

/** One SCT, decoded. */
export interface SignedCertificateTimestamp {
  /** SCT version (0 = v1). */
  version: number;
  /** The log's id (sha256 of its key). */
  logId: Uint8Array;
  /** When the log saw the precertificate (ms since the epoch). */
  timestamp: bigint;
  /** CT extensions (opaque). */
  extensions: Uint8Array;
  /** TLS HashAlgorithm (4 = sha256, 5 = sha384, 6 = sha512). */
  hashAlgorithm: number;
  /** TLS SignatureAlgorithm (1 = rsa, 3 = ecdsa). */
  signatureAlgorithm: number;
  /** The signature. */
  signature: Uint8Array;
}

const TLS_HASHES: Record<number, HashName> = {
  4: "SHA-256",
  5: "SHA-384",
  6: "SHA-512",
};

function malformed(what: string): SignatureError {
  return new SignatureError(`malformed SCT list: ${what}`, {
    reason: "untrusted",
  });
}

/** A big-endian reader over TLS-encoded bytes. */
class TlsReader {
  #pos = 0;
  // A plain field, not a parameter property: Node's type stripping
  // (`node --experimental-strip-types`) refuses those.
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get done(): boolean {
    return this.#pos === this.bytes.length;
  }
  take(n: number): Uint8Array {
    if (this.#pos + n > this.bytes.length) throw malformed("truncated");
    const out = this.bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
  uint(n: number): number {
    let v = 0;
    for (const b of this.take(n)) v = v * 256 + b;
    return v;
  }
  vector(lengthBytes: number): Uint8Array {
    return this.take(this.uint(lengthBytes));
  }
}

/** Decodes the SCT list extension value (an OCTET STRING around the TLS list). */
export function parseSctList(
  extValue: Uint8Array,
): SignedCertificateTimestamp[] {
  const list = new TlsReader(
    new TlsReader(expectTag(parseDer(extValue), TAG_OCTET_STRING).content)
      .vector(2),
  );
  const out: SignedCertificateTimestamp[] = [];
  while (!list.done) {
    const r = new TlsReader(list.vector(2));
    const version = r.uint(1);
    const logId = r.take(32);
    const ts = r.take(8);
    let timestamp = 0n;
    for (const b of ts) timestamp = (timestamp << 8n) | BigInt(b);
    const extensions = r.vector(2);
    const hashAlgorithm = r.uint(1);
    const signatureAlgorithm = r.uint(1);
    const signature = r.vector(2);
    if (!r.done) throw malformed("trailing bytes in an SCT");
    out.push({
      version,
      logId,
      timestamp,
      extensions,
      hashAlgorithm,
      signatureAlgorithm,
      signature,
    });
  }
  return out;
}

/** The leaf's TBSCertificate re-encoded without its SCT list extension. */
export function precertificateTbs(leaf: Certificate): Uint8Array {
  const parts = children(leaf.tbs).map((field) => {
    // [3] EXPLICIT Extensions: the one field that changes.
    if (field.tag !== 0xa3) return field.raw;
    const list = expectTag(children(field)[0], TAG_SEQUENCE);
    return encodeDer(
      0xa3,
      withoutChildren(
        list,
        (ext) => readOid(children(ext)[0]) !== OID_SCT_LIST,
      ),
    );
  });
  return encodeDer(TAG_SEQUENCE, concat(parts));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function uintBytes(value: number | bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let v = BigInt(value);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The bytes an SCT over a precertificate signs (RFC 6962 §3.2). */
export function sctSignedData(
  sct: SignedCertificateTimestamp,
  issuerKeyHash: Uint8Array,
  tbs: Uint8Array,
): Uint8Array {
  return concat([
    Uint8Array.of(sct.version, 0), // signature_type = certificate_timestamp
    uintBytes(sct.timestamp, 8),
    uintBytes(1, 2), // entry_type = precert_entry
    issuerKeyHash,
    uintBytes(tbs.length, 3),
    tbs,
    uintBytes(sct.extensions.length, 2),
    sct.extensions,
  ]);
}

/**
 * Checks the SCTs embedded in `leaf` (issued by `issuer`) against the CT
 * logs of the trusted root: when there are CT logs, at least one SCT must
 * be embedded and every embedded SCT must verify with the key of the log
 * it names, valid at its timestamp (as `@sigstore/verify` does). Returns
 * how many verified; throws a `SignatureError` (`reason: "untrusted"`).
 */
export async function verifyEmbeddedScts(
  leaf: Certificate,
  issuer: Certificate,
  ctlogs: TransparencyLog[],
): Promise<number> {
  if (ctlogs.length === 0) return 0;
  const ext = leaf.extensions.find((e) => e.oid === OID_SCT_LIST);
  const scts = ext ? parseSctList(ext.value) : [];
  if (scts.length === 0) {
    throw new SignatureError(
      "the signing certificate has no signed certificate timestamp (the trusted root has CT logs)",
      { reason: "untrusted" },
    );
  }
  const issuerKeyHash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bufferOf(issuer.spki)),
  );
  const tbs = precertificateTbs(leaf);
  for (const sct of scts) {
    const at = new Date(Number(sct.timestamp));
    const hash = TLS_HASHES[sct.hashAlgorithm];
    let ok = false;
    for (const log of ctlogs) {
      if (
        !hash || !bytesEqual(log.logId, sct.logId) || !covers(log.validFor, at)
      ) {
        continue;
      }
      if (
        await verifySignature(
          log.publicKey,
          hash,
          sct.signature,
          sctSignedData(sct, issuerKeyHash, tbs),
        )
      ) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      throw new SignatureError(
        "a signed certificate timestamp of the signing certificate does not verify with a CT log of the trusted root",
        { reason: "untrusted" },
      );
    }
  }
  return scts.length;
}
