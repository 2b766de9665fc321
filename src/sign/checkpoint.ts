/**
 * Transparency log checkpoints: signed notes
 * (https://github.com/transparency-dev/formats/blob/main/log/README.md)
 * whose body is `origin\nsize\nbase64(root)\n[other lines]\n`, followed by
 * a blank line and signature lines `— name base64(keyhint[4] || sig)`.
 * Rekor's key hint is the first four bytes of its log id.
 *
 * @module
 */
import { decodeBase64 } from "./keys.ts";
import { verifySignature } from "./public_key.ts";
import type { TransparencyLog } from "./trusted_root.ts";
import { bytesEqual } from "./x509.ts";

/** A checkpoint body. */
export interface Checkpoint {
  /** The log's origin line. */
  origin: string;
  /** Tree size. */
  size: bigint;
  /** Root hash. */
  rootHash: Uint8Array;
  /** The body text (what the signatures sign). */
  note: string;
  /** The signature lines. */
  signatures: { name: string; keyHint: Uint8Array; signature: Uint8Array }[];
}

/** Parses a signed checkpoint; `undefined` when it is not one. */
export function parseCheckpoint(envelope: string): Checkpoint | undefined {
  const split = envelope.indexOf("\n\n");
  if (split < 0) return undefined;
  const note = envelope.slice(0, split + 1);
  const lines = note.slice(0, -1).split("\n");
  if (lines.length < 3 || !/^\d+$/.test(lines[1])) return undefined;
  let rootHash: Uint8Array;
  try {
    rootHash = decodeBase64(lines[2]);
  } catch {
    return undefined;
  }
  const signatures: Checkpoint["signatures"] = [];
  for (const line of envelope.slice(split + 2).split("\n")) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m) continue;
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(m[2]);
    } catch {
      continue;
    }
    if (bytes.length < 5) continue;
    signatures.push({
      name: m[1],
      keyHint: bytes.subarray(0, 4),
      signature: bytes.subarray(4),
    });
  }
  return {
    origin: lines[0],
    size: BigInt(lines[1]),
    rootHash,
    note,
    signatures,
  };
}

/**
 * Whether a signature of `checkpoint` verifies with the key of `log`: the
 * key hint must be the log id's first four bytes and the signer's name
 * must occur in the log's base URL (as `@sigstore/verify` binds them).
 */
export async function verifyCheckpointSignature(
  checkpoint: Checkpoint,
  log: TransparencyLog,
): Promise<boolean> {
  const data = new TextEncoder().encode(checkpoint.note);
  for (const s of checkpoint.signatures) {
    if (!bytesEqual(s.keyHint, log.logId.subarray(0, 4))) continue;
    if (!log.baseUrl.includes(s.name)) continue;
    if (await verifySignature(log.publicKey, log.hash, s.signature, data)) {
      return true;
    }
  }
  return false;
}
