/**
 * ECDSA P-256 signing keys through Web Crypto: PEM import and export of
 * PKCS#8 private keys and SPKI public keys, and the key id a sigstore
 * bundle carries as its public key hint (the sha256 of the SPKI DER, hex).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import { digestOf } from "../oci/digest.ts";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

/** PEM label of a PKCS#8 private key. */
export const PEM_PRIVATE_KEY = "PRIVATE KEY";
/** PEM label of an SPKI public key. */
export const PEM_PUBLIC_KEY = "PUBLIC KEY";

/** A key given as a Web Crypto key or as PEM text. */
export type KeyInput = CryptoKey | string;

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `bytes` on a plain `ArrayBuffer`, as Web Crypto takes them. */
export function bufferOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
}

/** `bytes` as base64 (standard alphabet, padded). */
export function encodeBase64(bytes: Uint8Array): string {
  return toBase64(bytes);
}

/** Standard base64 text decoded; throws a `SignatureError` on bad input. */
export function decodeBase64(text: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    throw new SignatureError("invalid base64 in signature bundle", {
      reason: "tampered",
    });
  }
}

/** `der` wrapped as PEM with `label` (64 characters a line). */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${
    lines.join("\n")
  }\n-----END ${label}-----\n`;
}

/**
 * The label and DER bytes of the first PEM block of `pem`. Throws a
 * `SignatureError` (`reason: "other"`) when there is none.
 */
export function parsePem(pem: string): { label: string; der: Uint8Array } {
  const m = pem.match(
    /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/,
  );
  if (!m) {
    throw new SignatureError("no PEM block found in the key", {
      reason: "other",
    });
  }
  const body = m[2].replace(/[\r\n\t ]/g, "");
  return { label: m[1], der: fromBase64(body) };
}

/** Generates an extractable ECDSA P-256 key pair. */
export async function generateSigningKey(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
}

/** Options of {@linkcode importPrivateKeyPem}. */
export interface ImportKeyOptions {
  /**
   * The passphrase of a cosign encrypted key (cosign reads it from
   * `COSIGN_PASSWORD`).
   */
  passphrase?: string;
}

/**
 * Imports an ECDSA P-256 private key for signing (extractable, so its key
 * id can be computed): PKCS#8 PEM (`PRIVATE KEY`), or cosign's encrypted
 * PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`, `ENCRYPTED COSIGN PRIVATE KEY`)
 * with `options.passphrase`.
 */
export async function importPrivateKeyPem(
  pem: string,
  options: ImportKeyOptions = {},
): Promise<CryptoKey> {
  let { label, der } = parsePem(pem);
  if (label.startsWith("ENCRYPTED ") && label.endsWith(" PRIVATE KEY")) {
    if (options.passphrase === undefined) {
      throw new SignatureError(
        `the private key is encrypted ("${label}"): a passphrase is needed (COSIGN_PASSWORD)`,
        { reason: "other" },
      );
    }
    const { decryptKeyDocument } = await import("./encrypted_key.ts");
    der = await decryptKeyDocument(der, options.passphrase);
    label = PEM_PRIVATE_KEY;
  }
  if (label !== PEM_PRIVATE_KEY) {
    throw new SignatureError(
      `unsupported private key PEM "${label}" (want PKCS#8 "${PEM_PRIVATE_KEY}")`,
      { reason: "other" },
    );
  }
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      bufferOf(der),
      ALGORITHM,
      true,
      [
        "sign",
      ],
    );
  } catch (e) {
    throw new SignatureError(
      `importing private key: ${e instanceof Error ? e.message : e}`,
      { reason: "other", cause: e },
    );
  }
}

/** Imports an SPKI PEM public key (ECDSA P-256) for verification. */
export async function importPublicKeyPem(pem: string): Promise<CryptoKey> {
  const { label, der } = parsePem(pem);
  if (label !== PEM_PUBLIC_KEY) {
    throw new SignatureError(
      `unsupported public key PEM "${label}" (want "${PEM_PUBLIC_KEY}")`,
      { reason: "other" },
    );
  }
  try {
    return await crypto.subtle.importKey(
      "spki",
      bufferOf(der),
      ALGORITHM,
      true,
      [
        "verify",
      ],
    );
  } catch (e) {
    throw new SignatureError(
      `importing public key: ${e instanceof Error ? e.message : e}`,
      { reason: "other", cause: e },
    );
  }
}

/** A private key as PKCS#8 PEM (the key must be extractable). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return toPem(PEM_PRIVATE_KEY, der);
}

/** A public key as SPKI PEM. */
export async function exportPublicKeyPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", key));
  return toPem(PEM_PUBLIC_KEY, der);
}

/**
 * The public key of a private key (through its JWK, so the private key
 * must be extractable), for verification.
 */
export async function publicKeyOf(privateKey: CryptoKey): Promise<CryptoKey> {
  if (privateKey.type === "public") return privateKey;
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const { kty, crv, x, y } = jwk;
  return await crypto.subtle.importKey(
    "jwk",
    { kty, crv, x, y, ext: true },
    ALGORITHM,
    true,
    ["verify"],
  );
}

/** The key id of a public key: sha256 of its SPKI DER, lower-case hex. */
export async function keyIdOf(publicKey: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  return digestOf(der).slice("sha256:".length);
}

/** A private signing key from a `CryptoKey` or PKCS#8 PEM text. */
export async function signingKey(input: KeyInput): Promise<CryptoKey> {
  return typeof input === "string" ? await importPrivateKeyPem(input) : input;
}

/** A public verification key from a `CryptoKey` or SPKI PEM text. */
export async function verificationKey(input: KeyInput): Promise<CryptoKey> {
  return typeof input === "string" ? await importPublicKeyPem(input) : input;
}
