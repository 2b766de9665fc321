/**
 * Sigstore bundles. Built here: the bundle (v0.3) of a key-based signature
 * over an OCI manifest: `verificationMaterial.publicKey.hint` names the key (its key
 * id), `messageSignature` carries the manifest's sha256 and the DER ECDSA
 * signature over the manifest bytes. Key-based signing records nothing in
 * a transparency log: `tlogEntries` is empty (as `cosign sign --key` with
 * `--tlog-upload=false`). Read here: every bundle v0.1–v0.3
 * ({@linkcode decodeBundle}), keyless ones included, with their RFC 3161
 * timestamps.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import type { DsseEnvelope } from "./dsse.ts";
import { decodeBase64, encodeBase64 } from "./keys.ts";
import type { TlogEntry } from "./tlog.ts";

/** Media type (and artifact type) of a sigstore bundle v0.3. */
export const MEDIA_TYPE_SIGSTORE_BUNDLE =
  "application/vnd.dev.sigstore.bundle.v0.3+json";

/** The largest bundle read from a registry (1 MiB). */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/** The most RFC 3161 timestamps (and tlog entries) a bundle may carry. */
export const MAX_BUNDLE_ANCHORS = 8;

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

/** A sigstore bundle v0.1–v0.3, decoded (the parts verification uses). */
export interface DecodedBundle {
  /** The bundle's media type. */
  mediaType: string;
  /** Key-based: the public key hint (key id). */
  keyHint?: string;
  /**
   * Keyless: the signing (leaf) certificate's DER — v0.3's
   * `certificate`, or the first of v0.1/v0.2's `x509CertificateChain`.
   */
  certificate?: Uint8Array;
  /** Transparency log entries. */
  tlogEntries: TlogEntry[];
  /**
   * RFC 3161 timestamps over the signature (DER TimeStampResp or token,
   * from `timestampVerificationData.rfc3161Timestamps[].signedTimestamp`).
   */
  rfc3161Timestamps: Uint8Array[];
  /** A signature over the artifact bytes. */
  messageSignature?: {
    /** `SHA2_256`, … */
    algorithm: string;
    /** The signed bytes' digest. */
    digest: Uint8Array;
    /** The signature (DER for ECDSA). */
    signature: Uint8Array;
  };
  /** A DSSE envelope (over an in-toto statement naming the artifact). */
  dsseEnvelope?: DsseEnvelope;
}

type Json = Record<string, unknown>;

function tampered(what: string): SignatureError {
  return new SignatureError(`malformed signature bundle: ${what}`, {
    reason: "tampered",
  });
}

function obj(v: unknown, where: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw tampered(`${where} is not an object`);
  }
  return v as Json;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string") throw tampered(`${where} is not a string`);
  return v;
}

function b64(v: unknown, where: string): Uint8Array {
  // protobuf JSON writes standard base64 but accepts the URL alphabet.
  return decodeBase64(str(v, where).replace(/-/g, "+").replace(/_/g, "/"));
}

/** protobuf JSON int64: a decimal string (or a number). */
function int64(v: unknown, where: string): string {
  const text = typeof v === "number" ? String(v) : v;
  if (typeof text !== "string" || !/^\d+$/.test(text)) {
    throw tampered(`${where} is not an integer`);
  }
  return text;
}

function tlogEntry(v: unknown, where: string): TlogEntry {
  const o = obj(v, where);
  const kv = obj(o.kindVersion, `${where}.kindVersion`);
  const promise =
    o.inclusionPromise === undefined || o.inclusionPromise === null
      ? undefined
      : obj(o.inclusionPromise, `${where}.inclusionPromise`);
  const proof = o.inclusionProof === undefined || o.inclusionProof === null
    ? undefined
    : obj(o.inclusionProof, `${where}.inclusionProof`);
  return {
    logIndex: int64(o.logIndex ?? "0", `${where}.logIndex`),
    logId: b64(obj(o.logId, `${where}.logId`).keyId, `${where}.logId.keyId`),
    kind: str(kv.kind, `${where}.kindVersion.kind`),
    version: str(kv.version, `${where}.kindVersion.version`),
    integratedTime: int64(o.integratedTime ?? "0", `${where}.integratedTime`),
    signedEntryTimestamp: promise
      ? b64(promise.signedEntryTimestamp, `${where}.inclusionPromise`)
      : undefined,
    inclusionProof: proof
      ? {
        logIndex: int64(
          proof.logIndex ?? "0",
          `${where}.inclusionProof.logIndex`,
        ),
        rootHash: b64(proof.rootHash, `${where}.inclusionProof.rootHash`),
        treeSize: int64(proof.treeSize, `${where}.inclusionProof.treeSize`),
        hashes: (Array.isArray(proof.hashes) ? proof.hashes : []).map((h, i) =>
          b64(h, `${where}.inclusionProof.hashes[${i}]`)
        ),
        checkpoint: str(
          obj(proof.checkpoint, `${where}.inclusionProof.checkpoint`).envelope,
          `${where}.inclusionProof.checkpoint.envelope`,
        ),
      }
      : undefined,
    canonicalizedBody: b64(o.canonicalizedBody, `${where}.canonicalizedBody`),
  };
}

