/**
 * One sigstore bundle checked against one manifest under a policy:
 * key-based bundles with the policy's keys, keyless (certificate) bundles
 * as `@sigstore/verify` and cosign check them — the signature over the
 * content, the RFC 3161 timestamps, the transparency log entries (Rekor
 * v1: inclusion promise and proof; Rekor v2: inclusion proof and
 * checkpoint; body matching the bundle; at least one entry), the
 * certificate chain to the trusted root at every verified signing time (a
 * timestamp's genTime, a v1 entry's integratedTime; at least one), the
 * embedded SCTs, and the identity and OIDC issuer.
 *
 * @module
 */
import { SignatureError, type SignatureFailure } from "../errors.ts";
import { decodeBundle, type DecodedBundle } from "./bundle.ts";
import { verifyCertificateChain } from "./certificate_chain.ts";
import {
  checkIdentity,
  identitiesOf,
  type IdentityFields,
  type IdentityPolicy,
  identityPolicyOf,
} from "./certificate_identity.ts";
import { derToP1363 } from "./der_signature.ts";
import { preAuthEncoding, statementSha256Subjects } from "./dsse.ts";
import { bufferOf, keyIdOf, type KeyInput, verificationKey } from "./keys.ts";
import { defaultHash, verifySignature } from "./public_key.ts";
import { verifyEmbeddedScts } from "./sct.ts";
import { verifyTimestamp } from "./timestamp.ts";
import { verifyTlogEntry } from "./tlog.ts";
import { checkTlogBody } from "./tlog_body.ts";
import { parseTrustedRoot, type TrustedRoot } from "./trusted_root.ts";
import { bytesEqual, type Certificate, parseCertificate } from "./x509.ts";

/** A key of the policy, imported. */
export interface PolicyKey {
  /** The key. */
  key: CryptoKey;
  /** Its key id (sha256 of the SPKI, hex). */
  keyId: string;
}

/** A verification policy made ready: keys imported, root parsed. */
export interface PreparedPolicy {
  /** Keys for key-based bundles. */
  keys: PolicyKey[];
  /** The trusted root for keyless bundles. */
  trustedRoot?: TrustedRoot;
  /** Who keyless bundles must come from (with `trustedRoot`). */
  identity?: IdentityPolicy;
}

/** The policy fields {@linkcode preparePolicy} reads. */
export interface PolicyInput extends IdentityFields {
  /** ECDSA P-256 public keys. */
  publicKeys?: readonly KeyInput[];
  /** The trusted root (JSON text or parsed). */
  trustedRoot?: string | Record<string, unknown>;
}

/** What checking one bundle found. */
export interface BundleVerdict {
  /** Key-based: the key id. */
  keyId?: string;
  /** Keyless: the certificate's identity (its first SAN). */
  identity?: string;
  /** Keyless: the certificate's OIDC issuer. */
  issuer?: string;
  /** Whether it verified. */
  verified: boolean;
  /** Why not. */
  reason?: SignatureFailure;
  /** What exactly failed, in words. */
  detail?: string;
  /** The transparency log index of the verified entry. */
  tlogIndex?: number;
}

/**
 * Imports the keys and parses the trusted root of `policy`. Throws a
 * `TypeError` for a trusted root without an identity and an issuer (or an
 * invalid regular expression), a `SignatureError` (`reason: "other"`) for
 * a key or trusted root that cannot be read.
 */
