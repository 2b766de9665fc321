/**
 * Keyless bundles anchored as current sigstore clients anchor them with a
 * signing config — an RFC 3161 timestamp from a timestamp authority and a
 * Rekor v2 entry (inclusion proof and checkpoint, no SET, no time) — made
 * by `@sigstore/sign` (TSAWitness, RekorWitness v2) against the local
 * sigstore services (mock TSA, Rekor v2 as rekor-tiles writes it): they
 * verify, and so do TSA + Rekor v1 bundles; each altered or mis-anchored
 * one is refused with its reason, and `@sigstore/verify` (through
 * `@sigstore/cli verify`, default thresholds: one tlog entry, one verified
 * time) agrees on every case it can judge.
 *
 * Policy, as @sigstore/verify's defaults (tlogThreshold 1,
 * timestampThreshold 1): a bundle needs at least one transparency log
 * entry (a timestamp alone does not do) and at least one verified signing
 * time (a timestamp's genTime or a Rekor v1 SET's integratedTime); the
 * certificate must be valid at each verified time.
 */
import { equal, ok } from "node:assert/strict";
import { readTime, TAG_GENERALIZED_TIME } from "../../src/sign/asn1.ts";
import { bufferOf, encodeBase64 } from "../../src/sign/keys.ts";
import { parseTimestamp } from "../../src/sign/timestamp.ts";
import {
  type PolicyInput,
  preparePolicy,
  verifyBundle,
} from "../../src/sign/verify_bundle.ts";
import {
  type AnchorOptions,
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
const stamps = (b: Bundle) =>
  b.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
const entry = (b: Bundle) => b.verificationMaterial.tlogEntries[0];

/** Flips a byte of the timestamp at `offset(der)`. */
function editStamp(b: Bundle, offset: (der: Uint8Array) => number): void {
  const der = b64decode(stamps(b)[0].signedTimestamp);
  der[offset(der)] ^= 0x01;
  stamps(b)[0].signedTimestamp = encodeBase64(der);
}

/** Bytes as text, one character each (indices stay byte offsets). */
function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Where `part` (a view into `der`) starts. */
function at(der: Uint8Array, part: Uint8Array): number {
  return part.byteOffset - der.byteOffset;
}

function editBody(b: Bundle, edit: (body: Bundle) => void): void {
  const e = entry(b);
  const body = JSON.parse(
    new TextDecoder().decode(b64decode(e.canonicalizedBody)),
  );
  edit(body);
  e.canonicalizedBody = encodeBase64(
    new TextEncoder().encode(JSON.stringify(body)),
  );
}

interface Case {
  name: string;
  bundle: () => Promise<Bundle>;
  root?: (root: Bundle) => void;
  want: { verified: true } | { reason: string; detail: RegExp };
  /** Whether @sigstore/cli can judge it (it reads the services' own root). */
  crossCheck?: boolean;
}

function crossCheck(
  s: SigstoreServices,
  bundle: Bundle,
): Promise<{ ok: boolean; stderr: string }> {
  return referenceVerdict(s, bundle);
}

Deno.test({
  name:
    "RFC 3161 timestamps and Rekor v2 entries anchor keyless bundles; each mis-anchored or altered one is refused with its reason, as @sigstore/verify refuses it",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: async (t) => {
    const s = await startSigstoreServices();
    try {
      const blob = (anchors: AnchorOptions) => () =>
        s.signBlob(MANIFEST, SUBJECT, anchors).then((text) => JSON.parse(text));
      const attest = (anchors: AnchorOptions) => () =>
        s.attest(statement(DIGEST.slice(7)), SUBJECT, anchors).then((
          text,
        ) => JSON.parse(text));
      const modern = blob({ tsa: true, rekor: "v2" });
      const altered = (
        make: () => Promise<Bundle>,
        edit: (b: Bundle) => void | Promise<void>,
      ) =>
      async () => {
        const b = await make();
        await edit(b);
        return b;
      };
      const badCmsSignature = (make: () => Promise<Bundle>) =>
        altered(make, (b) =>
          editStamp(b, (der) => {
            const ts = parseTimestamp(der);
            return at(der, ts.signature) + 10;
          }));
      const cases: Case[] = [
        {
          name: "TSA + Rekor v2, message signature",
          bundle: modern,
          want: { verified: true },
        },
        {
          name: "TSA + Rekor v2, DSSE statement",
          bundle: attest({ tsa: true, rekor: "v2" }),
          want: { verified: true },
        },
        {
          name: "TSA + Rekor v1, message signature",
          bundle: blob({ tsa: true, rekor: "v1" }),
          want: { verified: true },
        },
        {
          name: "TSA + Rekor v1, DSSE statement (intoto)",
          bundle: attest({ tsa: true, rekor: "v1" }),
          want: { verified: true },
        },
        {
          name: "RSA 2048 TSA (PKCS#1 v1.5) + Rekor v2",
          bundle: blob({ tsa: "rsa", rekor: "v2" }),
          want: { verified: true },
        },
        {
          name: "Ed25519 TSA + Rekor v2",
          bundle: blob({ tsa: "ed25519", rekor: "v2" }),
          want: { verified: true },
        },
        {
          name: "RSA TSA, tampered CMS signature",
          bundle: badCmsSignature(blob({ tsa: "rsa", rekor: "v2" })),
          want: { reason: "untrusted", detail: /signature does not verify/ },
        },
        {
          name: "Ed25519 TSA, tampered CMS signature",
          bundle: badCmsSignature(blob({ tsa: "ed25519", rekor: "v2" })),
          want: { reason: "untrusted", detail: /signature does not verify/ },
        },
        {
          name: "TSA only, no transparency log entry (tlog threshold 1)",
          bundle: blob({ tsa: true, rekor: "none" }),
          want: {
            reason: "untrusted",
            detail: /no transparency log entry/,
          },
        },
        {
          name: "Rekor v2 only, no timestamp: no verified time",
          bundle: blob({ rekor: "v2" }),
          want: { reason: "untrusted", detail: /no verified signing time/ },
        },
        {
          name: "timestamp over another signature (imprint)",
          bundle: altered(modern, async (b) => {
            const other = await modern();
            b.verificationMaterial.timestampVerificationData =
              other.verificationMaterial.timestampVerificationData;
          }),
          want: { reason: "tampered", detail: /message imprint/ },
        },
        {
          name: "TSA certificate from another CA",
          bundle: blob({ tsa: "other-ca", rekor: "v2" }),
          want: {
            reason: "untrusted",
            // The mock TSAs share names: the ESS attribute tells them apart.
            detail: /timestamp.*(another certificate|does not verify)/,
          },
        },
        {
          name: "tampered TSTInfo (nonce)",
          bundle: altered(modern, (b) =>
            editStamp(b, (der) => {
              const ts = parseTimestamp(der);
              return at(der, ts.tstInfo) + ts.tstInfo.length - 1;
            })),
          want: { reason: "tampered", detail: /TSTInfo/ },
        },
        {
          name: "tampered TSTInfo (genTime)",
          bundle: altered(modern, (b) =>
            editStamp(b, (der) => {
              const ts = parseTimestamp(der);
              // The minutes' last digit of YYYYMMDDhhmm…
              const text = latin1(ts.tstInfo);
              return at(der, ts.tstInfo) + text.search(/\d{14}/) + 11;
            })),
          want: { reason: "tampered", detail: /TSTInfo/ },
        },
        {
          name: "tampered CMS signature",
          bundle: badCmsSignature(modern),
          want: { reason: "untrusted", detail: /signature does not verify/ },
        },
        {
          name: "tampered signed attributes (signingTime)",
          bundle: altered(modern, (b) =>
            editStamp(b, (der) => {
              // signingTime's UTCTime (the only one): a digit of its seconds.
              // UTCTime tag 0x17, length 13.
              const found = latin1(der).search(
                new RegExp(String.fromCharCode(0x17, 0x0d) + "\\d{12}Z"),
              );
              ok(found > 0);
              return found + 2 + 11;
            })),
          want: { reason: "untrusted", detail: /signature does not verify/ },
        },
        {
          name: "not a timestamp",
          bundle: altered(modern, (b) => {
            stamps(b)[0].signedTimestamp = encodeBase64(
              b64decode(stamps(b)[0].signedTimestamp).subarray(0, 40),
            );
          }),
          want: { reason: "tampered", detail: /malformed/ },
        },
        {
          name: "genTime after the certificate expired (TSA + Rekor v2)",
          bundle: blob({ tsa: "late", rekor: "v2" }),
          want: {
            reason: "untrusted",
            detail: /signing certificate was not valid at the signing time/,
          },
        },
        {
          name:
            "genTime after the certificate expired, though valid at the Rekor v1 time",
          bundle: blob({ tsa: "late", rekor: "v1" }),
          want: {
            reason: "untrusted",
            detail: /signing certificate was not valid at the signing time/,
          },
        },
        {
          name: "Rekor v2: wrong inclusion path",
          bundle: altered(modern, (b) => {
            const proof = entry(b).inclusionProof;
            proof.hashes = proof.hashes.map((h: string) => flipBase64(h, 3));
          }),
          want: { reason: "untrusted", detail: /inclusion proof/ },
        },
        {
          name: "Rekor v2: inclusion path of another index",
          bundle: altered(modern, (b) => {
            const proof = entry(b).inclusionProof;
            proof.logIndex = String(Number(proof.logIndex) - 1);
          }),
          want: { reason: "untrusted", detail: /inclusion proof/ },
        },
        {
          name: "Rekor v2: checkpoint signed by no log key",
          bundle: altered(modern, (b) => {
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
          name: "Rekor v2: checkpoint of another tree (root)",
          bundle: altered(modern, (b) => {
            const proof = entry(b).inclusionProof;
            const lines = proof.checkpoint.envelope.split("\n");
            lines[2] = encodeBase64(new Uint8Array(32));
            proof.checkpoint.envelope = lines.join("\n");
          }),
          want: { reason: "untrusted", detail: /checkpoint/ },
        },
        {
          name: "Rekor v2: body records another digest",
          bundle: altered(modern, (b) =>
            editBody(b, (body) => {
              body.spec.hashedRekordV002.data.digest = encodeBase64(
                new Uint8Array(32),
              );
            })),
          want: { reason: "tampered", detail: /digest/ },
        },
        {
          name: "Rekor v2: body records another certificate",
          bundle: altered(modern, (b) =>
            editBody(b, (body) => {
              body.spec.hashedRekordV002.signature.verifier.x509Certificate
                .rawBytes = encodeBase64(new TextEncoder().encode("x"));
            })),
          want: { reason: "tampered", detail: /certificate/ },
          // @sigstore/verify compares only the signature and the digest
          // (the altered body fails its proof anyway: both refuse).
        },
        {
          name: "a trusted root without timestamp authorities",
          bundle: modern,
          root: (r) => {
            r.timestampAuthorities = [];
          },
          want: { reason: "untrusted", detail: /no timestamp authority/ },
          crossCheck: false,
        },
        {
          name: "a timestamp authority no longer valid at genTime",
          bundle: modern,
          root: (r) => {
            for (const tsa of r.timestampAuthorities) {
              tsa.validFor.end = new Date(Date.now() - 60_000).toISOString();
            }
          },
          want: {
            reason: "untrusted",
            detail: /no timestamp authority of the trusted root was valid/,
          },
          crossCheck: false,
        },
        {
          name: "a trusted root without the Rekor v2 log",
          bundle: modern,
          root: (r) => {
            r.tlogs = r.tlogs.filter((l: Bundle) => !l.checkpointKeyId);
          },
          want: { reason: "untrusted", detail: /not in the trusted root/ },
          crossCheck: false,
        },
      ];
      for (const c of cases) {
        await t.step(c.name, async () => {
          const bundle = await c.bundle();
          const root = JSON.parse(s.trustedRoot);
          c.root?.(root);
          const policy: PolicyInput = {
            trustedRoot: root,
            certificateIdentity: SUBJECT,
            certificateOidcIssuer: TEST_ISSUER,
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
            ok(
              c.want.detail.test(verdict.detail ?? ""),
              `detail: ${verdict.detail}`,
            );
            equal(verdict.identity, SUBJECT);
          }
          if (c.crossCheck !== false) {
            const cli = await crossCheck(s, bundle);
            equal(
              cli.ok,
              verdict.verified,
              `@sigstore/verify disagrees: ${cli.stderr.slice(-600)}`,
            );
          }
        });
      }
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "a timestamp's parts: genTime, imprint over the signature, the signer named by issuer and serial",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: async () => {
    const s = await startSigstoreServices();
    try {
      const before = Date.now();
      const b = JSON.parse(
        await s.signBlob(MANIFEST, SUBJECT, { tsa: true, rekor: "v2" }),
      );
      const ts = parseTimestamp(b64decode(stamps(b)[0].signedTimestamp));
      ok(Math.abs(ts.genTime.getTime() - before) < 60_000);
      equal(ts.imprint.hash, "SHA-256");
      const sig = b64decode(b.messageSignature.signature);
      equal(
        encodeBase64(ts.imprint.digest),
        encodeBase64(
          new Uint8Array(await crypto.subtle.digest("SHA-256", bufferOf(sig))),
        ),
      );
      ok(ts.signer.issuer && ts.signer.serialNumber !== undefined);
      equal(ts.digestAlgorithm, "SHA-256");
      equal(ts.essCertHash?.hash, "SHA-256");
      // A Rekor v2 entry carries no time and no promise.
      equal(entry(b).inclusionPromise, undefined);
      equal(entry(b).kindVersion.version, "0.0.2");
    } finally {
      await s.close();
    }
  },
});

Deno.test('genTime fractions: DER drops trailing zeros (".43" is 430 ms), which @sigstore/core 4.0.1 cannot read', () => {
  const time = (text: string) =>
    readTime({
      tag: TAG_GENERALIZED_TIME,
      raw: new Uint8Array(),
      content: new TextEncoder().encode(text),
    }).toISOString();
  equal(time("20261206062412.43Z"), "2026-12-06T06:24:12.430Z");
  equal(time("20261206062412.431Z"), "2026-12-06T06:24:12.431Z");
  equal(time("20261206062412.4319Z"), "2026-12-06T06:24:12.431Z");
  equal(time("20261206062412Z"), "2026-12-06T06:24:12.000Z");
});
