/**
 * cosign's encrypted private key format: a key sealed with scrypt and
 * secretbox imports with its passphrase, signs, and verifies with its
 * public key; a wrong or missing passphrase is refused.
 */
import { ok, rejects, strictEqual } from "node:assert/strict";
import { SignatureError } from "../../src/errors.ts";
import { parsePem } from "../../src/sign/keys.ts";
import {
  encryptKeyPem,
  generateSigningKey,
  importPrivateKeyPem,
  keyIdOf,
  PEM_ENCRYPTED_SIGSTORE_KEY,
  publicKeyOf,
} from "../../src/sign/mod.ts";

Deno.test("cosign encrypted private keys import with their passphrase", async () => {
  const pair = await generateSigningKey();
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", pair.privateKey),
  );
  const pem = await encryptKeyPem(pkcs8, "correct horse");
  ok(pem.startsWith(`-----BEGIN ${PEM_ENCRYPTED_SIGSTORE_KEY}-----\n`));
  const doc = JSON.parse(new TextDecoder().decode(parsePem(pem).der));
  strictEqual(doc.kdf.name, "scrypt");
  strictEqual(doc.kdf.params.N, 32768);
  strictEqual(doc.kdf.params.r, 8);
  strictEqual(doc.kdf.params.p, 1);
  strictEqual(doc.cipher.name, "nacl/secretbox");
  strictEqual(typeof doc.ciphertext, "string");

  const key = await importPrivateKeyPem(pem, { passphrase: "correct horse" });
  strictEqual(
    await keyIdOf(await publicKeyOf(key)),
    await keyIdOf(pair.publicKey),
  );
  const data = new TextEncoder().encode("manifest");
  const sig = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    data,
  );
  ok(
    await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      pair.publicKey,
      sig,
      data,
    ),
  );
  await rejects(
    () => importPrivateKeyPem(pem, { passphrase: "wrong" }),
    (e: unknown) =>
      e instanceof SignatureError && e.message.includes("wrong passphrase"),
  );
  await rejects(
    () => importPrivateKeyPem(pem),
    (e: unknown) =>
      e instanceof SignatureError && e.message.includes("COSIGN_PASSWORD"),
  );
  // The pre-rename label reads the same way.
  const legacy = pem.replaceAll("SIGSTORE", "COSIGN");
  await importPrivateKeyPem(legacy, { passphrase: "correct horse" });
});
