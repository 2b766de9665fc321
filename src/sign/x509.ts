/**
 * X.509 certificates (RFC 5280) as sigstore uses them: Fulcio leaf
 * certificates and their CA chains. Parses what verification needs — the
 * TBS bytes, signature, names, validity, public key and the extensions
 * (basic constraints, key usage, extended key usage, SAN, key identifiers,
 * Fulcio's OIDC issuer, embedded SCTs) — and checks a certificate's
 * signature with its issuer's key.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import {
  children,
  type DerNode,
  expectTag,
  parseDer,
  readBitFlags,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  readString,
  readTime,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_SEQUENCE,
  TAG_UTF8_STRING,
} from "./asn1.ts";
import {
  type HashName,
  parseSpki,
  type PublicKeyInfo,
  verifySignature,
} from "./public_key.ts";

/** OID of the basic constraints extension. */
export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
/** OID of the key usage extension. */
export const OID_KEY_USAGE = "2.5.29.15";
/** OID of the extended key usage extension. */
export const OID_EXT_KEY_USAGE = "2.5.29.37";
/** OID of the subject alternative name extension. */
export const OID_SUBJECT_ALT_NAME = "2.5.29.17";
/** OID of the subject key identifier extension. */
export const OID_SUBJECT_KEY_ID = "2.5.29.14";
/** OID of the authority key identifier extension. */
export const OID_AUTHORITY_KEY_ID = "2.5.29.35";
/** Fulcio's OIDC issuer extension (v1: the raw string as the value). */
export const OID_FULCIO_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
/** Fulcio's OIDC issuer extension (v2: a DER UTF8String). */
export const OID_FULCIO_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
/** The embedded signed certificate timestamp list (RFC 6962 §3.3). */
export const OID_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2";
/** Extended key usage: code signing. */
export const OID_EKU_CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
/** Extended key usage: time stamping (RFC 3161 TSA certificates). */
export const OID_EKU_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

/** The extensions this module understands (so may be critical). */
const HANDLED = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXT_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_ID,
  OID_AUTHORITY_KEY_ID,
]);

/** Certificate signature algorithms: OID to Web Crypto hash. */
const SIGNATURE_ALGORITHMS: Record<string, { kind: string; hash: HashName }> = {
  "1.2.840.10045.4.3.2": { kind: "ec", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { kind: "ec", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { kind: "ec", hash: "SHA-512" },
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "SHA-512" },
  "1.3.101.112": { kind: "ed25519", hash: "SHA-512" },
};

/**
 * The key kind and hash of a signature algorithm OID (ECDSA with SHA-2,
 * RSA PKCS#1 v1.5 with SHA-2, Ed25519); `undefined` when not supported.
 */
export function signatureAlgorithmOf(
  oid: string,
): { kind: string; hash: HashName } | undefined {
  return Object.hasOwn(SIGNATURE_ALGORITHMS, oid)
    ? SIGNATURE_ALGORITHMS[oid]
    : undefined;
}

/** One certificate extension. */
export interface Extension {
  /** The extension's OID. */
  oid: string;
  /** Whether it is marked critical. */
  critical: boolean;
  /** The content of `extnValue` (the DER the OCTET STRING wraps). */
  value: Uint8Array;
  /** The whole Extension element (to rebuild a TBS without it). */
  raw: Uint8Array;
}

/** A subject alternative name. */
export interface SubjectAltName {
  /** rfc822Name, uniformResourceIdentifier, or an otherName's UTF8String. */
  type: "email" | "uri" | "other";
  /** The name. */
  value: string;
}

/** A parsed X.509 certificate. */
export interface Certificate {
  /** The whole certificate DER. */
  der: Uint8Array;
  /** The TBSCertificate element (its raw bytes are what the issuer signed). */
  tbs: DerNode;
  /** The signature algorithm OID. */
  signatureAlgorithm: string;
  /** The signature bytes (DER for ECDSA). */
  signature: Uint8Array;
  /** The serial number. */
  serialNumber: bigint;
  /** The issuer Name, raw DER. */
  issuer: Uint8Array;
  /** The subject Name, raw DER. */
  subject: Uint8Array;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** The SubjectPublicKeyInfo, raw DER. */
  spki: Uint8Array;
  /** The subject public key (absent when its type is not supported). */
  publicKey?: PublicKeyInfo;
  /** All extensions, in order. */
  extensions: Extension[];
  /** Basic constraints (absent: not a CA). */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** Key usage bits (RFC 5280 §4.2.1.3 order), when present. */
  keyUsage?: boolean[];
  /** Extended key usage OIDs, when present. */
  extKeyUsage?: string[];
  /** Subject alternative names. */
  subjectAltNames: SubjectAltName[];
  /** Fulcio's OIDC issuer (1.3.6.1.4.1.57264.1.8, else .1.1). */
  oidcIssuer?: string;
  /** The subject key identifier. */
  subjectKeyId?: Uint8Array;
  /** The authority key identifier's key identifier. */
  authorityKeyId?: Uint8Array;
  /** Critical extensions this module does not understand. */
  unhandledCritical: string[];
}

/** Key usage bit: digitalSignature. */
export const KEY_USAGE_DIGITAL_SIGNATURE = 0;
/** Key usage bit: keyCertSign. */
export const KEY_USAGE_KEY_CERT_SIGN = 5;

function parseExtension(node: DerNode): Extension {
  const parts = children(expectTag(node, TAG_SEQUENCE));
  const oid = readOid(parts[0]);
  let critical = false;
  let i = 1;
  if (parts[i]?.tag === TAG_BOOLEAN) critical = readBoolean(parts[i++]);
  const value = expectTag(parts[i], TAG_OCTET_STRING).content;
  return { oid, critical, value, raw: node.raw };
}

function parseSans(value: Uint8Array): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  for (const name of children(expectTag(parseDer(value), TAG_SEQUENCE))) {
    if (name.tag === 0x81) {
      out.push({ type: "email", value: readString(name) });
    } else if (name.tag === 0x86) {
      out.push({ type: "uri", value: readString(name) });
    } else if (name.tag === 0xa0) {
      // otherName { type-id OID, [0] EXPLICIT value }: Fulcio's username
      // identities (1.3.6.1.4.1.57264.1.7) are a UTF8String there.
      const [, wrapped] = children(name);
      const inner = wrapped ? children(wrapped)[0] : undefined;
      if (inner?.tag === TAG_UTF8_STRING) {
        out.push({ type: "other", value: readString(inner) });
      }
    }
  }
  return out;
}

