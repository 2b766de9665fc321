import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  ConfigError,
  configFromEnv,
  hasRegistryConfig,
  parseBool,
} from "../../worker/config.ts";
import { verificationFromEnv } from "../../worker/verify_config.ts";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
} from "../../src/sign/mod.ts";
import { checkName, checkVersion } from "../../worker/validate.ts";
import { ApiError } from "../../worker/errors.ts";

const read = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("configFromEnv: defaults are the Giant Swarm bases", () => {
  const c = configFromEnv(read({}));
  deepStrictEqual(c.registries, {
    plugin: "gsoci.azurecr.io/giantswarm/klaus-plugins",
    personality: "gsoci.azurecr.io/giantswarm/klaus-personalities",
    toolchain: "gsoci.azurecr.io/giantswarm/klaus-toolchains",
  });
  equal(c.plainHttp, false);
  equal(c.freshTtlMs, 30_000);
  equal(c.staleTtlMs, 86_400_000);
  equal(hasRegistryConfig(read({})), false);
});

Deno.test("configFromEnv: KLAUS_REGISTRY and per-kind overrides", () => {
  const c = configFromEnv(read({
    KLAUS_REGISTRY: "localhost:5000/org/",
    TOOLCHAIN_REGISTRY: "other.test/tc",
    PLAIN_HTTP: "TRUE",
    CACHE_FRESH_TTL_SECONDS: "1.5",
    CACHE_STALE_TTL_SECONDS: "60",
  }));
  deepStrictEqual(c.registries, {
    plugin: "localhost:5000/org/klaus-plugins",
    personality: "localhost:5000/org/klaus-personalities",
    toolchain: "other.test/tc",
  });
  equal(c.plainHttp, true);
  equal(c.freshTtlMs, 1500);
  equal(c.staleTtlMs, 60_000);
  equal(hasRegistryConfig(read({ PLUGIN_REGISTRY: "x.test/p" })), true);
  equal(hasRegistryConfig(read({ KLAUS_REGISTRY: "  " })), false);
  throws(() => configFromEnv(read({ CACHE_FRESH_TTL_SECONDS: "soon" })));
  for (
    const [v, want] of [
      ["1", true],
      ["yes", true],
      ["on", true],
      ["0", false],
      ["", false],
    ] as const
  ) {
    equal(parseBool(v), want, v);
  }
});

Deno.test("checkName accepts one OCI path component only", () => {
  for (const ok of ["gs-base", "a", "a.b", "a_b", "a__b", "a---b", "0x"]) {
    equal(checkName(ok), ok);
  }
  for (
    const bad of [
      "",
      "A",
      "a/b",
      "../a",
      "a b",
      "-a",
      "a-",
      "a..b",
      "a@b",
      "a:b",
      "x".repeat(256),
    ]
  ) {
    throws(
      () => checkName(bad),
      (e) => e instanceof ApiError && e.status === 400,
      bad,
    );
  }
});

Deno.test("checkVersion accepts a tag or a digest", () => {
  equal(checkVersion(undefined), undefined);
  equal(checkVersion([""]), undefined);
  equal(checkVersion(["v1.2.3"]), "v1.2.3");
  equal(checkVersion(["1.0.0_rc-1"]), "1.0.0_rc-1");
  const d = `sha256:${"a".repeat(64)}`;
  equal(checkVersion([d]), d);
  for (
    const bad of [["a", "b"], [".x"], ["v1/.."], ["sha256:abc"], [" v1"], [
      "v".repeat(129),
    ]]
  ) {
    throws(
      () => checkVersion(bad),
      (e) => e instanceof ApiError && e.status === 400,
      bad.join(),
    );
  }
});

async function publicKeyPem(): Promise<string> {
  const pair = await generateSigningKey();
  return await exportPublicKeyPem(pair.publicKey);
}

const ROOT_JSON = JSON.stringify({
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  certificateAuthorities: [],
  tlogs: [],
});

function configError(vars: Record<string, string>, pattern: RegExp): void {
  throws(
    () => verificationFromEnv(read(vars)),
    (e: unknown) => {
      ok(e instanceof ConfigError, String(e));
      match(e.message, pattern);
      for (const v of Object.values(vars)) {
        // Values are never echoed (regexps excepted: the engine names them).
        if (v.length > 40) ok(!e.message.includes(v.slice(0, 40)), e.message);
      }
      return true;
    },
  );
}

Deno.test("verificationFromEnv: no VERIFY_* means no verification", () => {
  equal(verificationFromEnv(read({})), undefined);
  equal(configFromEnv(read({})).verification, undefined);
  equal(
    verificationFromEnv(read({ VERIFY_PUBLIC_KEYS: "  \n" })),
    undefined,
  );
});

