/**
 * Signatures of cosign before v3: not referrers, but an OCI manifest tagged
 * `sha256-<hex>.sig` in the signed image's repository, one layer per
 * signature. Each layer is a "simple signing" payload
 * (`application/vnd.dev.cosign.simplesigning.v1+json`) naming the signed
 * manifest digest, with the base64 signature over the payload bytes in the
 * annotation `dev.cosignproject.cosign/signature` (and, for keyless ones,
 * the certificate and a Rekor bundle in other annotations). Registries are
 * full of them, so a verifier that only reads referrers would call those
 * artifacts unsigned.
 *
 * @module
 */
import { KlausOciError, NotFoundError, SignatureError } from "../errors.ts";
import { readSmallBlob } from "../artifact/fetch_parts.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { OciStore, RepositoryRef } from "../oci/store.ts";
import { derToP1363 } from "./der_signature.ts";
import { bufferOf, decodeBase64 } from "./keys.ts";

/** Media type of a cosign simple signing payload. */
export const MEDIA_TYPE_COSIGN_SIMPLE_SIGNING =
  "application/vnd.dev.cosign.simplesigning.v1+json";
/** Annotation holding a legacy cosign signature (base64). */
export const ANNOTATION_COSIGN_SIGNATURE = "dev.cosignproject.cosign/signature";
/** Annotation holding a legacy keyless signature's certificate (PEM). */
export const ANNOTATION_COSIGN_CERTIFICATE = "dev.sigstore.cosign/certificate";

/** The `type` of a cosign simple signing payload. */
const SIMPLE_SIGNING_TYPE = "cosign container image signature";
/** Largest payload read (cosign's are a few hundred bytes). */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * The tag under which cosign before v3 stores the signatures of `digest`:
 * `sha256:abc…` → `sha256-abc….sig`.
 *
 * @example
 * ```ts
 * import { cosignSignatureTag } from "./cosign_legacy.ts";
 * console.log(cosignSignatureTag("sha256:" + "ab".repeat(32)).endsWith(".sig")); // true
 * ```
 */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** One legacy signature layer, read and decoded. */
export interface LegacySignature {
  /** The layer (payload) descriptor. */
  layer: Descriptor;
  /** The payload bytes the signature covers. */
  payload: Uint8Array;
  /** The DER (or P1363) signature bytes. */
  signature: Uint8Array;
  /** The manifest digest the payload names. */
  signedDigest: string;
  /** Whether the signature is keyless (carries a certificate). */
  keyless: boolean;
}

/** What was found under the `.sig` tag. */
export interface LegacySignatures {
  /** The digest of the `.sig` manifest. */
  manifest: string;
  /** Its signature layers (bad layers are listed with `error`). */
  signatures:
    (LegacySignature | { layer: Descriptor; error: SignatureError })[];
}

function decodePayload(bytes: Uint8Array): string {
  let doc: {
    critical?: { type?: unknown; image?: Record<string, unknown> };
  };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SignatureError("cosign signature payload is not JSON", {
      reason: "tampered",
    });
  }
  const digest = doc?.critical?.image?.["docker-manifest-digest"];
  if (
    doc?.critical?.type !== SIMPLE_SIGNING_TYPE || typeof digest !== "string"
  ) {
    throw new SignatureError(
      "cosign signature payload is not a container image signature",
      { reason: "tampered" },
    );
  }
  return digest;
}

/**
 * Reads the legacy cosign signatures of `digest` in `repo`: `undefined`
 * when there is no `.sig` tag. Payloads larger than 64 KiB and layers
 * without a signature annotation are reported as errors, not read.
 */
