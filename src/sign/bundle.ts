/**
 * The sigstore bundle (v0.3) of a key-based signature over an OCI
 * manifest: `verificationMaterial.publicKey.hint` names the key (its key
 * id), `messageSignature` carries the manifest's sha256 and the DER ECDSA
 * signature over the manifest bytes. Key-based signing records nothing in
 * a transparency log: `tlogEntries` is empty (as `cosign sign --key` with
 * `--tlog-upload=false`).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "./keys.ts";

/** Media type (and artifact type) of a sigstore bundle v0.3. */
export const MEDIA_TYPE_SIGSTORE_BUNDLE =
  "application/vnd.dev.sigstore.bundle.v0.3+json";

/** The largest bundle read from a registry (1 MiB). */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/** A sigstore bundle v0.3 with a message signature (the parts used here). */
export interface SigstoreBundle {
  /** `application/vnd.dev.sigstore.bundle.v0.3+json`. */
  mediaType: string;
  /** What verifies the signature. */
  verificationMaterial: {
    /** A public key named by its hint (key-based signing). */
    publicKey?: { hint: string };
    /** Transparency log entries (none for key-based signing). */
    tlogEntries?: unknown[];
    /** Timestamps (none for key-based signing). */
    timestampVerificationData?: unknown;
  };
  /** The signature over the artifact bytes. */
  messageSignature?: {
    /** Digest of the signed bytes. */
    messageDigest: { algorithm: string; digest: string };
    /** Base64 DER ECDSA signature. */
    signature: string;
  };
}

/** What a bundle says, decoded. */
export interface ParsedBundle {
  /** The key id of the public key hint (empty when absent). */
  keyId: string;
  /** The signed digest as `sha256:<hex>`. */
  digest: string;
  /** The DER signature bytes. */
  signature: Uint8Array;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Builds the bundle of a key-based signature over a manifest. */
export function buildBundle(
  keyId: string,
  manifestDigest: string,
  derSignature: Uint8Array,
): SigstoreBundle {
  if (!manifestDigest.startsWith("sha256:")) {
    throw new SignatureError(
      `only sha256 manifests can be signed (${manifestDigest})`,
      { reason: "other" },
    );
  }
  return {
    mediaType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    verificationMaterial: {
      publicKey: { hint: keyId },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: {
        algorithm: "SHA2_256",
        digest: encodeBase64(unhex(manifestDigest.slice("sha256:".length))),
      },
      signature: encodeBase64(derSignature),
    },
  };
}

/**
 * Decodes bundle bytes. Throws a `SignatureError` (`reason: "tampered"`)
 * when they are not a bundle with a SHA2_256 message signature.
 */
export function parseBundle(bytes: Uint8Array): ParsedBundle {
  let doc: SigstoreBundle;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SignatureError("signature bundle is not JSON", {
      reason: "tampered",
    });
  }
  const sig = doc?.messageSignature;
  if (
    typeof doc !== "object" || doc === null ||
    typeof doc.mediaType !== "string" ||
    !doc.mediaType.startsWith("application/vnd.dev.sigstore.bundle") ||
    typeof sig !== "object" || sig === null ||
    typeof sig.signature !== "string" ||
    typeof sig.messageDigest?.digest !== "string"
  ) {
    throw new SignatureError(
      "signature bundle has no message signature (unsupported bundle)",
      { reason: "tampered" },
    );
  }
  if (sig.messageDigest.algorithm !== "SHA2_256") {
    throw new SignatureError(
      `signature bundle digest algorithm ${sig.messageDigest.algorithm} is not supported`,
      { reason: "other" },
    );
  }
  const digest = decodeBase64(sig.messageDigest.digest);
  const hint = doc.verificationMaterial?.publicKey?.hint;
  return {
    keyId: typeof hint === "string" ? hint : "",
    digest: `sha256:${hex(digest)}`,
    signature: decodeBase64(sig.signature),
  };
}
