/**
 * The sigstore trusted root (`trusted_root.json`, media type
 * `application/vnd.dev.sigstore.trustedroot+json;version=0.1`, v0.2): the
 * Fulcio certificate authorities, the transparency logs (Rekor v1 and v2),
 * the certificate transparency logs and the RFC 3161 timestamp authorities
 * a keyless signature is checked against.
 * Read from its protobuf JSON form (base64 bytes, RFC 3339 times); unknown
 * fields are ignored, as protobuf readers do.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import { decodeBase64 } from "./keys.ts";
import { type HashName, parseSpki, type PublicKeyInfo } from "./public_key.ts";
import { type Certificate, parseCertificate } from "./x509.ts";

/** When a key or CA may be used (`end` absent: still valid). */
export interface ValidFor {
  /** Start of the period. */
  start: Date;
  /** End of the period, when it has one. */
  end?: Date;
}

/** A Fulcio certificate authority or an RFC 3161 timestamp authority. */
export interface CertificateAuthority {
  /**
   * Its chain, issuing CA first, root last (a timestamp authority's
   * starts with its signing certificate).
   */
  certChain: Certificate[];
  /** When it issued certificates. */
  validFor: ValidFor;
  /** Where it is (informational). */
  uri?: string;
}

/** A transparency log or certificate transparency log. */
export interface TransparencyLog {
  /** Its base URL (a checkpoint's signer name must occur in it). */
  baseUrl: string;
  /** The log id (sha256 of the key's SPKI DER for Rekor and CT logs). */
  logId: Uint8Array;
  /** The log's public key. */
  publicKey: PublicKeyInfo;
  /** The hash it signs with. */
  hash: HashName;
  /** When the key was in use. */
  validFor: ValidFor;
}

/** A parsed trusted root. */
export interface TrustedRoot {
  /** The media type it declared. */
  mediaType: string;
  /** Fulcio CAs. */
  certificateAuthorities: CertificateAuthority[];
  /** Rekor logs. */
  tlogs: TransparencyLog[];
  /** Certificate transparency logs (empty: SCTs are not required). */
  ctlogs: TransparencyLog[];
  /** RFC 3161 timestamp authorities. */
  timestampAuthorities: CertificateAuthority[];
}

/** Media type prefix of trusted roots. */
export const MEDIA_TYPE_TRUSTED_ROOT_PREFIX =
  "application/vnd.dev.sigstore.trustedroot";

function malformed(what: string): SignatureError {
  return new SignatureError(`malformed trusted root: ${what}`, {
    reason: "other",
  });
}

type Json = Record<string, unknown>;

function object(v: unknown, where: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw malformed(`${where} is not an object`);
  }
  return v as Json;
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw malformed(`${where} is not an array`);
  return v;
}

function bytes(v: unknown, where: string): Uint8Array {
  if (typeof v !== "string" || v === "") {
    throw malformed(`${where} is not base64 text`);
  }
  try {
    // protobuf JSON accepts both base64 alphabets.
    return decodeBase64(v.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw malformed(`${where} is not base64`);
  }
}

function time(v: unknown, where: string): Date {
  const d = typeof v === "string" ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    throw malformed(`${where} is not an RFC 3339 time`);
  }
  return d;
}

function validFor(v: unknown, where: string): ValidFor {
  if (v === undefined || v === null) return { start: new Date(0) };
  const o = object(v, where);
  return {
    start: o.start === undefined
      ? new Date(0)
      : time(o.start, `${where}.start`),
    end: o.end === undefined ? undefined : time(o.end, `${where}.end`),
  };
}

const HASHES: Record<string, HashName> = {
  PKIX_ECDSA_P256_SHA_256: "SHA-256",
  PKIX_ECDSA_P384_SHA_384: "SHA-384",
  PKIX_ECDSA_P521_SHA_512: "SHA-512",
  PKIX_RSA_PKCS1V15_2048_SHA256: "SHA-256",
  PKIX_RSA_PKCS1V15_3072_SHA256: "SHA-256",
  PKIX_RSA_PKCS1V15_4096_SHA256: "SHA-256",
  PKIX_RSA_PKCS1V5: "SHA-256",
  PKIX_ED25519: "SHA-512",
};

