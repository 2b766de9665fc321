/**
 * Keyless (certificate) bundles made by `@sigstore/sign` against local
 * sigstore services (mock Fulcio with a CT log, Rekor): the real ones
 * verify, each altered one is refused with its reason — and
 * `@sigstore/verify` (through `@sigstore/cli verify`) agrees on every
 * case it can judge.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { SignatureError } from "../../src/errors.ts";
import { encodeBase64 } from "../../src/sign/keys.ts";
import {
  type PolicyInput,
  preparePolicy,
  verifyBundle,
} from "../../src/sign/verify_bundle.ts";
import {
  missingSigstore,
  type SigstoreServices,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";

import {
  b64decode,
  type Bundle,
  DIGEST,
  flipBase64,
  MANIFEST,
  referenceVerdict,
  statement,
} from "./_keyless_helpers.ts";

const SUBJECT = TEST_SUBJECT;
function editBody(bundle: Bundle, edit: (body: Bundle) => void): void {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  const body = JSON.parse(
    new TextDecoder().decode(b64decode(entry.canonicalizedBody)),
  );
  edit(body);
  entry.canonicalizedBody = encodeBase64(
    new TextEncoder().encode(JSON.stringify(body)),
  );
}

interface Case {
  name: string;
  bundle: () => Promise<Bundle>;
  policy?: Partial<PolicyInput>;
  root?: () => string;
  want: { verified: true } | { reason: string; detail?: RegExp };
  /** Whether @sigstore/verify judges it the same way (it does not check the artifact digest of a DSSE statement). */
  crossCheck?: boolean;
}

async function crossCheck(
  s: SigstoreServices,
  bundle: Bundle,
  policy: PolicyInput,
): Promise<boolean> {
  return (await referenceVerdict(
    s,
    bundle,
    policy.certificateIdentity!,
    policy.certificateOidcIssuer!,
  )).ok;
}

