/**
 * cosign's encrypted private keys (`-----BEGIN ENCRYPTED SIGSTORE PRIVATE
 * KEY-----`, earlier `ENCRYPTED COSIGN PRIVATE KEY`): a JSON document
 * (go-securesystemslib's `encrypted` format) holding the PKCS#8 DER of the
 * key sealed with NaCl secretbox (XSalsa20-Poly1305) under a key derived
 * from the passphrase with scrypt (cosign's N=32768, r=8, p=1). cosign
 * reads the passphrase from `COSIGN_PASSWORD`.
 *
 * @module
 */
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { SignatureError } from "../errors.ts";
import { decodeBase64, encodeBase64, toPem } from "./keys.ts";

/** PEM label of cosign's encrypted private keys. */
export const PEM_ENCRYPTED_SIGSTORE_KEY = "ENCRYPTED SIGSTORE PRIVATE KEY";
/** PEM label of cosign's encrypted private keys before sigstore's rename. */
export const PEM_ENCRYPTED_COSIGN_KEY = "ENCRYPTED COSIGN PRIVATE KEY";

/** cosign's scrypt parameters. */
const SCRYPT = { N: 32768, r: 8, p: 1 };

interface EncryptedDocument {
  kdf: {
    name: string;
    params: { N: number; r: number; p: number };
    salt: string;
  };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function refused(message: string, cause?: unknown): SignatureError {
  return new SignatureError(message, { reason: "other", cause });
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  params: { N: number; r: number; p: number },
): Promise<Uint8Array> {
  return await scryptAsync(new TextEncoder().encode(passphrase), salt, {
    ...params,
    dkLen: 32,
  });
}

/**
 * The PKCS#8 DER of an encrypted key document (the PEM body, decoded).
 * Throws a `SignatureError` on an unsupported document or a wrong
 * passphrase.
 */
export async function decryptKeyDocument(
  body: Uint8Array,
  passphrase: string,
): Promise<Uint8Array> {
  let doc: EncryptedDocument;
  try {
    doc = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw refused("encrypted private key is not a JSON document", e);
  }
  const { kdf, cipher } = doc ?? {};
  if (kdf?.name !== "scrypt" || cipher?.name !== "nacl/secretbox") {
    throw refused(
      `unsupported encrypted private key (kdf ${kdf?.name}, cipher ${cipher?.name}; want scrypt, nacl/secretbox)`,
    );
  }
  const { N, r, p } = kdf.params ?? {};
  // Bounded: a hostile key file must not ask for gigabytes.
  if (
    !Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) ||
    N < 2 || N > 1 << 20 || r < 1 || r > 32 || p < 1 || p > 16
  ) {
    throw refused(`unsupported scrypt parameters N=${N} r=${r} p=${p}`);
  }
  const key = await deriveKey(passphrase, decodeBase64(kdf.salt), {
    N,
    r,
    p,
  });
  try {
    return xsalsa20poly1305(key, decodeBase64(cipher.nonce)).decrypt(
      decodeBase64(doc.ciphertext),
    );
  } catch (e) {
    throw refused("decrypting private key: wrong passphrase?", e);
  }
}

/**
 * `pkcs8` (a private key's PKCS#8 DER) as cosign's encrypted PEM
 * (`ENCRYPTED SIGSTORE PRIVATE KEY`), sealed under `passphrase`.
 */
export async function encryptKeyPem(
  pkcs8: Uint8Array,
  passphrase: string,
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(24));
  const key = await deriveKey(passphrase, salt, SCRYPT);
  const doc: EncryptedDocument = {
    kdf: { name: "scrypt", params: SCRYPT, salt: encodeBase64(salt) },
    cipher: { name: "nacl/secretbox", nonce: encodeBase64(nonce) },
    ciphertext: encodeBase64(xsalsa20poly1305(key, nonce).encrypt(pkcs8)),
  };
  return toPem(
    PEM_ENCRYPTED_SIGSTORE_KEY,
    new TextEncoder().encode(JSON.stringify(doc)),
  );
}
