/**
 * RFC 3161 timestamps as sigstore bundles carry them
 * (`verificationMaterial.timestampVerificationData.rfc3161Timestamps[]
 * .signedTimestamp`): a DER TimeStampResp whose TimeStampToken is a
 * CMS SignedData (RFC 5652) whose content is a TSTInfo. A timestamp vouches
 * for its `genTime` when, as `@sigstore/verify` and sigstore-go check it:
 * its message imprint is the hash of the bundle's signature bytes, the
 * signed attributes name the TSTInfo content type and carry the hash of the
 * TSTInfo, their signature verifies with the key of a timestamp
 * authority's certificate (the signer named by the SignerInfo, from the
 * trusted root's chain or embedded in the token, and named by the ESS
 * signing certificate attribute when present), and that certificate chains
 * to a timestamp authority of the trusted root that was valid at genTime,
 * every certificate valid then, the leaf for time stamping. Web Crypto
 * only.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import {
  children,
  type DerNode,
  expectTag,
  parseDer,
  readInteger,
  readOid,
  readTime,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_SET,
} from "./asn1.ts";
import {
  type CertificatePurpose,
  verifyCertificatePath,
} from "./certificate_chain.ts";
import { bufferOf } from "./keys.ts";
import { type HashName, verifySignature } from "./public_key.ts";
import { type CertificateAuthority, covers } from "./trusted_root.ts";
import {
  bytesEqual,
  type Certificate,
  OID_EKU_TIME_STAMPING,
  parseCertificate,
  signatureAlgorithmOf,
} from "./x509.ts";

/** The largest timestamp read (64 KiB; real ones are a few KiB). */
export const MAX_TIMESTAMP_BYTES = 64 * 1024;
/** The most certificates a timestamp token may embed. */
export const MAX_TIMESTAMP_CERTIFICATES = 8;

const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_TSTINFO = "1.2.840.113549.1.9.16.1.4";
const OID_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const OID_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const OID_ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12";
const OID_ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47";
const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";

type DigestName = HashName | "SHA-1";

/** Digest algorithms of imprints and signed attributes (SHA-2). */
const DIGESTS: Record<string, HashName> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};
const OID_SHA1 = "1.3.14.3.2.26";

/** TSA certificates: the leaf must be for time stamping. */
const TIME_STAMPING: CertificatePurpose = {
  eku: OID_EKU_TIME_STAMPING,
  ekuRequired: true,
  leaf: "the timestamp authority's certificate",
  time: "the timestamp's time",
  authority: "timestamp authority",
};

/** An RFC 3161 timestamp, decoded (nothing verified yet). */
export interface ParsedTimestamp {
  /** When the TSA says it stamped the imprint. */
  genTime: Date;
  /** The TSTInfo serial number. */
  serialNumber: bigint;
  /** The TSA policy OID. */
  policy: string;
  /** The stamped hash and its algorithm. */
  imprint: { hash: HashName; digest: Uint8Array };
  /** The DER TSTInfo (the encapsulated content the signature covers). */
  tstInfo: Uint8Array;
  /** Who signed: issuer Name DER and serial, or a subject key id. */
  signer: { issuer?: Uint8Array; serialNumber?: bigint; keyId?: Uint8Array };
  /** The SignerInfo's digest algorithm. */
  digestAlgorithm: HashName;
  /** The SignerInfo's signature algorithm OID. */
  signatureAlgorithm: string;
  /** The signed attributes as signed (DER SET). */
  signedAttributes: Uint8Array;
  /** The messageDigest attribute. */
  messageDigest: Uint8Array;
  /** The signature over the signed attributes. */
  signature: Uint8Array;
  /** Certificates embedded in the token. */
  certificates: Certificate[];
  /** The ESS signing certificate attribute's hash of the signer's cert. */
  essCertHash?: { hash: DigestName; digest: Uint8Array };
}

function tampered(what: string): SignatureError {
  return new SignatureError(`malformed RFC 3161 timestamp: ${what}`, {
    reason: "tampered",
  });
}

function untrusted(what: string): SignatureError {
  return new SignatureError(what, { reason: "untrusted" });
}

