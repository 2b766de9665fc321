/**
 * Public keys as certificates and trusted roots carry them (SPKI DER),
 * imported into Web Crypto, and the signature check every part of keyless
 * verification shares: ECDSA (P-256, P-384; DER signatures), RSA
 * PKCS#1 v1.5 and Ed25519. Web Crypto only, so it runs in Deno, Node, Bun
 * and workerd alike.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import {
  children,
  expectTag,
  parseDer,
  readOid,
  TAG_SEQUENCE,
} from "./asn1.ts";
import { derToP1363 } from "./der_signature.ts";
import { bufferOf } from "./keys.ts";

/** A hash Web Crypto knows. */
export type HashName = "SHA-256" | "SHA-384" | "SHA-512";

/** An SPKI public key, its kind read from the algorithm identifier. */
export interface PublicKeyInfo {
  /** The key type. */
  kind: "ec" | "rsa" | "ed25519";
  /** The curve of an EC key. */
  curve?: "P-256" | "P-384";
  /** The SPKI DER bytes. */
  der: Uint8Array;
}

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA = "1.2.840.113549.1.1.1";
const OID_ED25519 = "1.3.101.112";
const CURVES: Record<string, PublicKeyInfo["curve"]> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
};
const CURVE_BYTES = { "P-256": 32, "P-384": 48 } as const;

/**
 * Reads the algorithm of an SPKI DER public key. Throws a `SignatureError`
 * (`reason: "untrusted"`) for key types not supported here.
 */
export function parseSpki(der: Uint8Array): PublicKeyInfo {
  const [alg] = children(expectTag(parseDer(der), TAG_SEQUENCE));
  const [oid, params] = children(expectTag(alg, TAG_SEQUENCE));
  const algorithm = readOid(oid);
  if (algorithm === OID_EC_PUBLIC_KEY) {
    const curve = params ? CURVES[readOid(params)] : undefined;
    if (curve) return { kind: "ec", curve, der };
  } else if (algorithm === OID_RSA) {
    return { kind: "rsa", der };
  } else if (algorithm === OID_ED25519) {
    return { kind: "ed25519", der };
  }
  throw new SignatureError(`unsupported public key algorithm ${algorithm}`, {
    reason: "untrusted",
  });
}

/** The hash a key signs with unless told otherwise (sigstore's defaults). */
export function defaultHash(key: PublicKeyInfo): HashName {
  if (key.curve === "P-384") return "SHA-384";
  return "SHA-256";
}

const imported = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();

function importKey(key: PublicKeyInfo, hash: HashName): Promise<CryptoKey> {
  const algorithm = key.kind === "ec"
    ? { name: "ECDSA", namedCurve: key.curve! }
    : key.kind === "rsa"
    ? { name: "RSASSA-PKCS1-v1_5", hash }
    : { name: "Ed25519" };
  // The same log and CA keys check every bundle: import each once.
  let byHash = imported.get(key.der);
  if (!byHash) imported.set(key.der, byHash = new Map());
  const id = key.kind === "rsa" ? hash : "";
  let p = byHash.get(id);
  if (!p) {
    p = crypto.subtle.importKey(
      "spki",
      bufferOf(key.der),
      algorithm,
      false,
      ["verify"],
    );
    byHash.set(id, p);
  }
  return p;
}

/**
 * Whether `signature` (DER for ECDSA, raw for RSA and Ed25519) over `data`
 * verifies with `key` and `hash`. A malformed signature or a key Web Crypto
 * refuses is `false`, never an exception: callers map it to their reason.
 */
export async function verifySignature(
  key: PublicKeyInfo,
  hash: HashName,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    const cryptoKey = await importKey(key, hash);
    if (key.kind === "ec") {
      const p1363 = derToP1363(signature, CURVE_BYTES[key.curve!]);
      return await crypto.subtle.verify(
        { name: "ECDSA", hash },
        cryptoKey,
        bufferOf(p1363),
        bufferOf(data),
      );
    }
    return await crypto.subtle.verify(
      cryptoKey.algorithm.name,
      cryptoKey,
      bufferOf(signature),
      bufferOf(data),
    );
  } catch {
    return false;
  }
}