Deno.test({
  name:
    "keyless bundles from @sigstore/sign verify; each alteration is refused with its reason, as @sigstore/verify refuses it",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: async (t) => {
    const s = await startSigstoreServices();
    const other = await startSigstoreServices();
    try {
      const blob = () =>
        s.signBlob(MANIFEST, SUBJECT).then((text) => JSON.parse(text));
      const attest = (hex = DIGEST.slice(7)) =>
        s.attest(statement(hex), SUBJECT).then((text) => JSON.parse(text));
      const altered = (
        make: () => Promise<Bundle>,
        edit: (b: Bundle) => void,
      ) =>
      async () => {
        const b = await make();
        edit(b);
        return b;
      };
      const entry = (b: Bundle) => b.verificationMaterial.tlogEntries[0];
      const cases: Case[] = [
        { name: "message signature", bundle: blob, want: { verified: true } },
        { name: "DSSE statement", bundle: attest, want: { verified: true } },
        {
          name: "identity and issuer by regular expression",
          bundle: blob,
          policy: {
            certificateIdentity: undefined,
            certificateOidcIssuer: undefined,
            certificateIdentityRegExp:
              "https://github\\.com/klaus/.*@refs/heads/main",
            certificateOidcIssuerRegExp: "https://token\\.actions\\..*",
          },
          want: { verified: true },
          crossCheck: false,
        },
        {
          name: "a regular expression matches the whole identity",
          bundle: blob,
          policy: { certificateIdentityRegExp: "https://github\\.com/klaus" },
          want: { reason: "wrong-identity" },
          crossCheck: false,
        },
        {
          name: "another identity",
          bundle: blob,
          policy: { certificateIdentity: "https://example.com/other" },
          want: {
            reason: "wrong-identity",
            detail:
              /none of the expected identities matched what was in the certificate, got subjects \[https:\/\/github\.com\/klaus\/ci\/.*\] with issuer https:\/\/token\.actions\.example/,
          },
        },
        {
          name: "another issuer",
          bundle: blob,
          policy: { certificateOidcIssuer: "https://accounts.example.com" },
          want: { reason: "wrong-identity" },
        },
        {
          name: "a certificate from another CA (and log)",
          bundle: () =>
            other.signBlob(MANIFEST, SUBJECT).then((t) => JSON.parse(t)),
          want: { reason: "untrusted" },
        },
        {
          name: "another trusted root",
          bundle: blob,
          root: () => other.trustedRoot,
          want: { reason: "untrusted" },
          crossCheck: false,
        },
        {
          name: "tampered message signature",
          bundle: altered(blob, (b) => {
            b.messageSignature.signature = flipBase64(
              b.messageSignature.signature,
              20,
            );
          }),
          want: { reason: "tampered" },
        },
        {
          name: "tampered DSSE signature",
          bundle: altered(attest, (b) => {
            b.dsseEnvelope.signatures[0].sig = flipBase64(
              b.dsseEnvelope.signatures[0].sig,
              20,
            );
          }),
          want: { reason: "tampered" },
        },
        {
          name: "tampered log body (another digest recorded)",
          bundle: altered(blob, (b) =>
            editBody(b, (body) => {
              body.spec.data.hash.value = "00".repeat(32);
            })),
          want: { reason: "tampered" },
        },
        {
          name: "tampered log body (another certificate recorded)",
          bundle: altered(blob, (b) =>
            editBody(b, (body) => {
              body.spec.signature.publicKey.content = encodeBase64(
                new TextEncoder().encode("not a certificate"),
              );
            })),
          want: { reason: "tampered" },
          // @sigstore/verify compares only the signature and the digest.
          crossCheck: false,
        },
        {
          name: "tampered inclusion promise (SET)",
          bundle: altered(blob, (b) => {
            entry(b).inclusionPromise.signedEntryTimestamp = flipBase64(
              entry(b).inclusionPromise.signedEntryTimestamp,
              20,
            );
          }),
          want: { reason: "untrusted", detail: /SET/ },
        },
        {
          name: "tampered integrated time",
          bundle: altered(blob, (b) => {
            entry(b).integratedTime = String(
              Number(entry(b).integratedTime) - 1,
            );
          }),
          want: { reason: "untrusted" },
        },
        {
          name: "tampered checkpoint root",
          bundle: altered(blob, (b) => {
            const proof = entry(b).inclusionProof;
            const lines = proof.checkpoint.envelope.split("\n");
            lines[2] = encodeBase64(new Uint8Array(32));
            proof.checkpoint.envelope = lines.join("\n");
          }),
          want: { reason: "untrusted", detail: /checkpoint/ },
        },
        {
          name: "checkpoint signed by no log key",
          bundle: altered(blob, (b) => {
            const proof = entry(b).inclusionProof;
            proof.checkpoint.envelope = proof.checkpoint.envelope.replace(
              /(\u2014 \S+ )(\S+)/,
              (_: string, head: string, sig: string) =>
                head + flipBase64(sig, 12),
            );
          }),
          want: { reason: "untrusted", detail: /checkpoint/ },
        },
        {
          name: "wrong inclusion path",
          bundle: altered(blob, (b) => {
            entry(b).inclusionProof.hashes = [
              encodeBase64(new Uint8Array(32)),
            ];
          }),
          want: { reason: "untrusted", detail: /inclusion proof/ },
        },
        {
          name: "a statement for another digest",
          bundle: () => attest("00".repeat(32)),
          want: { reason: "other-digest" },
          // The statement itself is sound: only we bind it to the manifest.
          crossCheck: false,
        },
        {
          name: "a message signature for another digest",
          bundle: () =>
            s.signBlob(new TextEncoder().encode("other"), SUBJECT).then((t) =>
              JSON.parse(t)
            ),
          want: { reason: "other-digest" },
        },
        {
          name: "no trusted root in the policy",
          bundle: blob,
          policy: {
            trustedRoot: undefined,
            certificateIdentity: undefined,
            certificateOidcIssuer: undefined,
          },
          want: { reason: "untrusted" },
          crossCheck: false,
        },
      ];
      for (const c of cases) {
        await t.step(c.name, async () => {
          const bundle = await c.bundle();
          const policy: PolicyInput = {
            trustedRoot: c.root ? c.root() : s.trustedRoot,
            certificateIdentity: SUBJECT,
            certificateOidcIssuer: TEST_ISSUER,
            ...c.policy,
          };
          const verdict = await verifyBundle(
            new TextEncoder().encode(JSON.stringify(bundle)),
            DIGEST,
            MANIFEST,
            await preparePolicy(policy),
          );
          if ("verified" in c.want) {
            equal(verdict.verified, true, verdict.detail);
            equal(verdict.identity, SUBJECT);
            equal(verdict.issuer, TEST_ISSUER);
            ok(Number.isInteger(verdict.tlogIndex));
          } else {
            equal(verdict.verified, false);
            equal(verdict.reason, c.want.reason, verdict.detail);
            if (c.want.detail) ok(c.want.detail.test(verdict.detail ?? ""));
            // The certificate still says who signed.
            equal(verdict.identity, SUBJECT);
          }
          if (c.crossCheck !== false) {
            equal(
              await crossCheck(s, bundle, policy),
              verdict.verified,
              "@sigstore/verify disagrees",
            );
          }
        });
      }
    } finally {
      await other.close();
      await s.close();
    }
  },
});

Deno.test("a trusted root without an identity and an issuer is a usage error", async () => {
  const root = JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  });
  for (
    const policy of [
      { trustedRoot: root },
      { trustedRoot: root, certificateIdentity: SUBJECT },
      { trustedRoot: root, certificateOidcIssuerRegExp: ".*" },
      {
        trustedRoot: root,
        certificateIdentityRegExp: "(",
        certificateOidcIssuer: TEST_ISSUER,
      },
    ]
  ) {
    await rejects(() => preparePolicy(policy), TypeError);
  }
  await rejects(
    () =>
      preparePolicy({
        trustedRoot: "{",
        certificateIdentity: SUBJECT,
        certificateOidcIssuer: TEST_ISSUER,
      }),
    (e) => e instanceof SignatureError && /trusted root/.test(e.message),
  );
});