function digestOf(alg: DerNode, where: string): HashName {
  const oid = readOid(children(expectTag(alg, TAG_SEQUENCE))[0]);
  const hash = DIGESTS[oid];
  if (!hash) {
    throw new SignatureError(
      `RFC 3161 timestamp: ${where} digest algorithm ${oid} is not supported`,
      { reason: "other" },
    );
  }
  return hash;
}

function tstInfoOf(eContent: Uint8Array): Pick<
  ParsedTimestamp,
  "genTime" | "serialNumber" | "policy" | "imprint"
> {
  const f = children(expectTag(parseDer(eContent), TAG_SEQUENCE));
  if (readInteger(f[0]) !== 1n) throw tampered("TSTInfo version is not 1");
  const policy = readOid(f[1]);
  const [alg, hashed] = children(expectTag(f[2], TAG_SEQUENCE));
  const imprint = {
    hash: digestOf(alg, "message imprint"),
    digest: expectTag(hashed, TAG_OCTET_STRING).content,
  };
  const serialNumber = readInteger(f[3]);
  const genTime = readTime(expectTag(f[4], TAG_GENERALIZED_TIME));
  return { genTime, serialNumber, policy, imprint };
}

/** The single value of an attribute (a SET of one). */
function attributeValue(attr: DerNode[]): DerNode {
  const values = children(expectTag(attr[1], TAG_SET));
  if (values.length !== 1) throw tampered("an attribute with several values");
  return values[0];
}

function essCertHash(
  oid: string,
  value: DerNode,
): ParsedTimestamp["essCertHash"] {
  // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2),
  // policies OPTIONAL }; the first ESSCertID names the signer.
  const [certs] = children(expectTag(value, TAG_SEQUENCE));
  const [first] = children(expectTag(certs, TAG_SEQUENCE));
  const parts = children(expectTag(first, TAG_SEQUENCE));
  if (oid === OID_ATTR_SIGNING_CERTIFICATE) {
    return {
      hash: "SHA-1",
      digest: expectTag(parts[0], TAG_OCTET_STRING).content,
    };
  }
  // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, … }
  if (parts[0]?.tag === TAG_SEQUENCE) {
    const algOid = readOid(children(parts[0])[0]);
    const hash: DigestName | undefined = algOid === OID_SHA1
      ? "SHA-1"
      : DIGESTS[algOid];
    if (!hash) throw tampered(`ESS certificate hash algorithm ${algOid}`);
    return { hash, digest: expectTag(parts[1], TAG_OCTET_STRING).content };
  }
  return {
    hash: "SHA-256",
    digest: expectTag(parts[0], TAG_OCTET_STRING).content,
  };
}

/**
 * Decodes a DER TimeStampResp (status granted) and its token. Throws a
 * `SignatureError`: `"tampered"` when it is not well-formed (or larger
 * than {@linkcode MAX_TIMESTAMP_BYTES}), `"untrusted"` for a response that
 * is not granted, `"other"` for digest algorithms not supported.
 */
