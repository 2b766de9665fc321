/**
 * The one redaction module (`src/_redact.ts`): patterns, the process-wide
 * registry of loaded secrets, and untrusted registry text.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  clearRegisteredSecrets,
  clip,
  displayText,
  MAX_UNTRUSTED_CHARS,
  redact,
  registerCredential,
  registerDockerConfigSecrets,
  registerSecret,
  registerUserInfoSecrets,
  secretsOfDockerConfig,
  untrustedText,
} from "../src/_redact.ts";
import { resolveCredential } from "../src/registry/credentials.ts";
import { lookupDockerConfig } from "../src/registry/docker_config.ts";
import { TokenCache } from "../src/registry/token_cache.ts";
import { NotFoundError, wrapError } from "../src/errors.ts";

Deno.test("redact: patterns catch credentials from any source", () => {
  clearRegisteredSecrets();
  const table: [string, string][] = [
    ["GET https://user:pw@r.test/v2/: 401", "GET https://***@r.test/v2/: 401"],
    ["GET https://tok@r.test/v2/", "GET https://***@r.test/v2/"],
    [
      'parsing reference "me:s3cret@r.test/repo:v1": invalid',
      'parsing reference "***@r.test/repo:v1": invalid',
    ],
    ["pull me:s3cret@r.test/repo:v1", "pull ***@r.test/repo:v1"],
    [
      "version=me:pw@evil.example/x",
      "version=***@evil.example/x",
    ],
    [
      "sent Authorization: Bearer eyJhbGci.x-y_z",
      "sent Authorization: Bearer ***",
    ],
    ["Basic dXNlcjpwdw== refused", "Basic *** refused"],
    ["map[Authorization:[Basic dTpw]]", "map[Authorization:[Basic ***]]"],
    ["echo Authorization=Basic a2xhdXM6cHc=", "echo Authorization=Basic ***"],
    ['{"authorization":"Basic a2xhdXM6cHc="}', '{"authorization":"***"}'],
    [
      '{\\"password\\":\\"x\\",\\"token\\": \\"abc\\"}',
      '{\\"password\\":\\"***\\",\\"token\\": \\"***\\"}',
    ],
    ["authorization: s3cr3t-token-value", "authorization: ***"],
    [
      "GET /token?service=r&access_token=abc&x=1",
      "GET /token?service=r&access_token=***&x=1",
    ],
    [
      "https://s3/b?X-Amz-Signature=abc123&X-Amz-Credential=AKIA%2Fx&sig=zz",
      "https://s3/b?X-Amz-Signature=***&X-Amz-Credential=***&sig=***",
    ],
    [
      "grant_type=refresh_token&refresh_token=rt-1",
      "grant_type=refresh_token&refresh_token=***",
    ],
  ];
  for (const [input, want] of table) equal(redact(input), want, input);
});

Deno.test("redact: ordinary words and references stay", () => {
  clearRegisteredSecrets();
  for (
    const text of [
      "registry asked for Basic auth",
      "Bearer token response is not JSON",
      "r.test/repo:v1@sha256:" + "a".repeat(64),
      'GET "http://127.0.0.1:5000/v2/a/manifests/v1": response status code 404',
      "listing tags for 127.0.0.1:5000/plugins/base: not found",
      "tag v1.2.3: ok",
    ]
  ) {
    equal(redact(text), text);
  }
});

Deno.test("redact: registered secrets, their encoded forms, extras", () => {
  clearRegisteredSecrets();
  registerSecret("pa$$ word-1");
  equal(redact("x pa$$ word-1 y"), "x *** y");
  equal(redact("x pa%24%24%20word-1 y"), "x *** y");
  registerCredential({ username: "klaus", password: "hunter2-pw" });
  equal(redact(`b64 ${btoa("klaus:hunter2-pw")} end`), "b64 *** end");
  registerCredential({ refreshToken: "rt-identity-1" });
  equal(redact("refresh rt-identity-1"), "refresh ***");
  equal(redact("abc", ["abc"]), "abc", "too short to be worth scrubbing");
  equal(redact("extra-secret here", ["extra-secret"]), "*** here");
  // Longest first: a secret inside another is not left half-visible.
  registerSecret("aaaa");
  registerSecret("xxaaaaxx");
  equal(redact("xxaaaaxx"), "***");
  clearRegisteredSecrets();
  equal(redact("hunter2-pw"), "hunter2-pw");
});

Deno.test("redact: every loaded credential source registers its secrets", async () => {
  clearRegisteredSecrets();
  const env = {
    AUTH: btoa(JSON.stringify({
      auths: { "other.test": { auth: btoa("u:env-secret-1") } },
    })),
  };
  await resolveCredential("r.test", { registryAuthEnv: "AUTH", env });
  equal(redact("env-secret-1"), "***");

  lookupDockerConfig({
    auths: {
      "a.test": { auth: btoa("u:file-secret-1") },
      "b.test": { identitytoken: "identity-secret-1" },
      "c.test": { password: "plain-secret-1" },
    },
  }, "a.test");
  for (const s of ["file-secret-1", "identity-secret-1", "plain-secret-1"]) {
    equal(redact(s), "***", s);
  }

  new TokenCache().set("r.test", [], "access-token-secret-1", 60);
  equal(redact("access-token-secret-1"), "***");

  registerUserInfoSecrets("me:ref-secret-1@r.test/repo:v1");
  equal(redact("said ref-secret-1"), "said ***");

  // The library's own errors are redacted where they leave an operation.
  const e = wrapError("describing", new NotFoundError("echo file-secret-1"));
  equal(e.message, "describing: echo ***");
  ok(e instanceof NotFoundError);
  clearRegisteredSecrets();
});

Deno.test("secretsOfDockerConfig: every secret of every entry", () => {
  const config = btoa(JSON.stringify({
    auths: {
      "r.example": { auth: btoa("user:hunter22") },
      "t.example": { auth: btoa("<token>:"), identitytoken: "refresh-xyz" },
      "p.example": { username: "u", password: "plainpass" },
    },
  }));
  const secrets = secretsOfDockerConfig(config);
  for (
    const s of [
      "hunter22",
      btoa("user:hunter22"),
      "refresh-xyz",
      "plainpass",
      config,
    ]
  ) {
    ok(secrets.includes(s), s);
  }
  deepStrictEqual(secretsOfDockerConfig(undefined), []);
  deepStrictEqual(secretsOfDockerConfig("not base64 json"), [
    "not base64 json",
  ]);
  clearRegisteredSecrets();
  registerDockerConfigSecrets(config);
  equal(
    redact("failed with hunter22 and refresh-xyz"),
    "failed with *** and ***",
  );
  clearRegisteredSecrets();
});

Deno.test("untrustedText: one bounded, redacted line", () => {
  clearRegisteredSecrets();
  equal(
    untrustedText(
      "denied\r\nerror: forged\x1b[31m Authorization=Basic dTpwYXNz",
    ),
    "denied error: forged [31m Authorization=Basic ***",
  );
  equal(untrustedText("a\u202eb\u2028c"), "a b c");
  const long = untrustedText("x".repeat(100_000));
  equal(long.length, MAX_UNTRUSTED_CHARS + 1);
  ok(long.endsWith("…"));
  // A secret across the cut is redacted before cutting, never half shown.
  registerSecret("SECRET-AT-THE-EDGE");
  const edge = untrustedText("y".repeat(500) + "SECRET-AT-THE-EDGE");
  ok(!edge.includes("SECRET-AT"), edge);
  clearRegisteredSecrets();
});

Deno.test("displayText keeps lines, drops terminal controls", () => {
  equal(displayText("a\nb\tc\x1b[2J\x07d"), "a\nb\tc[2Jd");
  equal(clip("ab\u{1F600}", 3), "ab…");
});
