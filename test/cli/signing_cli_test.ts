/**
 * `push --sign-key` and `pull --verify-key` on an OCI image layout: a
 * plugin signed with a PKCS#8 key (and with cosign's encrypted key and
 * `COSIGN_PASSWORD`) pulls under its public key; an unsigned one and the
 * wrong key are refused with exit 1, the reason in the message, and no
 * directory created. Then the keyless flags in process (`push --sign`,
 * `--certificate-*`, `--trusted-root`, `describe --verify`): cosign's
 * rules, the token's sources, the output. Keyless end to end against the
 * sigstore tools: test/interop/sigstore_interop_test.ts.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import type { CliPushOptions } from "../../src/cli/context.ts";
import { runInProcess, standIn } from "./helpers.ts";
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

    const key = (name: string) => join(tmp, name);
    const push = (
      tag: string,
      env: Record<string, string>,
      ...flags: string[]
    ) => cli(tmp, env, "plugin", "push", src, `${store}/${tag}:v1`, ...flags);
    const pull = (tag: string, dest: string, pub: string) =>
      cli(
        tmp,
        {},
        "plugin",
        "pull",
        `${store}/${tag}:v1`,
        join(tmp, "out", dest),
        "--verify-key",
        key(pub),
      );
    // Refused: exit 1, the reason in the message, nothing created.
    const refused = async (
      r: { code: number; stderr: string },
      reason: string,
      dest: string,
    ) => {
      strictEqual(r.code, 1);
      ok(r.stderr.includes(reason), r.stderr);
      await Deno.stat(join(tmp, "out", dest)).then(
        () => ok(false, "destination created"),
        () => {},
      );
    };

    const pushed = await cli(
      tmp,
      {},
      "--json",
      "plugin",
      "push",
      src,
      `${store}/signed:v1`,
      "--sign-key",
      key("cosign.key"),
    );
    strictEqual(pushed.code, 0, pushed.stderr);
    strictEqual(JSON.parse(pushed.stdout).signedBy, keyId);
    const pulled = await pull("signed", "signed", "cosign.pub");
    strictEqual(pulled.code, 0, pulled.stderr);
    ok(pulled.stdout.includes("signed: pulled"), pulled.stdout);

    // The wrong key: refused, nothing created.
    await refused(
      await pull("signed", "wrong", "other.pub"),
      "wrong-key",
      "wrong",
    );

    // Cosign's encrypted key needs COSIGN_PASSWORD.
    const noPass = await push("enc", {}, "--sign-key", key("enc.key"));
    strictEqual(noPass.code, 1);
    ok(noPass.stderr.includes("COSIGN_PASSWORD"), noPass.stderr);
    const enc = await push(
      "enc",
      { COSIGN_PASSWORD: "s3cret" },
      "--sign-key",
      key("enc.key"),
    );
    strictEqual(enc.code, 0, enc.stderr);
    ok(enc.stdout.includes(`signed by key ${keyId.slice(0, 12)}`), enc.stdout);
    strictEqual((await pull("enc", "enc", "cosign.pub")).code, 0);

    // Unsigned: refused.
    strictEqual((await push("plain", {})).code, 0);
    await refused(
      await pull("plain", "plain", "cosign.pub"),
      "unsigned",
      "plain",
    );

    // The flags belong to their commands.
    const misplaced = await cli(
      tmp,
      {},
      "plugin",
      "describe",
      `${store}/plain:v1`,
      "--verify-key",
      key("cosign.pub"),
    );
    strictEqual(misplaced.code, 2, misplaced.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// Keyless flags, in process with a stand-in client: cosign's rules for the
// policy flags (usage errors, exit 2), where the identity token comes from
// (and that it is never printed), what reaches the library, and how the
// signatures are shown.

const run = runInProcess;

const ISSUER = "https://token.actions.example";
const IDENTITY =
  "https://github.com/klaus/ci/.github/workflows/release.yml@refs/heads/main";

Deno.test("cli: the keyless flags follow cosign's rules (usage errors, exit 2)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-keyless-flags-" });
  try {
    const root = join(tmp, "trusted_root.json");
    await Deno.writeTextFile(root, "{}");
    const pull = ["plugin", "pull", "r.example/p/x:v1", join(tmp, "out")];
    const describe = ["plugin", "describe", "r.example/p/x:v1"];
    const push = [
      "plugin",
      "push",
      fixture("plugins/base"),
      "r.example/p/x:v1",
    ];
    const cases: [string[], RegExp][] = [
      [
        [...pull, "--certificate-identity", IDENTITY, "--trusted-root", root],
        /--certificate-identity needs --certificate-oidc-issuer/,
      ],
      [
        [...pull, "--certificate-oidc-issuer", ISSUER, "--trusted-root", root],
        /--certificate-oidc-issuer needs --certificate-identity/,
      ],
      [
        [
          ...pull,
          "--certificate-identity-regexp",
          ".*",
          "--certificate-oidc-issuer",
          ISSUER,
          "--tuf-mirror-url",
          "http://127.0.0.1:9/tuf",
        ],
        /--tuf-mirror-url needs --tuf-root FILE/,
      ],
      [
        [...pull, "--trusted-root", root],
        /--trusted-root needs --certificate-identity/,
      ],
      [
        [
          ...pull,
          "--certificate-identity",
          IDENTITY,
          "--certificate-identity-regexp",
          ".*",
          "--certificate-oidc-issuer",
          ISSUER,
          "--trusted-root",
          root,
        ],
        /exclude each other/,
      ],
      [
        [
          ...pull,
          "--certificate-identity-regexp",
          "(",
          "--certificate-oidc-issuer",
          ISSUER,
          "--trusted-root",
          root,
        ],
        /--certificate-identity-regexp: /,
      ],
      [
        [...pull, "--certificate-identity", ""],
        /--certificate-identity needs an identity/,
      ],
      [
        [...describe, "--verify-key", "k.pub"],
        /--verify-key applies with --verify only/,
      ],
      [[...describe, "--verify"], /--verify needs --verify-key FILE/],
      [[...pull, "--verify"], /--verify applies to describe only/],
      [[...pull, "--sign"], /--sign applies to push only/],
      [
        [...push, "--identity-token", "t"],
        /--identity-token applies with --sign only/,
      ],
      [[...push, "--sign", "--sign-key", "k"], /exclude each other/],
      [
        [...push, "--sign", "--fulcio-url", "ftp://x"],
        /--fulcio-url needs an http\(s\) URL/,
      ],
      [
        [...describe, "--certificate-identity", IDENTITY],
        /applies with --verify only/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, standIn({}), { SIGSTORE_ID_TOKEN: "a.b.c" });
      strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      ok(message.test(r.stderr), `${args.join(" ")}: ${r.stderr}`);
      ok(r.stderr.includes("usage: klaus-oci plugin"), r.stderr);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: push --sign takes the token from SIGSTORE_ID_TOKEN or --identity-token, never prints it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-keyless-push-" });
  try {
    const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJlLXNlY3JldA";
    const push = [
      "plugin",
      "push",
      fixture("plugins/base"),
      "r.example/p/x:v1",
      "--sign",
    ];
    // No token: a clear error before anything is contacted.
    const none = await run(push);
    strictEqual(none.code, 1, none.stderr);
    ok(none.stderr.includes("set SIGSTORE_ID_TOKEN"), none.stderr);
    ok(none.stderr.includes("--identity-token FILE"), none.stderr);
    ok(none.stderr.includes("in a terminal to sign in with a browser"));

    let seen: CliPushOptions | undefined;
    const signature = {
      identity: IDENTITY,
      issuer: ISSUER,
      tlogIndex: 42,
      referrer: "sha256:" + "b".repeat(64),
    };
    const client = standIn({
      pushPlugin: (_d, _r, _p, o) => {
        seen = o;
        return Promise.resolve({
          digest: "sha256:" + "a".repeat(64),
          signature,
        });
      },
    });
    const text = await run(
      [
        ...push,
        "--fulcio-url",
        "http://127.0.0.1:1",
        "--rekor-url",
        "http://127.0.0.1:2",
      ],
      client,
      { SIGSTORE_ID_TOKEN: token },
    );
    strictEqual(text.code, 0, text.stderr);
    deepStrictEqual(seen, {
      sign: {
        identityToken: token,
        fulcioUrl: "http://127.0.0.1:1",
        rekorUrl: "http://127.0.0.1:2",
      },
    });
    strictEqual(
      text.stdout,
      `x: pushed (sha256:aaaaaaaaaaaa), signed by ${IDENTITY} (${ISSUER}), tlog index 42\n`,
    );
    const json = await run(["--json", ...push], client, {
      SIGSTORE_ID_TOKEN: token,
    });
    strictEqual(json.code, 0, json.stderr);
    deepStrictEqual(JSON.parse(json.stdout), {
      name: "x",
      ref: "r.example/p/x:v1",
      digest: "sha256:" + "a".repeat(64),
      signedBy: IDENTITY,
      signature,
    });

    // --identity-token FILE wins over the environment.
    const file = join(tmp, "token");
    await Deno.writeTextFile(file, "from.the.file\n");
    await run([...push, "--identity-token", file], client, {
      SIGSTORE_ID_TOKEN: token,
    });
    strictEqual(seen?.sign?.identityToken, "from.the.file");

    // A failure quoting the token shows it masked.
    const leaky = standIn({
      pushPlugin: () =>
        Promise.reject(new Error(`Fulcio said: bad token ${token}`)),
    });
    const failed = await run(push, leaky, { SIGSTORE_ID_TOKEN: token });
    strictEqual(failed.code, 1);
    ok(!failed.stderr.includes(token), failed.stderr);
    ok(failed.stderr.includes("bad token ***"), failed.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: pull and describe --verify pass the keyless policy and show who signed", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-keyless-verify-" });
  try {
    const root = join(tmp, "trusted_root.json");
    await Deno.writeTextFile(root, '{"mediaType":"trusted-root"}');
    const policyFlags = [
      "--certificate-identity-regexp",
      "^https://github\\.com/klaus/",
      "--certificate-oidc-issuer",
      ISSUER,
      "--trusted-root",
      root,
    ];
    const policy = {
      trustedRoot: '{"mediaType":"trusted-root"}',
      certificateIdentityRegExp: "^https://github\\.com/klaus/",
      certificateOidcIssuer: ISSUER,
    };
    const good = {
      identity: IDENTITY,
      issuer: ISSUER,
      verified: true,
      tlogIndex: 7,
      referrer: "sha256:" + "c".repeat(64),
    };
    const bad = {
      identity: "https://github.com/mallory",
      issuer: ISSUER,
      verified: false,
      tlogIndex: 8,
      reason: "wrong-identity" as const,
      referrer: "sha256:" + "d".repeat(64),
    };
    const digest = "sha256:" + "e".repeat(64);
    let pullPolicy: unknown;
    const described = {
      ref: "r.example/p/x:v1",
      tag: "v1",
      digest,
      plugin: { name: "x" },
    };
    let checked: { ref: string; policy: unknown } | undefined;
    let found = [good, bad];
    const client = standIn({
      resolvePluginRef: (r) => Promise.resolve(r),
      pullPlugin: (ref, dir, o) => {
        pullPolicy = o?.verification;
        return Promise.resolve({
          ref,
          tag: "v1",
          digest,
          dir,
          cached: false,
          plugin: { name: "x" },
          signatures: found,
        });
      },
      describePlugin: () => Promise.resolve(described),
      verifySignatures: (ref, o) => {
        checked = { ref, policy: o?.policy };
        return Promise.resolve({ signatures: found });
      },
    });
    const pulled = await run(
      ["plugin", "pull", "r.example/p/x:v1", join(tmp, "x"), ...policyFlags],
      client,
    );
    strictEqual(pulled.code, 0, pulled.stderr);
    deepStrictEqual(pullPolicy, policy);
    strictEqual(
      pulled.stdout,
      "x: pulled (sha256:eeeeeeeeeeee)\n" +
        "  Signatures:\n" +
        `    verified: ${IDENTITY} (${ISSUER}), tlog index 7\n` +
        `    not verified (wrong-identity): https://github.com/mallory (${ISSUER}), tlog index 8\n`,
    );
    const pulledJson = await run(
      [
        "--json",
        "plugin",
        "pull",
        "r.example/p/x:v1",
        join(tmp, "x"),
        ...policyFlags,
      ],
      client,
    );
    deepStrictEqual(JSON.parse(pulledJson.stdout).signatures, [good, bad]);

    // describe --verify: the digest described is the digest checked.
    const d = await run([
      "plugin",
      "describe",
      "r.example/p/x:v1",
      "--verify",
      ...policyFlags,
    ], client);
    strictEqual(d.code, 0, d.stderr);
    deepStrictEqual(checked, {
      ref: `r.example/p/x@${digest}`,
      policy: { ...policy, require: false },
    });
    ok(
      d.stdout.includes(
        `Signatures:\n  verified: ${IDENTITY} (${ISSUER}), tlog index 7\n`,
      ),
      d.stdout,
    );
    const dj = await run(
      [
        "--json",
        "plugin",
        "describe",
        "r.example/p/x:v1",
        "--verify",
        ...policyFlags,
      ],
      client,
    );
    deepStrictEqual(JSON.parse(dj.stdout), {
      ...described,
      signatures: [good, bad],
    });

    // None verifies: shown, then exit 1 naming the reason.
    found = [bad];
    const refused = await run(
      [
        "--json",
        "plugin",
        "describe",
        "r.example/p/x:v1",
        "--verify",
        ...policyFlags,
      ],
      client,
    );
    strictEqual(refused.code, 1);
    deepStrictEqual(JSON.parse(refused.stdout).signatures, [bad]);
    ok(
      refused.stderr.includes(
        "no signature verifies under the policy: wrong-identity",
      ),
      refused.stderr,
    );
    found = [];
    const unsigned = await run(
      ["plugin", "describe", "r.example/p/x:v1", "--verify", ...policyFlags],
      client,
    );
    strictEqual(unsigned.code, 1);
    ok(unsigned.stdout.includes("Signatures:\n  (none)"), unsigned.stdout);
    ok(unsigned.stderr.includes(": unsigned"), unsigned.stderr);

    // An unreadable trusted root fails before any request.
    const missingRoot = await run(
      [
        "plugin",
        "pull",
        "r.example/p/x:v1",
        join(tmp, "y"),
        ...policyFlags.slice(0, 4),
        "--trusted-root",
        join(tmp, "nope.json"),
      ],
      standIn({}),
    );
    strictEqual(missingRoot.code, 1);
    ok(missingRoot.stderr.includes("reading trusted root"), missingRoot.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
