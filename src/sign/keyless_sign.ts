/**
 * Keyless signing of a pushed artifact, as `cosign sign` does it: an
 * ephemeral ECDSA P-256 key (Web Crypto, never exported or written), a
 * short-lived certificate from Fulcio for the identity an OIDC token
 * names, the signature over the manifest recorded in Rekor, and a sigstore
 * bundle v0.3 (certificate, log entry with its signed entry timestamp and
 * inclusion proof, message signature) pushed as an OCI 1.1 referrer of the
 * manifest.
 *
 * @module
 */
import { registerSecret } from "../_redact.ts";
import { SignatureError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { OciStore, RepositoryRef } from "../oci/store.ts";
import { MEDIA_TYPE_SIGSTORE_BUNDLE } from "./bundle.ts";
import { p1363ToDer } from "./der_signature.ts";
import {
  DEFAULT_FULCIO_URL,
  requestSigningCertificate,
  type SigstoreHttpOptions,
  tokenClaims,
} from "./fulcio.ts";
import { bufferOf, encodeBase64, PEM_PUBLIC_KEY, toPem } from "./keys.ts";
import {
  type BundleTlogEntry,
  createHashedRekordEntry,
  DEFAULT_REKOR_URL,
} from "./rekor.ts";
import { assertManifestBytes, pushSignatureReferrer } from "./sign_artifact.ts";

/**
 * Keyless signing: where the identity comes from and which sigstore
 * services certify and record it.
 *
 * @example
 * ```ts
 * import type { KeylessSignOptions } from "@klaus/oci";
 * const sign: KeylessSignOptions = {
 *   identityToken: () => Promise.resolve(Deno.env.get("SIGSTORE_ID_TOKEN") ?? ""),
 * };
 * console.log(typeof sign.identityToken);
 * ```
 */
export interface KeylessSignOptions {
  /**
   * The OIDC identity token (a JWT), or a function fetching one when it
   * is needed. A secret: it goes to Fulcio only, and never into an error,
   * a log or a file.
   */
  identityToken: string | (() => Promise<string>);
  /** Fulcio's base URL (default `https://fulcio.sigstore.dev`). */
  fulcioUrl?: string;
  /** Rekor's base URL (default `https://rekor.sigstore.dev`). */
  rekorUrl?: string;
  /** The `fetch` for both services (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Time each service request has for its answer (ms, default 30 000). */
  timeoutMs?: number;
}

/** A keyless signature over a manifest, not yet pushed. */
export interface KeylessBundle {
  /** The bundle JSON. */
  bundle: Uint8Array;
  /**
   * The certified identity: the certificate's subject alternative name
   * (else the token's `email`, else its `sub`).
   */
  identity: string;
  /** The OIDC issuer: the certificate's, else the token's `iss`. */
  issuer: string;
  /** The entry's index in the transparency log. */
  tlogIndex: number;
  /** The signing certificate chain (PEM, leaf first). */
  certificateChain: string[];
}

/** What {@linkcode signArtifactKeyless} pushed. */
export interface KeylessSignedArtifact extends KeylessBundle {
  /** The descriptor of the referrer manifest carrying the bundle. */
  referrer: Descriptor;
}

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

async function sign(key: CryptoKey, bytes: Uint8Array): Promise<Uint8Array> {
  return p1363ToDer(
    new Uint8Array(
      await crypto.subtle.sign(ECDSA_SHA256, key, bufferOf(bytes)),
    ),
  );
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function resolveToken(
  input: KeylessSignOptions["identityToken"],
): Promise<string> {
  let token: unknown;
  try {
    token = typeof input === "function" ? await input() : input;
  } catch (e) {
    throw new SignatureError(
      `getting the identity token: ${e instanceof Error ? e.message : e}`,
      { reason: "other", cause: e },
    );
  }
  if (typeof token !== "string" || token.trim() === "") {
    throw new SignatureError("no identity token for keyless signing", {
      reason: "other",
    });
  }
  registerSecret(token, { ephemeral: true });
  registerSecret(token.trim(), { ephemeral: true });
  return token.trim();
}

/**
 * Signs `manifestBytes` (named by `manifestDescriptor`) keylessly: an
 * ephemeral key, a Fulcio certificate for the token's identity (the key
 * proves possession by signing the token's subject), the signature over
 * the manifest bytes recorded in Rekor. Returns the bundle (v0.3); nothing
 * is pushed to a registry. The private key lives in this call only.
 */
export async function createKeylessBundle(
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
  options: KeylessSignOptions & { signal?: AbortSignal },
): Promise<KeylessBundle> {
  assertManifestBytes(manifestDescriptor, manifestBytes);
  if (!manifestDescriptor.digest.startsWith("sha256:")) {
    throw new SignatureError(
      `only sha256 manifests can be signed (${manifestDescriptor.digest})`,
      { reason: "other" },
    );
  }
  const token = await resolveToken(options.identityToken);
  const claims = tokenClaims(token);
  const http: SigstoreHttpOptions = {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  };
  // Not extractable: the private key cannot leave Web Crypto.
  const pair = await crypto.subtle.generateKey(ECDSA_P256, false, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", pair.publicKey),
  );
  const proof = await sign(
    pair.privateKey,
    new TextEncoder().encode(claims.subject),
  );
  const cert = await requestSigningCertificate(
    options.fulcioUrl ?? DEFAULT_FULCIO_URL,
    token,
    toPem(PEM_PUBLIC_KEY, spki),
    proof,
    http,
  );
  const signature = await sign(pair.privateKey, manifestBytes);
  const digestHex = manifestDescriptor.digest.slice("sha256:".length);
  const entry = await createHashedRekordEntry(
    options.rekorUrl ?? DEFAULT_REKOR_URL,
    { digestHex, signature, certificatePem: cert.chain[0] },
    http,
  );
  const bundle = keylessBundleJson(
    cert.leaf,
    entry.tlogEntry,
    digestHex,
    signature,
  );
  // Who signed is what the certificate says (Fulcio may certify another
  // form of the identity than the token's subject, e.g. a workflow URI).
  const { parseCertificate } = await import("./x509.ts");
  let identity = claims.subject;
  let issuer = claims.issuer;
  try {
    const leaf = parseCertificate(cert.leaf);
    identity = leaf.subjectAltNames[0]?.value ?? identity;
    issuer = leaf.oidcIssuer ?? issuer;
  } catch {
    // The verifier judges the certificate; the token names the signer.
  }
  return {
    bundle: new TextEncoder().encode(JSON.stringify(bundle)),
    identity,
    issuer,
    tlogIndex: entry.logIndex,
    certificateChain: cert.chain,
  };
}

/** The bundle (v0.3) of a keyless message signature. */
export function keylessBundleJson(
  leafCertificate: Uint8Array,
  tlogEntry: BundleTlogEntry,
  digestHex: string,
  signature: Uint8Array,
): Record<string, unknown> {
  const digest = new Uint8Array(digestHex.length / 2);
  for (let i = 0; i < digest.length; i++) {
    digest[i] = parseInt(digestHex.slice(2 * i, 2 * i + 2), 16);
  }
  if (hex(digest) !== digestHex.toLowerCase()) {
    throw new SignatureError(`invalid sha256 digest ${digestHex}`, {
      reason: "other",
    });
  }
  return {
    mediaType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    verificationMaterial: {
      certificate: { rawBytes: encodeBase64(leafCertificate) },
      tlogEntries: [tlogEntry],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: { algorithm: "SHA2_256", digest: encodeBase64(digest) },
      signature: encodeBase64(signature),
    },
  };
}

/**
 * Signs the manifest `manifestBytes` keylessly
 * ({@linkcode createKeylessBundle}) and pushes the bundle as a referrer of
 * the manifest to `repo` in `store`, as `signArtifact` does for a key.
 */
export async function signArtifactKeyless(
  store: OciStore,
  repo: RepositoryRef,
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
  options: KeylessSignOptions & { signal?: AbortSignal },
): Promise<KeylessSignedArtifact> {
  const signed = await createKeylessBundle(
    manifestDescriptor,
    manifestBytes,
    options,
  );
  const referrer = await pushSignatureReferrer(
    store,
    repo,
    manifestDescriptor,
    signed.bundle,
    options.signal,
  );
  return { ...signed, referrer };
}