Deno.test("verificationFromEnv: public keys, one or several in one value", async () => {
  const [a, b] = [await publicKeyPem(), await publicKeyPem()];
  const one = verificationFromEnv(read({ VERIFY_PUBLIC_KEYS: a }))!;
  deepStrictEqual(one.policy, { publicKeys: [a], require: false });
  equal(one.summary, "1 public key");
  match(one.fingerprint, /^[a-f0-9]{32}$/);
  const two = verificationFromEnv(
    read({ VERIFY_PUBLIC_KEYS: `\n${a}\n\n${b}` }),
  )!;
  deepStrictEqual(two.policy.publicKeys, [a, b]);
  equal(two.summary, "2 public keys");
  // Order does not matter; the set of keys does.
  equal(
    verificationFromEnv(read({ VERIFY_PUBLIC_KEYS: b + a }))!.fingerprint,
    two.fingerprint,
  );
  ok(one.fingerprint !== two.fingerprint);
  // Literal "\n" (a secret store's one-line form) and CRLF line ends.
  const oneLine = a.replaceAll("\n", "\\n");
  deepStrictEqual(
    verificationFromEnv(read({ VERIFY_PUBLIC_KEYS: oneLine }))!.policy
      .publicKeys,
    [a],
  );
  deepStrictEqual(
    verificationFromEnv(
      read({ VERIFY_PUBLIC_KEYS: a.replaceAll("\n", "\r\n") }),
    )!.policy.publicKeys,
    [a],
  );
  // The Deno config carries it.
  equal(
    configFromEnv(read({ VERIFY_PUBLIC_KEYS: a })).verification?.fingerprint,
    one.fingerprint,
  );
});

Deno.test("verificationFromEnv: bad PEM fails with the variable's name", async () => {
  const a = await publicKeyPem();
  const pair = await generateSigningKey();
  const priv = await exportPrivateKeyPem(pair.privateKey);
  configError(
    { VERIFY_PUBLIC_KEYS: priv },
    /block 1 is a "PRIVATE KEY".*never configure a private key/,
  );
  configError({ VERIFY_PUBLIC_KEYS: a + priv }, /block 2 is a "PRIVATE KEY"/);
  configError(
    { VERIFY_PUBLIC_KEYS: "ssh-ed25519 AAAA…" },
    /^VERIFY_PUBLIC_KEYS: no PEM block found/,
  );
  configError(
    { VERIFY_PUBLIC_KEYS: a.slice(0, a.indexOf("-----END")) },
    /no PEM block found/,
  );
  configError(
    { VERIFY_PUBLIC_KEYS: `${a}\n-----BEGIN PUBLIC KEY-----\nMFkw` },
    /text outside the PEM blocks/,
  );
  configError(
    {
      VERIFY_PUBLIC_KEYS:
        "-----BEGIN PUBLIC KEY-----\n!!notbase64!!\n-----END PUBLIC KEY-----",
    },
    /block 1 is not valid base64/,
  );
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const rsaDer = new Uint8Array(
    await crypto.subtle.exportKey("spki", rsa.publicKey),
  );
  const rsaPem = `-----BEGIN PUBLIC KEY-----\n${
    btoa(String.fromCharCode(...rsaDer))
  }\n-----END PUBLIC KEY-----\n`;
  configError(
    { VERIFY_PUBLIC_KEYS: rsaPem },
    /block 1 is not an ECDSA P-256 public key/,
  );
  configError(
    { VERIFY_PUBLIC_KEYS: a.replace("END PUBLIC", "END PRIVATE") },
    /block 1 begins "PUBLIC KEY" but ends "PRIVATE KEY"/,
  );
});

