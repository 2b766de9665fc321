/**
 * Transparency log (Rekor) entries of a bundle: proof that the log
 * recorded the signature, and when. An entry is trusted when its log is
 * in the trusted root and whatever it carries of an inclusion promise (the
 * signed entry timestamp, SET: Rekor v1) and an inclusion proof (Merkle
 * audit path to a checkpoint signed by the log: Rekor v1 and v2, whose
 * entries carry only the proof and whose logs the trusted root names by
 * their checkpoint key id) verifies, at least one of them present. Only a
 * verified SET vouches for `integratedTime`, a signing time certificates
 * are checked at; Rekor v2 entries give no time (an RFC 3161 timestamp
 * does).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import { parseCheckpoint, verifyCheckpointSignature } from "./checkpoint.ts";
import { encodeBase64 } from "./keys.ts";
import { leafHash, verifyInclusionProof } from "./merkle.ts";
import { verifySignature } from "./public_key.ts";
import { covers, type TransparencyLog } from "./trusted_root.ts";
import { bytesEqual } from "./x509.ts";

/** A transparency log entry of a bundle (protobuf JSON decoded). */
export interface TlogEntry {
  /** The entry's index in the log (int64, kept as decimal text). */
  logIndex: string;
  /** The log's id. */
  logId: Uint8Array;
  /** The body's kind (`hashedrekord`, `intoto`, `dsse`). */
  kind: string;
  /** The body's API version (`0.0.1`, …). */
  version: string;
  /** Seconds since the epoch the log recorded it (int64 text; "0": none). */
  integratedTime: string;
  /** The signed entry timestamp, when the bundle has the promise. */
  signedEntryTimestamp?: Uint8Array;
  /** The inclusion proof, when the bundle has one. */
  inclusionProof?: {
    logIndex: string;
    rootHash: Uint8Array;
    treeSize: string;
    hashes: Uint8Array[];
    checkpoint: string;
  };
  /** The entry body the log recorded (canonical JSON). */
  canonicalizedBody: Uint8Array;
}

/** What a verified entry vouches for. */
export interface VerifiedTlogEntry {
  /** The entry. */
  entry: TlogEntry;
  /** The signing time its verified SET vouches for (none without a SET). */
  integratedTime?: Date;
}

function untrusted(message: string): SignatureError {
  return new SignatureError(message, { reason: "untrusted" });
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What Rekor's SET signs: the canonical JSON (RFC 8785; keys sorted, no
 * spaces) of body (base64), integratedTime, logID (hex) and logIndex.
 */
export function setPayload(entry: TlogEntry): Uint8Array {
  const text = `{"body":${
    JSON.stringify(encodeBase64(entry.canonicalizedBody))
  },"integratedTime":${BigInt(entry.integratedTime)},"logID":${
    JSON.stringify(hex(entry.logId))
  },"logIndex":${BigInt(entry.logIndex)}}`;
  return new TextEncoder().encode(text);
}

async function verifySet(
  entry: TlogEntry,
  logs: TransparencyLog[],
): Promise<Date> {
  const at = new Date(Number(entry.integratedTime) * 1000);
  const data = setPayload(entry);
  for (const log of logs) {
    if (!covers(log.validFor, at)) continue;
    if (
      await verifySignature(
        log.publicKey,
        log.hash,
        entry.signedEntryTimestamp!,
        data,
      )
    ) return at;
  }
  throw untrusted(
    "the transparency log entry's inclusion promise (SET) does not verify",
  );
}

async function verifyProof(
  entry: TlogEntry,
  logs: TransparencyLog[],
): Promise<void> {
  const proof = entry.inclusionProof!;
  const checkpoint = parseCheckpoint(proof.checkpoint);
  if (!checkpoint) {
    throw untrusted("the inclusion proof's checkpoint is malformed");
  }
  let signed = false;
  for (const log of logs) {
    if (await verifyCheckpointSignature(checkpoint, log)) {
      signed = true;
      break;
    }
  }
  if (!signed) {
    throw untrusted(
      "the inclusion proof's checkpoint is not signed by the transparency log",
    );
  }
  if (
    checkpoint.size !== BigInt(proof.treeSize) ||
    !bytesEqual(checkpoint.rootHash, proof.rootHash)
  ) {
    throw untrusted(
      "the inclusion proof does not match its checkpoint (tree size or root)",
    );
  }
  const ok = await verifyInclusionProof(
    BigInt(proof.logIndex),
    BigInt(proof.treeSize),
    await leafHash(entry.canonicalizedBody),
    proof.hashes,
    proof.rootHash,
  );
  if (!ok) {
    throw untrusted(
      "the inclusion proof does not lead from the entry to the checkpoint's root",
    );
  }
}

/**
 * Verifies one entry against the transparency logs of the trusted root.
 * Throws a `SignatureError` (`reason: "untrusted"`) when its log is not
 * trusted or neither a promise nor a proof of inclusion verifies.
 */
export async function verifyTlogEntry(
  entry: TlogEntry,
  tlogs: TransparencyLog[],
): Promise<VerifiedTlogEntry> {
  const logs = tlogs.filter((l) => bytesEqual(l.logId, entry.logId));
  if (logs.length === 0) {
    throw untrusted(
      "the transparency log entry is from a log that is not in the trusted root",
    );
  }
  if (!entry.signedEntryTimestamp && !entry.inclusionProof) {
    throw untrusted(
      "the transparency log entry has neither an inclusion promise nor an inclusion proof",
    );
  }
  let integratedTime: Date | undefined;
  if (entry.signedEntryTimestamp) {
    integratedTime = await verifySet(entry, logs);
  }
  if (entry.inclusionProof) await verifyProof(entry, logs);
  return { entry, integratedTime };
}