function transparencyLog(v: unknown, where: string): TransparencyLog {
  const o = object(v, where);
  const key = object(o.publicKey, `${where}.publicKey`);
  const der = bytes(key.rawBytes, `${where}.publicKey.rawBytes`);
  let publicKey: PublicKeyInfo;
  try {
    publicKey = parseSpki(der);
  } catch (e) {
    throw malformed(`${where}.publicKey: ${(e as Error).message}`);
  }
  const details = typeof key.keyDetails === "string" ? key.keyDetails : "";
  // Rekor v2 logs name their checkpoint key separately from the log id.
  const id = o.checkpointKeyId ?? o.logId;
  return {
    baseUrl: typeof o.baseUrl === "string" ? o.baseUrl : "",
    logId: bytes(object(id, `${where}.logId`).keyId, `${where}.logId.keyId`),
    publicKey,
    hash: HASHES[details] ??
      (publicKey.curve === "P-384" ? "SHA-384" : "SHA-256"),
    validFor: validFor(key.validFor, `${where}.publicKey.validFor`),
  };
}

function certificateAuthority(v: unknown, where: string): CertificateAuthority {
  const o = object(v, where);
  const chain = list(
    object(o.certChain, `${where}.certChain`).certificates,
    `${where}.certChain.certificates`,
  );
  if (chain.length === 0) throw malformed(`${where} has no certificates`);
  return {
    certChain: chain.map((c, i) => {
      const where2 = `${where}.certChain.certificates[${i}]`;
      try {
        return parseCertificate(bytes(object(c, where2).rawBytes, where2));
      } catch (e) {
        if (e instanceof SignatureError && e.reason === "other") throw e;
        throw malformed(`${where2}: ${(e as Error).message}`);
      }
    }),
    validFor: validFor(o.validFor, `${where}.validFor`),
    uri: typeof o.uri === "string" ? o.uri : undefined,
  };
}

/**
 * Parses a trusted root given as `trusted_root.json` text or its parsed
 * object. Throws a `SignatureError` (`reason: "other"`) naming the field
 * when it is malformed (not JSON, another media type, bad base64, a
 * certificate or key that cannot be read).
 */
export function parseTrustedRoot(input: string | Json): TrustedRoot {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch {
      throw malformed("not JSON");
    }
  }
  const o = object(doc, "trusted root");
  const mediaType = typeof o.mediaType === "string" ? o.mediaType : "";
  if (
    mediaType !== "" && !mediaType.startsWith(MEDIA_TYPE_TRUSTED_ROOT_PREFIX)
  ) {
    throw malformed(`media type ${JSON.stringify(mediaType)}`);
  }
  return {
    mediaType,
    certificateAuthorities: list(
      o.certificateAuthorities,
      "certificateAuthorities",
    ).map((c, i) => certificateAuthority(c, `certificateAuthorities[${i}]`)),
    tlogs: list(o.tlogs, "tlogs").map((t, i) =>
      transparencyLog(t, `tlogs[${i}]`)
    ),
    ctlogs: list(o.ctlogs, "ctlogs").map((t, i) =>
      transparencyLog(t, `ctlogs[${i}]`)
    ),
    timestampAuthorities: list(
      o.timestampAuthorities,
      "timestampAuthorities",
    ).map((c, i) => certificateAuthority(c, `timestampAuthorities[${i}]`)),
  };
}

/** Whether `period` covers `at`. */
export function covers(period: ValidFor, at: Date): boolean {
  return period.start.getTime() <= at.getTime() &&
    (period.end === undefined || at.getTime() <= period.end.getTime());
}