export function parseTimestamp(der: Uint8Array): ParsedTimestamp {
  if (der.length > MAX_TIMESTAMP_BYTES) {
    throw tampered(`larger than ${MAX_TIMESTAMP_BYTES} bytes`);
  }
  try {
    // TimeStampResp { status PKIStatusInfo, timeStampToken } — what the
    // bundle's signedTimestamp is, and all @sigstore/verify and sigstore-go
    // read (a bare token is refused, as they refuse it).
    const top = children(expectTag(parseDer(der), TAG_SEQUENCE));
    if (top[0]?.tag !== TAG_SEQUENCE || top.length !== 2) {
      throw tampered("not a TimeStampResp with a token");
    }
    const status = readInteger(children(top[0])[0]);
    if (status !== 0n && status !== 1n) {
      throw untrusted(
        `the timestamp authority did not grant the timestamp (status ${status})`,
      );
    }
    const token = expectTag(top[1], TAG_SEQUENCE);
    const [contentType, wrapped] = children(token);
    if (readOid(contentType) !== OID_SIGNED_DATA || wrapped?.tag !== 0xa0) {
      throw tampered("the token is not CMS SignedData");
    }
    const sd = children(expectTag(children(wrapped)[0], TAG_SEQUENCE));
    readInteger(sd[0]); // version
    const [eType, eWrapped] = children(expectTag(sd[2], TAG_SEQUENCE));
    if (readOid(eType) !== OID_TSTINFO || eWrapped?.tag !== 0xa0) {
      throw tampered("the signed content is not a TSTInfo");
    }
    const tstInfo = expectTag(children(eWrapped)[0], TAG_OCTET_STRING).content;
    const certificates: Certificate[] = [];
    let i = 3;
    if (sd[i]?.tag === 0xa0) {
      for (const c of children(sd[i])) {
        // Other certificate formats ([0]–[3]) are skipped.
        if (c.tag !== TAG_SEQUENCE) continue;
        if (certificates.length === MAX_TIMESTAMP_CERTIFICATES) {
          throw tampered(
            `more than ${MAX_TIMESTAMP_CERTIFICATES} embedded certificates`,
          );
        }
        certificates.push(parseCertificate(c.raw));
      }
      i++;
    }
    if (sd[i]?.tag === 0xa1) i++; // crls
    const signerInfos = children(expectTag(sd[i], TAG_SET));
    if (signerInfos.length !== 1 || i !== sd.length - 1) {
      throw tampered("the token does not have exactly one signer");
    }
    const si = children(expectTag(signerInfos[0], TAG_SEQUENCE));
    readInteger(si[0]); // version
    const signer: ParsedTimestamp["signer"] = {};
    if (si[1].tag === TAG_SEQUENCE) {
      const [issuer, serial] = children(si[1]);
      signer.issuer = expectTag(issuer, TAG_SEQUENCE).raw;
      signer.serialNumber = readInteger(expectTag(serial, TAG_INTEGER));
    } else if (si[1].tag === 0x80) {
      signer.keyId = si[1].content;
    } else {
      throw tampered("unknown signer identifier");
    }
    const digestAlgorithm = digestOf(si[2], "signer");
    if (si[3]?.tag !== 0xa0) {
      throw tampered("the signer has no signed attributes");
    }
    // What was signed is the attributes as a DER SET (RFC 5652 §5.4).
    const signedAttributes = si[3].raw.slice();
    signedAttributes[0] = TAG_SET;
    let messageDigest: Uint8Array | undefined;
    let sawContentType = false;
    let ess: ParsedTimestamp["essCertHash"];
    const seen = new Set<string>();
    for (const attrNode of children(si[3])) {
      const attr = children(expectTag(attrNode, TAG_SEQUENCE));
      const oid = readOid(expectTag(attr[0], TAG_OID));
      if (seen.has(oid)) throw tampered(`attribute ${oid} twice`);
      seen.add(oid);
      if (oid === OID_ATTR_CONTENT_TYPE) {
        if (readOid(attributeValue(attr)) !== OID_TSTINFO) {
          throw tampered("the signed content type is not TSTInfo");
        }
        sawContentType = true;
      } else if (oid === OID_ATTR_MESSAGE_DIGEST) {
        messageDigest = expectTag(attributeValue(attr), TAG_OCTET_STRING)
          .content;
      } else if (
        oid === OID_ATTR_SIGNING_CERTIFICATE ||
        oid === OID_ATTR_SIGNING_CERTIFICATE_V2
      ) {
        ess = essCertHash(oid, attributeValue(attr));
      }
    }
    if (!sawContentType || !messageDigest) {
      throw tampered("the signed attributes lack contentType or messageDigest");
    }
    const signatureAlgorithm = readOid(
      children(expectTag(si[4], TAG_SEQUENCE))[0],
    );
    const signature = expectTag(si[5], TAG_OCTET_STRING).content;
    return {
      ...tstInfoOf(tstInfo),
      tstInfo,
      signer,
      digestAlgorithm,
      signatureAlgorithm,
      signedAttributes,
      messageDigest,
      signature,
      certificates,
      essCertHash: ess,
    };
  } catch (e) {
    if (e instanceof SignatureError) throw e;
    throw tampered(String(e));
  }
}

async function digest(hash: DigestName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, bufferOf(data)));
}