/**
 * Decodes a sigstore bundle (v0.1 to v0.3, protobuf JSON): verification
 * material (public key hint, certificate or certificate chain, tlog
 * entries) and content (message signature or DSSE envelope). Unknown
 * fields are ignored. Throws a `SignatureError` (`reason: "tampered"`)
 * when it is not such a bundle.
 */
export function decodeBundle(bytes: Uint8Array): DecodedBundle {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SignatureError("signature bundle is not JSON", {
      reason: "tampered",
    });
  }
  const o = obj(doc, "bundle");
  const mediaType = str(o.mediaType, "mediaType");
  if (!mediaType.startsWith("application/vnd.dev.sigstore.bundle")) {
    throw tampered(`media type ${JSON.stringify(mediaType)}`);
  }
  const vm = obj(o.verificationMaterial, "verificationMaterial");
  const out: DecodedBundle = {
    mediaType,
    tlogEntries: [],
    rfc3161Timestamps: [],
  };
  if (vm.publicKey !== undefined) {
    out.keyHint = str(
      obj(vm.publicKey, "publicKey").hint ?? "",
      "publicKey.hint",
    );
  }
  if (vm.certificate !== undefined) {
    out.certificate = b64(
      obj(vm.certificate, "certificate").rawBytes,
      "certificate.rawBytes",
    );
  } else if (vm.x509CertificateChain !== undefined) {
    const certs =
      obj(vm.x509CertificateChain, "x509CertificateChain").certificates;
    if (!Array.isArray(certs) || certs.length === 0) {
      throw tampered("x509CertificateChain has no certificates");
    }
    out.certificate = b64(
      obj(certs[0], "certificates[0]").rawBytes,
      "certificates[0].rawBytes",
    );
  }
  const entries = vm.tlogEntries ?? [];
  if (!Array.isArray(entries)) throw tampered("tlogEntries is not an array");
  if (entries.length > MAX_BUNDLE_ANCHORS) {
    throw tampered(`more than ${MAX_BUNDLE_ANCHORS} tlog entries`);
  }
  out.tlogEntries = entries.map((e, i) => tlogEntry(e, `tlogEntries[${i}]`));
  if (
    vm.timestampVerificationData !== undefined &&
    vm.timestampVerificationData !== null
  ) {
    const tvd = obj(vm.timestampVerificationData, "timestampVerificationData");
    const stamps = tvd.rfc3161Timestamps ?? [];
    if (!Array.isArray(stamps)) {
      throw tampered("rfc3161Timestamps is not an array");
    }
    if (stamps.length > MAX_BUNDLE_ANCHORS) {
      throw tampered(`more than ${MAX_BUNDLE_ANCHORS} RFC 3161 timestamps`);
    }
    out.rfc3161Timestamps = stamps.map((t, i) =>
      b64(
        obj(t, `rfc3161Timestamps[${i}]`).signedTimestamp,
        `rfc3161Timestamps[${i}].signedTimestamp`,
      )
    );
  }
  if (o.messageSignature !== undefined) {
    const ms = obj(o.messageSignature, "messageSignature");
    const md = obj(ms.messageDigest, "messageSignature.messageDigest");
    out.messageSignature = {
      algorithm: str(md.algorithm ?? "SHA2_256", "messageDigest.algorithm"),
      digest: b64(md.digest, "messageDigest.digest"),
      signature: b64(ms.signature, "messageSignature.signature"),
    };
  } else if (o.dsseEnvelope !== undefined) {
    const env = obj(o.dsseEnvelope, "dsseEnvelope");
    const sigs = env.signatures;
    if (!Array.isArray(sigs)) {
      throw tampered("dsseEnvelope.signatures is not an array");
    }
    out.dsseEnvelope = {
      payload: b64(env.payload, "dsseEnvelope.payload"),
      payloadType: str(env.payloadType, "dsseEnvelope.payloadType"),
      signatures: sigs.map((s, i) => {
        const so = obj(s, `dsseEnvelope.signatures[${i}]`);
        return {
          sig: b64(so.sig, `dsseEnvelope.signatures[${i}].sig`),
          keyid: typeof so.keyid === "string" ? so.keyid : "",
        };
      }),
    };
  } else {
    throw tampered("neither a message signature nor a DSSE envelope");
  }
  return out;
}
