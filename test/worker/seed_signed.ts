/**
 * Signed, unsigned and wrongly signed plugins for the verification tests
 * of the edge API, pushed with the library's `signKey` (a sigstore bundle
 * as an OCI referrer) under their own base `<host>/klaus-signed`, so the
 * other tests' listings do not change.
 *
 * @module
 */
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  keyIdOf,
} from "../../src/sign/mod.ts";
import { FIXTURES_DIR } from "./seed_registry.ts";

/** The plugin base the signed fixtures live under. */
export function signedBase(host: string): string {
  return `${host}/klaus-signed`;
}

/** What {@linkcode seedSigned} pushed. */
export interface SignedFixtures {
  /** The plugin base (`<host>/klaus-signed`). */
  base: string;
  /** SPKI PEM of the key `signed` (and `late`, once signed) verify with. */
  publicKey: string;
  /** Its key id. */
  keyId: string;
  /** PKCS#8 PEM of that key, to sign more later. */
  privateKey: string;
  /** Key id of the stranger's key `wrong-key` is signed with. */
  strangerKeyId: string;
  /** Manifest digest per plugin name (`signed`, `unsigned`, `wrong-key`, `late`), all at `v1.0.0`. */
  digests: Record<string, string>;
}

/**
 * Pushes `signed` (signed with a fresh key), `unsigned`, `wrong-key`
 * (signed with another key) and `late` (unsigned for now) at `v1.0.0`,
 * each with distinct content, to `<host>/klaus-signed` over plain HTTP.
 */
export async function seedSigned(
  host: string,
  auth?: string,
): Promise<SignedFixtures> {
  const base = signedBase(host);
  const signer = await generateSigningKey();
  const stranger = await generateSigningKey();
  const privateKey = await exportPrivateKeyPem(signer.privateKey);
  const client = new Client({
    plainHttp: true,
    registryAuthEnv: "SEED_AUTH",
    env: { SEED_AUTH: auth },
  });
  const source = join(FIXTURES_DIR, "plugins", "churn");
  const plugin = await readPluginFromDir(source);
  const digests: Record<string, string> = {};
  try {
    const push = async (name: string, key?: CryptoKey | string) => {
      const { digest } = await client.pushPlugin(
        source,
        `${base}/${name}:v1.0.0`,
        { ...plugin, name, description: `${name} (verification fixture)` },
        { signKey: key },
      );
      digests[name] = digest;
    };
    await push("signed", privateKey);
    await push("unsigned");
    await push("wrong-key", stranger.privateKey);
    await push("late");
  } finally {
    await client.close();
  }
  return {
    base,
    publicKey: await exportPublicKeyPem(signer.publicKey),
    keyId: await keyIdOf(signer.publicKey),
    privateKey,
    strangerKeyId: await keyIdOf(stranger.publicKey),
    digests,
  };
}

/**
 * The fixtures as flat `pushed` entries for the workerd suite (its
 * bindings carry one string map): `signed/base`, `signed/public-key`,
 * `signed/key-id`, `signed/stranger-key-id` and `signed/<name>` → digest.
 */
export function signedEntries(f: SignedFixtures): Record<string, string> {
  const out: Record<string, string> = {
    "signed/base": f.base,
    "signed/public-key": f.publicKey,
    "signed/key-id": f.keyId,
    "signed/stranger-key-id": f.strangerKeyId,
  };
  for (const [name, digest] of Object.entries(f.digests)) {
    out[`signed/${name}`] = digest;
  }
  return out;
}

if (import.meta.main) {
  const host = Deno.args[0];
  if (!host) {
    console.error("usage: seed_signed.ts <host:port>");
    Deno.exit(2);
  }
  console.log(JSON.stringify(signedEntries(await seedSigned(host))));
}
