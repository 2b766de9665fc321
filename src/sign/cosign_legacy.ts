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
import { digestOf } from "../oci/digest.ts";
import { derToP1363 } from "./der_signature.ts";
import { bufferOf, decodeBase64, encodeBase64, parsePem } from "./keys.ts";
import { type PreparedPolicy, verifyBundle } from "./verify_bundle.ts";

/** Media type of a cosign simple signing payload. */
export const MEDIA_TYPE_COSIGN_SIMPLE_SIGNING =
  "application/vnd.dev.cosign.simplesigning.v1+json";
/** Annotation holding a legacy cosign signature (base64). */
export const ANNOTATION_COSIGN_SIGNATURE = "dev.cosignproject.cosign/signature";
/** Annotation holding a legacy keyless signature's certificate (PEM). */
export const ANNOTATION_COSIGN_CERTIFICATE = "dev.sigstore.cosign/certificate";
/**
 * Annotation holding the Rekor entry of a legacy signature: JSON
 * `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`.
 */
export const ANNOTATION_COSIGN_BUNDLE = "dev.sigstore.cosign/bundle";

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
  /**
   * Keyless: the certificate and the Rekor entry as a sigstore bundle
   * (v0.1, message signature over the payload), checked like any other.
   */
  bundle?: Uint8Array;
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

function hexToBase64(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return encodeBase64(bytes);
}

// The certificate, the Rekor entry and the signature of a legacy keyless
// signature are what a v0.1 bundle holds; written as one, the bundle
// verifier checks chain, SCT, SET, body and identity as for any bundle.
function legacyBundle(
  certPem: string,
  rekorJson: string | undefined,
  signature: string,
  payload: Uint8Array,
): Uint8Array {
  let der: Uint8Array;
  try {
    der = parsePem(certPem).der;
  } catch {
    throw new SignatureError("cosign signature certificate is not PEM", {
      reason: "tampered",
    });
  }
  const tlogEntries = [];
  if (rekorJson !== undefined) {
    let entry: {
      SignedEntryTimestamp?: unknown;
      Payload?: {
        body?: unknown;
        integratedTime?: unknown;
        logIndex?: unknown;
        logID?: unknown;
      };
    };
    let kind: { kind?: unknown; apiVersion?: unknown };
    try {
      entry = JSON.parse(rekorJson);
      kind = JSON.parse(atob(String(entry.Payload?.body)));
    } catch {
      throw new SignatureError("cosign signature Rekor bundle is not JSON", {
        reason: "tampered",
      });
    }
    const p = entry.Payload ?? {};
    tlogEntries.push({
      logIndex: String(p.logIndex),
      logId: { keyId: hexToBase64(String(p.logID ?? "")) },
      kindVersion: { kind: kind.kind, version: kind.apiVersion },
      integratedTime: String(p.integratedTime),
      inclusionPromise: { signedEntryTimestamp: entry.SignedEntryTimestamp },
      canonicalizedBody: p.body,
    });
  }
  return new TextEncoder().encode(JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: encodeBase64(der) }] },
      tlogEntries,
    },
    messageSignature: {
      messageDigest: {
        algorithm: "SHA2_256",
        digest: hexToBase64(digestOf(payload).slice("sha256:".length)),
      },
      signature,
    },
  }));
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
      const cert = annotations[ANNOTATION_COSIGN_CERTIFICATE];
      signatures.push({
        layer,
        payload,
        signature: decodeBase64(sig),
        signedDigest: decodePayload(payload),
        bundle: cert === undefined ? undefined : legacyBundle(
          cert,
          annotations[ANNOTATION_COSIGN_BUNDLE],
          sig,
          payload,
        ),
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

/** What one legacy signature came to under a policy. */
export interface LegacyResult {
  /** The `.sig` manifest's digest. */
  referrer: string;
  /** Key-based: the key id that verified it. */
  keyId?: string;
  /** Keyless: the certificate's identity. */
  identity?: string;
  /** Keyless: the certificate's OIDC issuer. */
  issuer?: string;
  /** Whether it verified under the policy. */
  verified: boolean;
  /** Keyless: the verified Rekor entry's index. */
  tlogIndex?: number;
  /** Why not. */
  reason?: SignatureError["reason"];
  /** What exactly failed. */
  detail?: string;
}

/**
 * Checks the legacy cosign signatures of `digest` under `policy`: each
 * must name `digest` in its payload (else "other-digest"); a key-based one
 * must verify with a key of the policy (else "wrong-key": cosign's legacy
 * layers carry no key hint); a keyless one is checked as a bundle (chain
 * to the trusted root, SCT, Rekor entry, identity and issuer).
 */
export async function checkLegacySignatures(
  store: OciStore,
  repo: RepositoryRef,
  digest: string,
  policy: PreparedPolicy,
  signal?: AbortSignal,
): Promise<LegacyResult[]> {
  const found = await readLegacySignatures(store, repo, digest, signal);
  if (!found) return [];
  const out: LegacyResult[] = [];
  for (const s of found.signatures) {
    const referrer = found.manifest;
    if ("error" in s) {
      out.push({
        referrer,
        verified: false,
        reason: s.error.reason,
        detail: s.error.message,
      });
    } else if (s.signedDigest !== digest) {
      out.push({
        referrer,
        verified: false,
        reason: "other-digest",
        detail: `the cosign payload names ${s.signedDigest}`,
      });
    } else if (s.bundle) {
      const v = await verifyBundle(
        s.bundle,
        digestOf(s.payload),
        s.payload,
        policy,
      );
      out.push({
        referrer,
        identity: v.identity,
        issuer: v.issuer,
        verified: v.verified,
        tlogIndex: v.tlogIndex,
        reason: v.reason,
        detail: v.detail,
      });
    } else {
      let keyId: string | undefined;
      for (const k of policy.keys) {
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
