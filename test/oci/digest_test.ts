/**
 * `digest.ts`: the algorithms go-digest registers (sha256, sha384, sha512,
 * the digests oras-go accepts in a reference) are validated and verified
 * while streaming.
 */
import { ok, rejects, strictEqual, throws } from "node:assert/strict";
import {
  DigestMismatchError,
  InvalidReferenceError,
} from "../../src/errors.ts";
import {
  digestAlgorithm,
  Digester,
  digestOf,
  isValidDigest,
  verifyBytes,
  verifyingStream,
} from "../../src/oci/digest.ts";

// FIPS 180-2 test vectors for "abc".
const ABC = new TextEncoder().encode("abc");
const VECTORS = {
  sha256:
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  sha384:
    "sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
  sha512:
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
} as const;

Deno.test("isValidDigest: go-digest's rule (registered algorithm, lowercase hex of its length)", async (t) => {
  const cases: [string, boolean][] = [
    ["sha256:" + "a".repeat(64), true],
    ["sha384:" + "a".repeat(96), true],
    ["sha512:" + "a".repeat(128), true],
    ["sha256:" + "a".repeat(63), false],
    ["sha384:" + "a".repeat(95), false],
    ["sha384:" + "a".repeat(97), false],
    ["sha384:" + "a".repeat(64), false],
    ["sha512:" + "a".repeat(96), false],
    ["sha384:" + "A".repeat(96), false],
    ["sha224:" + "a".repeat(56), false],
    ["md5:" + "a".repeat(32), false],
    ["sha256:", false],
    ["", false],
  ];
  for (const [digest, want] of cases) {
    await t.step(digest.slice(0, 20), () => {
      strictEqual(isValidDigest(digest), want);
    });
  }
});

Deno.test("digestAlgorithm", () => {
  strictEqual(digestAlgorithm(VECTORS.sha256), "sha256");
  strictEqual(digestAlgorithm(VECTORS.sha384), "sha384");
  strictEqual(digestAlgorithm(VECTORS.sha512), "sha512");
  throws(() => digestAlgorithm("sha1:abc"), InvalidReferenceError);
});

Deno.test("digestOf and Digester: every algorithm", () => {
  for (const [alg, want] of Object.entries(VECTORS)) {
    strictEqual(digestOf(ABC, alg as keyof typeof VECTORS), want);
    const d = new Digester(alg as keyof typeof VECTORS);
    d.update(ABC.subarray(0, 1));
    d.update(ABC.subarray(1));
    strictEqual(d.digest(), want);
    strictEqual(d.size, 3);
  }
});

Deno.test("verifyBytes and verifyingStream check sha384 and sha512 digests", async (t) => {
  for (const want of Object.values(VECTORS)) {
    await t.step(want.slice(0, 6), async () => {
      verifyBytes(ABC, want, 3);
      // one byte at a time: the hash runs as the bytes flow
      const parts = [...ABC].map((b) => new Uint8Array([b]));
      const out = ReadableStream.from(parts).pipeThrough(
        verifyingStream(want, 3),
      );
      strictEqual(
        new TextDecoder().decode(await new Response(out).bytes()),
        "abc",
      );
      // other content under the same digest fails at the end
      const bad = ReadableStream.from([new TextEncoder().encode("abd")])
        .pipeThrough(verifyingStream(want, 3));
      await rejects(new Response(bad).bytes(), (e: unknown) => {
        ok(e instanceof DigestMismatchError, String(e));
        ok(e.message.startsWith("digest mismatch: got "), e.message);
        return true;
      });
      throws(
        () => verifyBytes(new TextEncoder().encode("abd"), want),
        DigestMismatchError,
      );
    });
  }
});
