/**
 * `push --sign-key` and `pull --verify-key` on an OCI image layout: a
 * plugin signed with a PKCS#8 key (and with cosign's encrypted key and
 * `COSIGN_PASSWORD`) pulls under its public key; an unsigned one and the
 * wrong key are refused with exit 1, the reason in the message, and no
 * directory created.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  encryptKeyPem,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  keyIdOf,
} from "../../src/sign/mod.ts";
import { fixture } from "../artifact/_fs_helpers.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

async function cli(
  tmp: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", XDG_CACHE_HOME: join(tmp, "cache"), ...env },
    cwd: tmp,
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("cli: push --sign-key, pull --verify-key", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-signing-cli-" });
  try {
    const pair = await generateSigningKey();
    const other = await generateSigningKey();
    const keyId = await keyIdOf(pair.publicKey);
    await Deno.writeTextFile(
      join(tmp, "cosign.key"),
      await exportPrivateKeyPem(pair.privateKey),
    );
    await Deno.writeTextFile(
      join(tmp, "enc.key"),
      await encryptKeyPem(
        new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
        "s3cret",
      ),
    );
    await Deno.writeTextFile(
      join(tmp, "cosign.pub"),
      await exportPublicKeyPem(pair.publicKey),
    );
    await Deno.writeTextFile(
      join(tmp, "other.pub"),
      await exportPublicKeyPem(other.publicKey),
    );
    const src = fixture("plugins/base");
    const store = `ocidir://${join(tmp, "store")}`;

    const pushed = await cli(
      tmp,
      {},
      "--json",
      "plugin",
      "push",
      src,
      `${store}/signed:v1`,
      "--sign-key",
      join(tmp, "cosign.key"),
    );
    strictEqual(pushed.code, 0, pushed.stderr);
    strictEqual(JSON.parse(pushed.stdout).signedBy, keyId);
    const pulled = await cli(
      tmp,
      {},
      "plugin",
      "pull",
      `${store}/signed:v1`,
      join(tmp, "out", "signed"),
      "--verify-key",
      join(tmp, "cosign.pub"),
    );
    strictEqual(pulled.code, 0, pulled.stderr);
    ok(pulled.stdout.includes("signed: pulled"), pulled.stdout);

    // The wrong key: refused, nothing created.
    const wrong = await cli(
      tmp,
      {},
      "plugin",
      "pull",
      `${store}/signed:v1`,
      join(tmp, "out", "wrong"),
      "--verify-key",
      join(tmp, "other.pub"),
    );
    strictEqual(wrong.code, 1);
    ok(wrong.stderr.includes("wrong-key"), wrong.stderr);
    await Deno.stat(join(tmp, "out", "wrong")).then(
      () => ok(false, "destination created"),
      () => {},
    );

    // Cosign's encrypted key needs COSIGN_PASSWORD.
    const noPass = await cli(
      tmp,
      {},
      "plugin",
      "push",
      src,
      `${store}/enc:v1`,
      "--sign-key",
      join(tmp, "enc.key"),
    );
    strictEqual(noPass.code, 1);
    ok(noPass.stderr.includes("COSIGN_PASSWORD"), noPass.stderr);
    const enc = await cli(
      tmp,
      { COSIGN_PASSWORD: "s3cret" },
      "plugin",
      "push",
      src,
      `${store}/enc:v1`,
      "--sign-key",
      join(tmp, "enc.key"),
    );
    strictEqual(enc.code, 0, enc.stderr);
    ok(enc.stdout.includes(`signed by key ${keyId.slice(0, 12)}`), enc.stdout);
    strictEqual(
      (await cli(
        tmp,
        {},
        "plugin",
        "pull",
        `${store}/enc:v1`,
        join(tmp, "out", "enc"),
        "--verify-key",
        join(tmp, "cosign.pub"),
      )).code,
      0,
    );

    // Unsigned: refused.
    strictEqual(
      (await cli(tmp, {}, "plugin", "push", src, `${store}/plain:v1`)).code,
      0,
    );
    const unsigned = await cli(
      tmp,
      {},
      "plugin",
      "pull",
      `${store}/plain:v1`,
      join(tmp, "out", "plain"),
      "--verify-key",
      join(tmp, "cosign.pub"),
    );
    strictEqual(unsigned.code, 1);
    ok(unsigned.stderr.includes("unsigned"), unsigned.stderr);

    // The flags belong to their commands.
    const misplaced = await cli(
      tmp,
      {},
      "plugin",
      "describe",
      `${store}/plain:v1`,
      "--verify-key",
      join(tmp, "cosign.pub"),
    );
    strictEqual(misplaced.code, 2, misplaced.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
