/**
 * Key-based signing in an OCI image layout: sign, verify, and each
 * refusal (unsigned, wrong key, tampered, another digest) with its reason;
 * keys through PEM; DER and P1363 signatures round-trip.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { SignatureError } from "../../src/errors.ts";
import { LayoutStore } from "../../src/layout/layout_store.ts";
import {
  derToP1363,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyIdOf,
  MEDIA_TYPE_SIGSTORE_BUNDLE,
  p1363ToDer,
  parseBundle,
  signArtifact,
  verifyArtifact,
} from "../../src/sign/mod.ts";
import { fixture } from "../artifact/_fs_helpers.ts";
import {
  attachBundle,
  manifestOf,
  otherDigestBundle,
  tamperedBundle,
} from "./_signing_helpers.ts";

async function layoutPlugin(tmp: string, name: string) {
  const client = new Client({ env: {} });
  const dir = join(tmp, name);
  await client.pushPlugin(fixture("plugins/base"), `ocidir://${dir}:v1`, {
    name,
  });
  await client.close();
  const store = new LayoutStore();
  const repo = { registry: "ocidir://", repository: dir };
  const m = await manifestOf(store, repo, { tag: "v1" });
  return { store, repo, ...m };
}

function refusedWith(reason: string) {
  return (e: unknown) => {
    ok(e instanceof SignatureError, String(e));
    strictEqual(e.reason, reason);
    ok(e.message.includes(reason), e.message);
    return true;
  };
}

Deno.test("P1363 and DER signatures round-trip", async () => {
  const { privateKey } = await generateSigningKey();
  for (let i = 0; i < 20; i++) {
    const sig = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        privateKey,
        new Uint8Array([i]),
      ),
    );
    const der = p1363ToDer(sig);
    strictEqual(der[0], 0x30);
    deepStrictEqual(derToP1363(der), sig);
  }
  // Leading zero bytes and high bits.
  const edge = new Uint8Array(64);
  edge[1] = 0x80;
  edge[32] = 0xff;
  deepStrictEqual(derToP1363(p1363ToDer(edge)), edge);
  let thrown: unknown;
  try {
    derToP1363(new Uint8Array([0x30, 3, 2, 1, 1]));
  } catch (e) {
    thrown = e;
  }
  ok(thrown instanceof SignatureError && thrown.reason === "tampered");
});

Deno.test("PEM keys: PKCS#8 and SPKI round-trip, same key id", async () => {
  const pair = await generateSigningKey();
  const privPem = await exportPrivateKeyPem(pair.privateKey);
  const pubPem = await exportPublicKeyPem(pair.publicKey);
  ok(privPem.startsWith("-----BEGIN PRIVATE KEY-----\n"));
  ok(pubPem.startsWith("-----BEGIN PUBLIC KEY-----\n"));
  const pub = await importPublicKeyPem(pubPem);
  strictEqual(await keyIdOf(pub), await keyIdOf(pair.publicKey));
  const priv = await importPrivateKeyPem(privPem);
  strictEqual(priv.type, "private");
  await rejects(() => importPublicKeyPem(privPem), SignatureError);
  await rejects(() => importPrivateKeyPem("not a key"), SignatureError);
});

Deno.test("sign and verify in an OCI layout; each refusal names its reason", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-sign-" });
  try {
    const pair = await generateSigningKey();
    const other = await generateSigningKey();
    const pubPem = await exportPublicKeyPem(pair.publicKey);

    // Signed with a PEM private key, verified with a PEM public key.
    const a = await layoutPlugin(tmp, "signed");
    const signed = await signArtifact(
      a.store,
      a.repo,
      a.descriptor,
      a.bytes,
      await exportPrivateKeyPem(pair.privateKey),
    );
    strictEqual(signed.referrer.artifactType, MEDIA_TYPE_SIGSTORE_BUNDLE);
    const bundle = JSON.parse(new TextDecoder().decode(signed.bundle));
    deepStrictEqual(bundle.verificationMaterial.tlogEntries, []);
    strictEqual(bundle.verificationMaterial.publicKey.hint, signed.keyId);
    strictEqual(parseBundle(signed.bundle).digest, a.descriptor.digest);
    const result = await verifyArtifact(
      a.store,
      a.repo,
      a.descriptor,
      a.bytes,
      { publicKeys: [pubPem] },
    );
    deepStrictEqual(result.signatures, [{
      keyId: await keyIdOf(pair.publicKey),
      verified: true,
      tlogIndex: undefined,
      referrer: signed.referrer.digest,
    }]);
    // Wrong key.
    await rejects(
      () =>
        verifyArtifact(a.store, a.repo, a.descriptor, a.bytes, {
          publicKeys: [other.publicKey],
        }),
      refusedWith("wrong-key"),
    );
    // Either key of the policy will do.
    await verifyArtifact(a.store, a.repo, a.descriptor, a.bytes, {
      publicKeys: [other.publicKey, pair.publicKey],
    });

    // Unsigned.
    const u = await layoutPlugin(tmp, "unsigned");
    const policy = { publicKeys: [pair.publicKey] };
    await rejects(
      () => verifyArtifact(u.store, u.repo, u.descriptor, u.bytes, policy),
      refusedWith("unsigned"),
    );
    // Not required: reported, not refused.
    deepStrictEqual(
      await verifyArtifact(u.store, u.repo, u.descriptor, u.bytes, {
        ...policy,
        require: false,
      }),
      { signatures: [] },
    );

    // Tampered signature.
    const t = await layoutPlugin(tmp, "tampered");
    await attachBundle(
      t.store,
      t.repo,
      t.descriptor,
      await tamperedBundle(pair.privateKey, t.bytes),
    );
    await rejects(
      () => verifyArtifact(t.store, t.repo, t.descriptor, t.bytes, policy),
      refusedWith("tampered"),
    );

    // A valid bundle for another digest.
    const o = await layoutPlugin(tmp, "other");
    await attachBundle(
      o.store,
      o.repo,
      o.descriptor,
      await otherDigestBundle(pair.privateKey),
    );
    await rejects(
      () => verifyArtifact(o.store, o.repo, o.descriptor, o.bytes, policy),
      refusedWith("other-digest"),
    );
    // A good signature next to the bad one verifies.
    await signArtifact(o.store, o.repo, o.descriptor, o.bytes, pair.privateKey);
    const both = await verifyArtifact(
      o.store,
      o.repo,
      o.descriptor,
      o.bytes,
      policy,
    );
    deepStrictEqual(
      both.signatures.map((s) => s.verified).sort(),
      [false, true],
    );

    // A bundle over 1 MiB is not read: refused, reason "other".
    const big = await layoutPlugin(tmp, "big");
    await attachBundle(
      big.store,
      big.repo,
      big.descriptor,
      new Uint8Array(1024 * 1024 + 1).fill(0x20),
    );
    await rejects(
      () =>
        verifyArtifact(big.store, big.repo, big.descriptor, big.bytes, policy),
      refusedWith("other"),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
