/**
 * Merkle tree inclusion proofs of RFC 6962 / RFC 9162 (§2.1.3.2): the
 * audit path from a leaf (`sha256(0x00 || entry)`) to a tree's root, as
 * transparency logs (Rekor) prove that an entry is in the log.
 *
 * @module
 */
import { bufferOf } from "./keys.ts";
import { bytesEqual } from "./x509.ts";

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bufferOf(all)));
}

/** The RFC 6962 leaf hash of `entry`: `sha256(0x00 || entry)`. */
export function leafHash(entry: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0), entry);
}

/** The RFC 6962 interior node hash: `sha256(0x01 || left || right)`. */
export function nodeHash(
  left: Uint8Array,
  right: Uint8Array,
): Promise<Uint8Array> {
  return sha256(Uint8Array.of(1), left, right);
}

/**
 * The root an inclusion proof leads to: `path` for the leaf hash `leaf` at
 * `index` in a tree of `size` leaves (RFC 9162 §2.1.3.2). `undefined` when
 * the proof cannot be for that position (index out of range, a path of the
 * wrong length).
 */
export async function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  path: Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (index < 0n || index >= size) return undefined;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (p.length !== 32 || sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      // Skip the levels where this node is a right-border node with no sibling.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : undefined;
}

/** Whether `path` proves the leaf hash `leaf` at `index` in a tree with `root`. */
export async function verifyInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  path: Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  const computed = await rootFromInclusionProof(index, size, leaf, path);
  return computed !== undefined && bytesEqual(computed, root);
}