export async function readLegacySignatures(
  store: OciStore,
  repo: RepositoryRef,
  digest: string,
  signal?: AbortSignal,
): Promise<LegacySignatures | undefined> {
  let fetched;
  try {
    fetched = await store.fetchManifest(
      { ...repo, tag: cosignSignatureTag(digest) },
      { signal },
    );
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  let layers: Descriptor[] = [];
  try {
    const doc = JSON.parse(new TextDecoder().decode(fetched.bytes));
    if (Array.isArray(doc?.layers)) layers = doc.layers;
  } catch {
    // A .sig tag that is not a manifest holds no signature.
  }
  const signatures: LegacySignatures["signatures"] = [];
  for (const layer of layers) {
    if (layer?.mediaType !== MEDIA_TYPE_COSIGN_SIMPLE_SIGNING) continue;
    const annotations = layer.annotations ?? {};
    const sig = annotations[ANNOTATION_COSIGN_SIGNATURE];
    try {
      if (typeof sig !== "string" || sig === "") {
        throw new SignatureError("cosign signature layer has no signature", {
          reason: "tampered",
        });
      }
      const payload = await readSmallBlob(store, repo, layer, {
        signal,
        limit: MAX_PAYLOAD_BYTES,
      });
      signatures.push({
        layer,
        payload,
        signature: decodeBase64(sig),
        signedDigest: decodePayload(payload),
        keyless: ANNOTATION_COSIGN_CERTIFICATE in annotations,
      });
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      if (!(e instanceof KlausOciError)) throw e;
      signatures.push({
        layer,
        error: e instanceof SignatureError
          ? e
          : new SignatureError(e.message, { reason: "other", cause: e }),
      });
    }
  }
  return { manifest: fetched.descriptor.digest, signatures };
}

/**
 * Whether `signature` (DER, as cosign writes it, or P1363) over `payload`
 * verifies with the ECDSA P-256 public key `key` (SHA-256).
 */
export async function verifyLegacySignature(
  key: CryptoKey,
  payload: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  let p1363: Uint8Array;
  try {
    p1363 = signature[0] === 0x30 ? derToP1363(signature) : signature;
  } catch {
    return false;
  }
  return await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    bufferOf(p1363),
    bufferOf(payload),
  );
}

/** A key of a verification policy, with its key id. */
export interface LegacyPolicyKey {
  /** The public key. */
  key: CryptoKey;
  /** Its key id (sha256 of the SPKI DER, hex). */
  keyId: string;
}

/** What one legacy signature came to under a policy's keys. */
export interface LegacyResult {
  /** The `.sig` manifest's digest. */
  referrer: string;
  /** The key id that verified it. */
  keyId?: string;
  /** Whether a key of the policy verified it. */
  verified: boolean;
  /** Why not. */
  reason?: SignatureError["reason"];
}

/**
 * Checks the legacy cosign signatures of `digest` with the policy's
 * `keys`: each must name `digest` in its payload (else "other-digest") and
 * verify with one of them (else "wrong-key"; cosign's legacy layers carry
 * no key hint). Keyless legacy signatures (a certificate annotation, no
 * key) are reported "untrusted": only bundles are verified against a
 * trusted root.
 */
export async function checkLegacySignatures(
  store: OciStore,
  repo: RepositoryRef,
  digest: string,
  keys: readonly LegacyPolicyKey[],
  signal?: AbortSignal,
): Promise<LegacyResult[]> {
  const found = await readLegacySignatures(store, repo, digest, signal);
  if (!found) return [];
  const out: LegacyResult[] = [];
  for (const s of found.signatures) {
    const referrer = found.manifest;
    if ("error" in s) {
      out.push({ referrer, verified: false, reason: s.error.reason });
    } else if (s.signedDigest !== digest) {
      out.push({ referrer, verified: false, reason: "other-digest" });
    } else if (s.keyless) {
      out.push({ referrer, verified: false, reason: "untrusted" });
    } else {
      let keyId: string | undefined;
      for (const k of keys) {
        if (await verifyLegacySignature(k.key, s.payload, s.signature)) {
          keyId = k.keyId;
          break;
        }
      }
      out.push(
        keyId
          ? { referrer, keyId, verified: true }
          : { referrer, verified: false, reason: "wrong-key" },
      );
    }
  }
  return out;
}