function applyExtension(cert: Certificate, ext: Extension): void {
  switch (ext.oid) {
    case OID_BASIC_CONSTRAINTS: {
      const parts = children(expectTag(parseDer(ext.value), TAG_SEQUENCE));
      let i = 0;
      const ca = parts[i]?.tag === TAG_BOOLEAN
        ? readBoolean(parts[i++])
        : false;
      const pathLength = parts[i]?.tag === TAG_INTEGER
        ? Number(readInteger(parts[i]))
        : undefined;
      cert.basicConstraints = { ca, pathLength };
      break;
    }
    case OID_KEY_USAGE:
      cert.keyUsage = readBitFlags(parseDer(ext.value));
      break;
    case OID_EXT_KEY_USAGE:
      cert.extKeyUsage = children(
        expectTag(parseDer(ext.value), TAG_SEQUENCE),
      ).map(readOid);
      break;
    case OID_SUBJECT_ALT_NAME:
      cert.subjectAltNames = parseSans(ext.value);
      break;
    case OID_SUBJECT_KEY_ID:
      cert.subjectKeyId = expectTag(parseDer(ext.value), TAG_OCTET_STRING)
        .content;
      break;
    case OID_AUTHORITY_KEY_ID: {
      const parts = children(expectTag(parseDer(ext.value), TAG_SEQUENCE));
      const keyId = parts.find((p) => p.tag === 0x80);
      if (keyId) cert.authorityKeyId = keyId.content;
      break;
    }
    case OID_FULCIO_ISSUER_V2:
      cert.oidcIssuer = readString(
        expectTag(parseDer(ext.value), TAG_UTF8_STRING),
      );
      break;
    case OID_FULCIO_ISSUER_V1:
      // The v1 extension holds the issuer's bytes without a DER wrapper; the
      // v2 one wins when both are present.
      if (!cert.extensions.some((e) => e.oid === OID_FULCIO_ISSUER_V2)) {
        cert.oidcIssuer ??= new TextDecoder().decode(ext.value);
      }
      break;
  }
}

/**
 * Parses a DER certificate. Throws a `SignatureError` (`reason:
 * "tampered"`) when it is not a well-formed X.509 v3 certificate.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    const [tbs, sigAlg, sigValue] = children(
      expectTag(parseDer(der), TAG_SEQUENCE),
    );
    const fields = children(expectTag(tbs, TAG_SEQUENCE));
    let i = 0;
    if (fields[i]?.tag === 0xa0) i++; // [0] EXPLICIT version
    const serialNumber = readInteger(fields[i++]);
    i++; // signature (repeated in signatureAlgorithm)
    const issuer = expectTag(fields[i++], TAG_SEQUENCE).raw;
    const [notBefore, notAfter] = children(
      expectTag(fields[i++], TAG_SEQUENCE),
    );
    const subject = expectTag(fields[i++], TAG_SEQUENCE).raw;
    const spki = expectTag(fields[i++], TAG_SEQUENCE).raw;
    const extensionsNode = fields.slice(i).find((f) => f.tag === 0xa3);
    const cert: Certificate = {
      der,
      tbs,
      signatureAlgorithm: readOid(children(expectTag(sigAlg, TAG_SEQUENCE))[0]),
      signature: readBitString(sigValue),
      serialNumber,
      issuer,
      subject,
      notBefore: readTime(notBefore),
      notAfter: readTime(notAfter),
      spki,
      extensions: [],
      subjectAltNames: [],
      unhandledCritical: [],
    };
    if (extensionsNode) {
      const list = children(
        expectTag(children(extensionsNode)[0], TAG_SEQUENCE),
      );
      for (const node of list) {
        const ext = parseExtension(node);
        cert.extensions.push(ext);
      }
      for (const ext of cert.extensions) {
        applyExtension(cert, ext);
        if (
          ext.critical && !HANDLED.has(ext.oid) &&
          !cert.unhandledCritical.includes(ext.oid)
        ) {
          cert.unhandledCritical.push(ext.oid);
        }
      }
    }
    // Parsed last: a key type Web Crypto cannot take fails the chain, not
    // the reading of who the certificate names.
    try {
      cert.publicKey = parseSpki(spki);
    } catch {
      cert.publicKey = undefined;
    }
    return cert;
  } catch (e) {
    if (e instanceof SignatureError) throw e;
    throw new SignatureError(`malformed certificate: ${e}`, {
      reason: "tampered",
    });
  }
}

/** Whether `cert`'s signature verifies with `issuerKey`. */
export async function verifyCertificateSignature(
  cert: Certificate,
  issuerKey: PublicKeyInfo,
): Promise<boolean> {
  const alg = SIGNATURE_ALGORITHMS[cert.signatureAlgorithm];
  if (!alg || alg.kind !== issuerKey.kind) return false;
  return await verifySignature(
    issuerKey,
    alg.hash,
    cert.signature,
    cert.tbs.raw,
  );
}

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
