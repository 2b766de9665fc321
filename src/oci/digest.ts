/**
 * Content digests: incremental hashing and verification of streams.
 *
 * The hash runs on `node:crypto`, which is native on Deno, Bun, Node and
 * Cloudflare Workers (with `nodejs_compat`); a pure-JS SHA-256 is ten times
 * slower and would make verification the bottleneck of every pull.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { DigestMismatchError, InvalidReferenceError } from "../errors.ts";

// go-digest's rule for the algorithms it registers (those oras-go accepts in
// a reference): lowercase hex of exactly the hash's length.
const DIGEST_RE =
  /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

/** Digest algorithms the client can compute and verify. */
export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

/**
 * Whether `digest` is a well-formed `sha256:`, `sha384:` or `sha512:`
 * digest (lowercase hex of the algorithm's length, as go-digest requires).
 */
export function isValidDigest(digest: string): boolean {
  return DIGEST_RE.test(digest);
}

/**
 * Throws {@linkcode InvalidReferenceError} unless `digest` is valid; returns
 * its algorithm.
 */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  if (!isValidDigest(digest)) {
    throw new InvalidReferenceError(`invalid digest "${digest}"`);
  }
  return digest.slice(0, digest.indexOf(":")) as DigestAlgorithm;
}

/** An incremental hasher producing `<alg>:<hex>` digests. */
export class Digester {
  #hash: Hash;
  #alg: DigestAlgorithm;
  #size = 0;
  /** Creates a hasher for `alg` (default sha256). */
  constructor(alg: DigestAlgorithm = "sha256") {
    this.#alg = alg;
    this.#hash = createHash(alg);
  }
  /** Feeds bytes. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }
  /** Bytes fed so far. */
  get size(): number {
    return this.#size;
  }
  /** The digest of everything fed (call once). */
  digest(): string {
    return `${this.#alg}:${this.#hash.digest("hex")}`;
  }
}

/**
 * The digest of `bytes` (sha256 unless another algorithm is asked for).
 */
export function digestOf(
  bytes: Uint8Array,
  alg: DigestAlgorithm = "sha256",
): string {
  const d = new Digester(alg);
  d.update(bytes);
  return d.digest();
}

/**
 * Throws {@linkcode DigestMismatchError} unless `bytes` has `expected` digest
 * (and `expectedSize`, when given).
 */
export function verifyBytes(
  bytes: Uint8Array,
  expected: string,
  expectedSize?: number,
): void {
  if (expectedSize !== undefined && bytes.byteLength !== expectedSize) {
    throw new DigestMismatchError(
      `size mismatch for ${expected}: got ${bytes.byteLength} bytes, want ${expectedSize}`,
    );
  }
  const got = digestOf(bytes, digestAlgorithm(expected));
  if (got !== expected) {
    throw new DigestMismatchError(
      `digest mismatch: got ${got}, want ${expected}`,
    );
  }
}

/**
 * A pass-through stream that hashes and counts what flows and errors at the
 * end (before the final chunk is acknowledged downstream as complete) when
 * the content does not match `expected` digest and `expectedSize`. It also
 * errors early as soon as more than `expectedSize` bytes arrive.
 */
export function verifyingStream(
  expected: string,
  expectedSize?: number,
  onBytes?: (transferred: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  const d = new Digester(digestAlgorithm(expected));
  return new TransformStream({
    transform(chunk, controller) {
      d.update(chunk);
      if (expectedSize !== undefined && d.size > expectedSize) {
        throw new DigestMismatchError(
          `size mismatch for ${expected}: got more than ${expectedSize} bytes`,
        );
      }
      onBytes?.(d.size);
      controller.enqueue(chunk);
    },
    flush() {
      if (expectedSize !== undefined && d.size !== expectedSize) {
        throw new DigestMismatchError(
          `size mismatch for ${expected}: got ${d.size} bytes, want ${expectedSize}`,
        );
      }
      const got = d.digest();
      if (got !== expected) {
        throw new DigestMismatchError(
          `digest mismatch: got ${got}, want ${expected}`,
        );
      }
    },
  });
}
