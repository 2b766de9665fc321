/**
 * What a transparency log entry recorded must be what the bundle carries:
 * the same signature, the same signed digest, the same signing
 * certificate. Rekor v1's canonical bodies: `hashedrekord` 0.0.1 (message
 * signatures), `intoto` 0.0.2 (DSSE; Rekor base64s the signature and
 * public key once more) and `dsse` 0.0.1; Rekor v2's (rekor-tiles: the
 * canonical protobuf JSON of a `rekor.v2.Entry`): `hashedrekord` 0.0.2
 * (`spec.hashedRekordV002`: data digest, signature content and verifier)
 * and `dsse` 0.0.2 (`spec.dsseV002`: payload hash, signatures with their
 * verifiers).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import type { DecodedBundle } from "./bundle.ts";
import { bufferOf, decodeBase64, parsePem } from "./keys.ts";
import type { TlogEntry } from "./tlog.ts";
import { bytesEqual } from "./x509.ts";

function mismatch(what: string): SignatureError {
  return new SignatureError(
    `the transparency log entry does not match the bundle: ${what}`,
    { reason: "tampered" },
  );
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bufferOf(bytes))),
  );
}

function b64(v: unknown): Uint8Array | undefined {
  if (typeof v !== "string") return undefined;
  try {
    return decodeBase64(v);
  } catch {
    return undefined;
  }
}

/** Whether `v` (base64 of PEM, as Rekor stores keys) is the certificate `der`. */
function sameCertificate(v: unknown, der: Uint8Array): boolean {
  const pem = b64(v);
  if (!pem) return false;
  try {
    return bytesEqual(parsePem(new TextDecoder().decode(pem)).der, der);
  } catch {
    return false;
  }
}

/** Whether a Rekor v2 `Verifier` is the certificate `der`. */
function sameVerifier(v: Json | undefined, der: Uint8Array): boolean {
  const raw = b64(v?.x509Certificate?.rawBytes);
  return !!raw && bytesEqual(raw, der);
}

// The body is untyped JSON from the log, read field by field.
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/**
 * Checks that `entry`'s body records `bundle`'s signature, digest and
 * signing certificate `certificate`. Throws a `SignatureError` (`reason:
 * "tampered"` on a mismatch, `"other"` for body kinds not supported).
 */
export async function checkTlogBody(
  entry: TlogEntry,
  bundle: DecodedBundle,
  certificate: Uint8Array,
): Promise<void> {
  let body: Json;
  try {
    body = JSON.parse(new TextDecoder().decode(entry.canonicalizedBody));
  } catch {
    throw mismatch("the body is not JSON");
  }
  if (body?.kind !== entry.kind || body?.apiVersion !== entry.version) {
    throw mismatch(
      `kind ${body?.kind}/${body?.apiVersion}, the bundle says ${entry.kind}/${entry.version}`,
    );
  }
  const spec: Json = body.spec ?? {};
  const kind = `${entry.kind} ${entry.version}`;
  if (kind === "hashedrekord 0.0.1") {
    const ms = bundle.messageSignature;
    if (!ms) throw mismatch("a hashedrekord entry for a DSSE bundle");
    const sig = b64(spec.signature?.content);
    if (!sig || !bytesEqual(sig, ms.signature)) throw mismatch("signature");
    if (
      spec.data?.hash?.algorithm !== "sha256" ||
      spec.data?.hash?.value !== hex(ms.digest)
    ) throw mismatch("digest");
    if (!sameCertificate(spec.signature?.publicKey?.content, certificate)) {
      throw mismatch("certificate");
    }
    return;
  }
  if (kind === "hashedrekord 0.0.2") {
    const ms = bundle.messageSignature;
    if (!ms) throw mismatch("a hashedrekord entry for a DSSE bundle");
    const entry: Json = spec.hashedRekordV002 ?? {};
    const sig = b64(entry.signature?.content);
    if (!sig || !bytesEqual(sig, ms.signature)) throw mismatch("signature");
    const digest = b64(entry.data?.digest);
    if (
      entry.data?.algorithm !== "SHA2_256" || !digest ||
      !bytesEqual(digest, ms.digest)
    ) throw mismatch("digest");
    if (!sameVerifier(entry.signature?.verifier, certificate)) {
      throw mismatch("certificate");
    }
    return;
  }
  const env = bundle.dsseEnvelope;
  if (kind === "dsse 0.0.2") {
    if (!env) throw mismatch("a dsse entry for a message signature");
    if (env.signatures.length !== 1) throw mismatch("signature count");
    const entry: Json = spec.dsseV002 ?? {};
    const hash = b64(entry.payloadHash?.digest);
    if (
      entry.payloadHash?.algorithm !== "SHA2_256" || !hash ||
      hex(hash) !== await sha256Hex(env.payload)
    ) throw mismatch("payload digest");
    const sigs = entry.signatures;
    if (!Array.isArray(sigs) || sigs.length !== 1) {
      throw mismatch("signature count");
    }
    const sig = b64(sigs[0]?.content);
    if (!sig || !bytesEqual(sig, env.signatures[0].sig)) {
      throw mismatch("signature");
    }
    if (!sameVerifier(sigs[0]?.verifier, certificate)) {
      throw mismatch("certificate");
    }
    return;
  }
  if (kind === "intoto 0.0.2" || kind === "dsse 0.0.1") {
    if (!env) throw mismatch(`a ${entry.kind} entry for a message signature`);
    if (env.signatures.length !== 1) throw mismatch("signature count");
    const payloadHash = kind === "intoto 0.0.2"
      ? spec.content?.payloadHash
      : spec.payloadHash;
    if (
      payloadHash?.algorithm !== "sha256" ||
      payloadHash?.value !== await sha256Hex(env.payload)
    ) throw mismatch("payload digest");
    const sigs = kind === "intoto 0.0.2"
      ? spec.content?.envelope?.signatures
      : spec.signatures;
    if (!Array.isArray(sigs) || sigs.length !== 1) {
      throw mismatch("signature count");
    }
    // intoto 0.0.2 stores base64(base64(sig)) and base64(PEM); dsse 0.0.1
    // base64(sig) and base64(PEM) as `verifier`.
    const sig = kind === "intoto 0.0.2"
      ? b64(new TextDecoder().decode(b64(sigs[0].sig) ?? new Uint8Array()))
      : b64(sigs[0].signature);
    if (!sig || !bytesEqual(sig, env.signatures[0].sig)) {
      throw mismatch("signature");
    }
    const key = kind === "intoto 0.0.2" ? sigs[0].publicKey : sigs[0].verifier;
    if (!sameCertificate(key, certificate)) throw mismatch("certificate");
    return;
  }
  throw new SignatureError(
    `transparency log entries of kind ${kind} are not supported`,
    { reason: "other" },
  );
}