Deno.test("verificationFromEnv: keyless needs an identity and an issuer, and a trusted root or TUF", async () => {
  const identity =
    "https://github.com/giantswarm/klaus/.github/workflows/release.yaml@refs/heads/main";
  const issuer = "https://token.actions.githubusercontent.com";
  const ok1 = verificationFromEnv(read({
    VERIFY_TRUSTED_ROOT: ROOT_JSON,
    VERIFY_CERTIFICATE_IDENTITY: identity,
    VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
  }))!;
  deepStrictEqual(ok1.policy, {
    publicKeys: [],
    require: false,
    trustedRoot: ROOT_JSON,
    certificateIdentity: identity,
    certificateOidcIssuer: issuer,
  });
  equal(ok1.summary, `certificates for ${identity} from ${issuer}`);
  const re = verificationFromEnv(read({
    VERIFY_TRUSTED_ROOT: ROOT_JSON,
    VERIFY_CERTIFICATE_IDENTITY_REGEXP: "https://github\\.com/giantswarm/.*",
    VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP: "https://token\\.actions\\..*",
  }))!;
  equal(
    re.policy.certificateIdentityRegExp,
    "https://github\\.com/giantswarm/.*",
  );
  equal(re.policy.certificateOidcIssuerRegExp, "https://token\\.actions\\..*");
  ok(re.fingerprint !== ok1.fingerprint, "identity is part of the fingerprint");

  configError(
    { VERIFY_TRUSTED_ROOT: ROOT_JSON },
    /VERIFY_TRUSTED_ROOT needs VERIFY_CERTIFICATE_IDENTITY .* and VERIFY_CERTIFICATE_OIDC_ISSUER/,
  );
  configError(
    { VERIFY_TRUSTED_ROOT: ROOT_JSON, VERIFY_CERTIFICATE_IDENTITY: identity },
    /VERIFY_TRUSTED_ROOT needs/,
  );
  // Identity and issuer alone: the trusted root through TUF (public-good
  // unless a mirror and its root are set).
  const tuf = verificationFromEnv(read({
    VERIFY_CERTIFICATE_IDENTITY: identity,
    VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
  }))!;
  deepStrictEqual(tuf.policy, {
    publicKeys: [],
    require: false,
    tuf: {},
    certificateIdentity: identity,
    certificateOidcIssuer: issuer,
  });
  match(tuf.summary, /through TUF from https:\/\/tuf-repo-cdn\.sigstore\.dev/);
  const mirror = verificationFromEnv(read({
    VERIFY_CERTIFICATE_IDENTITY: identity,
    VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
    VERIFY_TUF_MIRROR_URL: "https://tuf.example.com",
    VERIFY_TUF_ROOT: '{"signed":{}}',
  }))!;
  deepStrictEqual(mirror.policy.tuf, {
    mirrorUrl: "https://tuf.example.com",
    initialRoot: '{"signed":{}}',
  });
  ok(
    mirror.fingerprint !== tuf.fingerprint,
    "the mirror is in the fingerprint",
  );
  configError(
    { VERIFY_CERTIFICATE_IDENTITY: identity },
    /keyless verification needs VERIFY_CERTIFICATE_IDENTITY .* and VERIFY_CERTIFICATE_OIDC_ISSUER/,
  );
  configError(
    {
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
      VERIFY_TUF_MIRROR_URL: "https://tuf.example.com",
    },
    /other than the public-good mirror needs VERIFY_TUF_ROOT/,
  );
  configError(
    {
      VERIFY_TRUSTED_ROOT: ROOT_JSON,
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
      VERIFY_TUF_ROOT: '{"signed":{}}',
    },
    /exclude each other/,
  );
  configError(
    {
      VERIFY_PUBLIC_KEYS: await publicKeyPem(),
      VERIFY_TUF_MIRROR_URL: "https://tuf.example.com",
    },
    /apply to keyless verification/,
  );
  configError(
    {
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
      VERIFY_TUF_ROOT: "/etc/root.json",
    },
    /VERIFY_TUF_ROOT is not JSON/,
  );
  configError(
    {
      VERIFY_TRUSTED_ROOT: "/etc/sigstore/trusted_root.json",
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
    },
    /VERIFY_TRUSTED_ROOT is not JSON .*not a path/,
  );
  configError(
    {
      VERIFY_TRUSTED_ROOT: '{"tlogs": []}',
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
    },
    /not a sigstore trusted root/,
  );
  configError(
    {
      VERIFY_TRUSTED_ROOT: ROOT_JSON,
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_IDENTITY_REGEXP: ".*",
      VERIFY_CERTIFICATE_OIDC_ISSUER: issuer,
    },
    /set VERIFY_CERTIFICATE_IDENTITY or VERIFY_CERTIFICATE_IDENTITY_REGEXP, not both/,
  );
  configError(
    {
      VERIFY_TRUSTED_ROOT: ROOT_JSON,
      VERIFY_CERTIFICATE_IDENTITY: identity,
      VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP: "https://(unclosed",
    },
    /VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP is not a valid regular expression/,
  );
});

Deno.test("the Worker answers 500 invalid_config while its configuration is invalid", async () => {
  const worker = (await import("../../worker/index.ts")).default;
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };
  const res = await worker.fetch(
    new Request("https://klaus.example/healthz"),
    { VERIFY_PUBLIC_KEYS: "not a key" },
    ctx as never,
  );
  equal(res.status, 500);
  equal(res.headers.get("cache-control"), "no-store");
  deepStrictEqual(await res.json(), {
    error: {
      code: "invalid_config",
      message:
        'VERIFY_PUBLIC_KEYS: no PEM block found (want one or more "-----BEGIN PUBLIC KEY-----" blocks)',
    },
  });
  const bad = await worker.fetch(
    new Request("https://klaus.example/healthz"),
    { CACHE_FRESH_TTL_SECONDS: "soon" },
    ctx as never,
  );
  equal(bad.status, 500);
  match(
    (await bad.json()).error.message,
    /^CACHE_FRESH_TTL_SECONDS: invalid number of seconds/,
  );
  const good = await worker.fetch(
    new Request("https://klaus.example/healthz"),
    {},
    ctx as never,
  );
  equal(good.status, 200);
  await good.body?.cancel();
});