function names(cert: Certificate, signer: ParsedTimestamp["signer"]): boolean {
  if (signer.keyId) {
    return !!cert.subjectKeyId && bytesEqual(cert.subjectKeyId, signer.keyId);
  }
  return bytesEqual(cert.issuer, signer.issuer!) &&
    cert.serialNumber === signer.serialNumber;
}

/** Whether the SignerInfo's signature verifies with `cert`'s key. */
async function signedBy(
  ts: ParsedTimestamp,
  cert: Certificate,
): Promise<boolean> {
  const key = cert.publicKey;
  if (!key) return false;
  // Either a signature algorithm with its hash, or the bare key algorithm
  // with the digest algorithm's hash.
  const alg = signatureAlgorithmOf(ts.signatureAlgorithm) ??
    (ts.signatureAlgorithm === OID_RSA_ENCRYPTION
      ? { kind: "rsa", hash: ts.digestAlgorithm }
      : ts.signatureAlgorithm === OID_EC_PUBLIC_KEY
      ? { kind: "ec", hash: ts.digestAlgorithm }
      : undefined);
  if (!alg || alg.kind !== key.kind) return false;
  return await verifySignature(
    key,
    alg.hash,
    ts.signature,
    ts.signedAttributes,
  );
}

/**
 * Verifies the RFC 3161 timestamp `der` over `signature` (the bundle's
 * signature bytes) against the trusted root's timestamp `authorities`;
 * returns its genTime. Throws a `SignatureError`: `"tampered"` when it is
 * malformed, stamps another signature (message imprint) or its TSTInfo
 * does not match its signed digest; `"untrusted"` when no timestamp
 * authority of the trusted root, valid at genTime, signed it (unknown
 * signer, a signature that does not verify, a certificate that does not
 * chain, is not valid at genTime or not for time stamping).
 */
export async function verifyTimestamp(
  der: Uint8Array,
  signature: Uint8Array,
  authorities: CertificateAuthority[],
): Promise<Date> {
  const ts = parseTimestamp(der);
  if (
    !bytesEqual(await digest(ts.imprint.hash, signature), ts.imprint.digest)
  ) {
    throw new SignatureError(
      "the RFC 3161 timestamp is over another signature (message imprint)",
      { reason: "tampered" },
    );
  }
  if (
    !bytesEqual(await digest(ts.digestAlgorithm, ts.tstInfo), ts.messageDigest)
  ) {
    throw new SignatureError(
      "the RFC 3161 timestamp's TSTInfo does not match its signed digest",
      { reason: "tampered" },
    );
  }
  if (authorities.length === 0) {
    throw untrusted(
      "the trusted root has no timestamp authority for the RFC 3161 timestamp",
    );
  }
  const valid = authorities.filter((a) => covers(a.validFor, ts.genTime));
  if (valid.length === 0) {
    throw untrusted(
      `no timestamp authority of the trusted root was valid at ${ts.genTime.toISOString()}`,
    );
  }
  let last: SignatureError | undefined;
  let named = false;
  for (const authority of valid) {
    const candidates = [...authority.certChain, ...ts.certificates].filter((
      c,
    ) => names(c, ts.signer));
    for (const cert of candidates) {
      named = true;
      if (
        ts.essCertHash &&
        !bytesEqual(
          await digest(ts.essCertHash.hash, cert.der),
          ts.essCertHash.digest,
        )
      ) {
        // Another authority's certificate may carry the same name.
        last ??= untrusted(
          "the RFC 3161 timestamp's signing certificate attribute names another certificate",
        );
        continue;
      }
      if (!await signedBy(ts, cert)) {
        last = untrusted(
          "the RFC 3161 timestamp's signature does not verify with the timestamp authority's key",
        );
        continue;
      }
      try {
        await verifyCertificatePath(
          cert,
          [authority],
          ts.genTime,
          TIME_STAMPING,
        );
        return ts.genTime;
      } catch (e) {
        if (!(e instanceof SignatureError)) throw e;
        last = e;
      }
    }
  }
  if (!named) {
    throw untrusted(
      "the RFC 3161 timestamp is not signed by a timestamp authority of the trusted root",
    );
  }
  throw last!;
}
