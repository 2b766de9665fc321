/**
 * The DER reader on hand-made elements (lengths, OIDs, integers, times,
 * malformed input), and X.509 parsing of a Fulcio certificate and its CA
 * (recorded from @sigstore/mock): names, validity, extensions, the
 * precertificate TBS rebuilt without the SCT list.
 */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { SignatureError } from "../../src/errors.ts";
import {
  children,
  encodeDer,
  parseDer,
  readInteger,
  readOid,
  readTime,
} from "../../src/sign/asn1.ts";
import { parseSctList, precertificateTbs } from "../../src/sign/sct.ts";
import { parseTrustedRoot } from "../../src/sign/trusted_root.ts";
import {
  OID_SCT_LIST,
  parseCertificate,
  verifyCertificateSignature,
} from "../../src/sign/x509.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);

Deno.test("DER: values and malformed input", async (t) => {
  const values = [
    {
      name: "OID",
      der: bytes(6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02),
      read: readOid,
      want: "1.2.840.10045.4.3.2",
    },
    {
      name: "OID with arc 2",
      der: bytes(6, 3, 0x88, 0x37, 0x03),
      read: readOid,
      want: "2.999.3",
    },
    {
      name: "INTEGER",
      der: bytes(2, 2, 0x00, 0xff),
      read: readInteger,
      want: 255n,
    },
    {
      name: "negative INTEGER",
      der: bytes(2, 1, 0xff),
      read: readInteger,
      want: -1n,
    },
    {
      name: "UTCTime 19xx",
      der: encodeDer(0x17, new TextEncoder().encode("991231235959Z")),
      read: readTime,
      want: new Date("1999-12-31T23:59:59Z"),
    },
    {
      name: "UTCTime 20xx",
      der: encodeDer(0x17, new TextEncoder().encode("260101000000Z")),
      read: readTime,
      want: new Date("2026-01-01T00:00:00Z"),
    },
    {
      name: "GeneralizedTime",
      der: encodeDer(0x18, new TextEncoder().encode("20500101000000Z")),
      read: readTime,
      want: new Date("2050-01-01T00:00:00Z"),
    },
  ];
  for (const v of values) {
    await t.step(v.name, () => {
      deepStrictEqual(
        (v.read as (n: unknown) => unknown)(parseDer(v.der)),
        v.want,
      );
    });
  }
  await t.step("long-form lengths round-trip", () => {
    const content = new Uint8Array(300).fill(7);
    const der = encodeDer(0x04, content);
    deepStrictEqual(Array.from(der.subarray(0, 4)), [0x04, 0x82, 0x01, 0x2c]);
    deepStrictEqual(parseDer(der).content, content);
  });
  const malformed = [
    { name: "truncated", der: bytes(0x30, 5, 1, 2) },
    { name: "trailing bytes", der: bytes(5, 0, 0) },
    { name: "indefinite length", der: bytes(0x30, 0x80, 0, 0) },
    { name: "child longer than parent", der: bytes(0x30, 2, 4, 5) },
  ];
  for (const m of malformed) {
    await t.step(`refused: ${m.name}`, () => {
      throws(() => children(parseDer(m.der)), SignatureError);
    });
  }
});

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    new URL("testdata/keyless_clock.json", import.meta.url),
  ),
);
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

Deno.test("X.509: a Fulcio certificate and its CA", async () => {
  const good = FIXTURE.cases.good;
  const leaf = parseCertificate(
    b64(
      good.bundle.verificationMaterial.x509CertificateChain.certificates[0]
        .rawBytes,
    ),
  );
  const root = parseTrustedRoot(good.trustedRoot).certificateAuthorities[0]
    .certChain[0];
  deepStrictEqual(leaf.subjectAltNames, [{
    type: "uri",
    value: FIXTURE.subject,
  }]);
  equal(leaf.oidcIssuer, FIXTURE.issuer);
  equal(leaf.notAfter.getTime() - leaf.notBefore.getTime(), 10 * 60 * 1000);
  deepStrictEqual(leaf.extKeyUsage, ["1.3.6.1.5.5.7.3.3"]);
  equal(leaf.publicKey?.curve, "P-256");
  equal(leaf.basicConstraints, undefined);
  deepStrictEqual(root.basicConstraints, { ca: true, pathLength: undefined });
  deepStrictEqual(leaf.authorityKeyId, root.subjectKeyId);
  deepStrictEqual(leaf.issuer, root.subject);
  ok(await verifyCertificateSignature(leaf, root.publicKey!));
  ok(!await verifyCertificateSignature(root, leaf.publicKey!));
  // The precertificate: the same TBS without the SCT extension.
  const tbs = parseDer(precertificateTbs(leaf));
  equal(tbs.raw.length < leaf.tbs.raw.length, true);
  const sctExt = leaf.extensions.find((e) => e.oid === OID_SCT_LIST)!;
  equal(parseSctList(sctExt.value).length, 1);
  equal(leaf.tbs.raw.length - tbs.raw.length, sctExt.raw.length);
  // A flipped bit in the certificate breaks its signature.
  const der = leaf.der.slice();
  der[leaf.der.length - 70] ^= 1;
  ok(!await verifyCertificateSignature(parseCertificate(der), root.publicKey!));
  throws(() => parseCertificate(der.subarray(0, 100)), SignatureError);
});

Deno.test("trusted root: malformed input is refused naming the field", () => {
  const cases = [
    { input: "[", want: /not JSON/ },
    { input: { mediaType: "application/json" }, want: /media type/ },
    {
      input: {
        tlogs: [{ publicKey: { rawBytes: "!!" }, logId: { keyId: "AA==" } }],
      },
      want: /tlogs\[0\]\.publicKey\.rawBytes/,
    },
    {
      input: { certificateAuthorities: [{ certChain: { certificates: [] } }] },
      want: /no certificates/,
    },
    {
      input: {
        certificateAuthorities: [{
          certChain: { certificates: [{ rawBytes: "AAAA" }] },
        }],
      },
      want: /certificates\[0\]/,
    },
    { input: { ctlogs: {} }, want: /ctlogs is not an array/ },
  ];
  for (const c of cases) {
    throws(
      () => parseTrustedRoot(c.input as string),
      (e) => e instanceof SignatureError && c.want.test(e.message),
    );
  }
  // Unknown fields are ignored.
  equal(
    parseTrustedRoot({ ...FIXTURE.cases.good.trustedRoot, future: 1 }).tlogs
      .length,
    1,
  );
});