export async function preparePolicy(
  policy: PolicyInput,
): Promise<PreparedPolicy> {
  const out: PreparedPolicy = { keys: [] };
  if (policy.trustedRoot !== undefined) {
    out.identity = identityPolicyOf(policy);
    out.trustedRoot = parseTrustedRoot(policy.trustedRoot);
  }
  for (const input of policy.publicKeys ?? []) {
    const key = await verificationKey(input);
    out.keys.push({ key, keyId: await keyIdOf(key) });
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fail(reason: SignatureFailure, detail: string): SignatureError {
  return new SignatureError(detail, { reason });
}

/** Checks that the bundle's content signs the manifest; returns the signed bytes. */
function signedContent(
  bundle: DecodedBundle,
  manifestDigest: string,
  manifestBytes: Uint8Array,
): { data: Uint8Array; signature: Uint8Array } {
  const wanted = manifestDigest.slice("sha256:".length);
  const ms = bundle.messageSignature;
  if (ms) {
    if (ms.algorithm !== "SHA2_256") {
      throw fail("other", `digest algorithm ${ms.algorithm} is not supported`);
    }
    if (hex(ms.digest) !== wanted) {
      throw fail("other-digest", `the bundle signs sha256:${hex(ms.digest)}`);
    }
    return { data: manifestBytes, signature: ms.signature };
  }
  const env = bundle.dsseEnvelope!;
  const subjects = statementSha256Subjects(env);
  if (!subjects) {
    throw fail(
      "other",
      `the DSSE payload (${env.payloadType}) is not an in-toto statement`,
    );
  }
  if (!subjects.includes(wanted)) {
    throw fail(
      "other-digest",
      `the statement's subjects are ${
        subjects.map((s) => `sha256:${s}`).join(", ") || "none"
      }`,
    );
  }
  if (env.signatures.length === 0) {
    throw fail("tampered", "the DSSE envelope has no signature");
  }
  return {
    data: preAuthEncoding(env.payloadType, env.payload),
    signature: env.signatures[0].sig,
  };
}

async function verifyKeyless(
  bundle: DecodedBundle,
  cert: Certificate,
  manifestDigest: string,
  manifestBytes: Uint8Array,
  policy: PreparedPolicy,
): Promise<number | undefined> {
  const { data, signature } = signedContent(
    bundle,
    manifestDigest,
    manifestBytes,
  );
  if (
    !cert.publicKey ||
    !await verifySignature(
      cert.publicKey,
      defaultHash(cert.publicKey),
      signature,
      data,
    )
  ) {
    throw fail(
      "tampered",
      "the signature does not verify with the certificate's key",
    );
  }
  const root = policy.trustedRoot;
  if (!root || !policy.identity) {
    throw fail(
      "untrusted",
      "a certificate signature needs a trusted root in the policy",
    );
  }
  // Signing times (as @sigstore/verify and sigstore-go): every RFC 3161
  // timestamp must verify over the signature, each giving its genTime;
  // Rekor v1 entries give their integratedTime once their SET verifies.
  const times: Date[] = [];
  const seen: Uint8Array[] = [];
  for (const stamp of bundle.rfc3161Timestamps) {
    if (seen.some((s) => bytesEqual(s, stamp))) {
      throw fail("tampered", "the bundle carries the same timestamp twice");
    }
    seen.push(stamp);
    times.push(
      await verifyTimestamp(stamp, signature, root.timestampAuthorities),
    );
  }
  // @sigstore/verify's default tlogThreshold (1), as cosign: a timestamp
  // alone does not do; every entry must be sound — its body is this
  // bundle's, and its log vouches for it (SET and/or inclusion proof).
  if (bundle.tlogEntries.length === 0) {
    throw fail(
      "untrusted",
      "the bundle has no transparency log entry (sigstore requires one, an RFC 3161 timestamp alone does not do)",
    );
  }
  let tlogIndex: number | undefined;
  for (const entry of bundle.tlogEntries) {
    await checkTlogBody(entry, bundle, cert.der);
    const verified = await verifyTlogEntry(entry, root.tlogs);
    if (verified.integratedTime) times.push(verified.integratedTime);
    tlogIndex ??= Number(entry.logIndex);
  }
  if (times.length === 0) {
    throw fail(
      "untrusted",
      "no verified signing time: neither an RFC 3161 timestamp nor a transparency log entry with an inclusion promise (a Rekor v2 entry needs a timestamp)",
    );
  }
  // The certificate must be valid at every verified time.
  for (const at of times) {
    const path = await verifyCertificateChain(cert, root, at);
    await verifyEmbeddedScts(cert, path[1], root.ctlogs);
  }
  checkIdentity(cert, policy.identity);
  return tlogIndex;
}

async function verifyWithKeys(
  bundle: DecodedBundle,
  manifestDigest: string,
  manifestBytes: Uint8Array,
  keys: PolicyKey[],
): Promise<BundleVerdict> {
  const keyId = bundle.keyHint ?? "";
  const { data, signature } = signedContent(
    bundle,
    manifestDigest,
    manifestBytes,
  );
  const p1363 = derToP1363(signature);
  const named = keys.filter((k) => k.keyId === keyId);
  for (const k of named.length > 0 ? named : keys) {
    const ok = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      k.key,
      bufferOf(p1363),
      bufferOf(data),
    );
    if (ok) return { keyId: k.keyId, verified: true };
  }
  return {
    keyId,
    verified: false,
    reason: named.length > 0 ? "tampered" : "wrong-key",
  };
}

/**
 * Checks one bundle (its bytes) against the manifest `manifestBytes` with
 * digest `manifestDigest` under `policy`. Never throws for a bundle that
 * does not verify: the verdict says why (`reason`, `detail`). Keyless
 * verdicts carry the certificate's identity and issuer whenever the
 * certificate can be read.
 */
export async function verifyBundle(
  bytes: Uint8Array,
  manifestDigest: string,
  manifestBytes: Uint8Array,
  policy: PreparedPolicy,
): Promise<BundleVerdict> {
  let bundle: DecodedBundle;
  try {
    bundle = decodeBundle(bytes);
  } catch (e) {
    if (!(e instanceof SignatureError)) throw e;
    return { keyId: "", verified: false, reason: e.reason, detail: e.message };
  }
  if (!bundle.certificate) {
    try {
      return await verifyWithKeys(
        bundle,
        manifestDigest,
        manifestBytes,
        policy.keys,
      );
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      return {
        keyId: bundle.keyHint ?? "",
        verified: false,
        reason: e.reason,
        detail: e.message,
      };
    }
  }
  let cert: Certificate | undefined;
  try {
    cert = parseCertificate(bundle.certificate);
    const tlogIndex = await verifyKeyless(
      bundle,
      cert,
      manifestDigest,
      manifestBytes,
      policy,
    );
    return { ...who(cert), verified: true, tlogIndex };
  } catch (e) {
    if (!(e instanceof SignatureError)) throw e;
    return {
      ...(cert ? who(cert) : {}),
      verified: false,
      reason: e.reason,
      detail: e.message,
    };
  }
}

function who(cert: Certificate): { identity?: string; issuer?: string } {
  return { identity: identitiesOf(cert)[0], issuer: cert.oidcIssuer };
}
