/**
 * RFC 6962 Merkle inclusion proofs: the roots of the reference test
 * vectors (certificate-transparency's eight leaves), and for every leaf of
 * every tree up to 8 leaves the audit path (RFC 6962 §2.1.1, built here
 * recursively) verifies — and fails with a wrong index, size, hash or
 * root.
 */
import { equal } from "node:assert/strict";
import {
  leafHash,
  nodeHash,
  verifyInclusionProof,
} from "../../src/sign/merkle.ts";

const LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map((h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16)));

// Roots of the first n leaves (certificate-transparency's merkle tests).
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The largest power of two below n (RFC 6962 §2.1's k). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) of RFC 6962 §2.1. */
async function mth(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) return await leafHash(leaves[0]);
  const k = split(leaves.length);
  return await nodeHash(
    await mth(leaves.slice(0, k)),
    await mth(leaves.slice(k)),
  );
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1, leaf first. */
async function path(m: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...await path(m, leaves.slice(0, k)), await mth(leaves.slice(k))]
    : [...await path(m - k, leaves.slice(k)), await mth(leaves.slice(0, k))];
}

Deno.test("Merkle tree roots match the RFC 6962 reference vectors", async () => {
  for (let n = 1; n <= 8; n++) {
    equal(hex(await mth(LEAVES.slice(0, n))), ROOTS[n - 1], `size ${n}`);
  }
});

Deno.test("inclusion proofs verify for every leaf of trees up to 8, and only for it", async (t) => {
  for (let n = 1; n <= 8; n++) {
    const leaves = LEAVES.slice(0, n);
    const root = await mth(leaves);
    for (let m = 0; m < n; m++) {
      await t.step(`leaf ${m} of ${n}`, async () => {
        const leaf = await leafHash(leaves[m]);
        const audit = await path(m, leaves);
        const size = BigInt(n);
        const at = BigInt(m);
        equal(await verifyInclusionProof(at, size, leaf, audit, root), true);
        // Another leaf, index, size or root; a path too long, or altered.
        const other = await leafHash(new Uint8Array([0xff]));
        equal(await verifyInclusionProof(at, size, other, audit, root), false);
        if (n > 1) {
          equal(
            await verifyInclusionProof(
              (at + 1n) % size,
              size,
              leaf,
              audit,
              root,
            ),
            false,
          );
        }
        // (a size with the same path shape gives the same root: the
        // checkpoint's signature binds size and root together.)
        equal(
          await verifyInclusionProof(at, size * 2n, leaf, audit, root),
          false,
        );
        equal(await verifyInclusionProof(at, size, leaf, audit, other), false);
        equal(
          await verifyInclusionProof(at, size, leaf, [...audit, other], root),
          false,
        );
        if (audit.length > 0) {
          const bad = audit.map((h) => h.slice());
          bad[0][0] ^= 1;
          equal(await verifyInclusionProof(at, size, leaf, bad, root), false);
        }
        equal(await verifyInclusionProof(size, size, leaf, audit, root), false);
      });
    }
  }
});
