/**
 * Keyless bundles whose certificates a live service cannot be made to
 * issue on demand, recorded once from `@sigstore/mock` with its clocks set
 * (testdata/keyless_clock.json, each with `@sigstore/verify`'s verdict at
 * the time): a certificate that had expired when the log recorded the
 * signature, and one without SCTs. Times are those of the log, so the
 * recorded bundles keep their verdicts.
 */
import { equal, ok } from "node:assert/strict";
import { digestOf } from "../../src/oci/digest.ts";
import { preparePolicy, verifyBundle } from "../../src/sign/verify_bundle.ts";

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    new URL("testdata/keyless_clock.json", import.meta.url),
  ),
);
const MANIFEST = Uint8Array.from(
  atob(FIXTURE.manifest),
  (c) => c.charCodeAt(0),
);

async function verdictOf(
  name: string,
  root: Record<string, unknown> = FIXTURE.cases[name].trustedRoot,
) {
  return await verifyBundle(
    new TextEncoder().encode(JSON.stringify(FIXTURE.cases[name].bundle)),
    digestOf(MANIFEST),
    MANIFEST,
    await preparePolicy({
      trustedRoot: root,
      certificateIdentity: FIXTURE.subject,
      certificateOidcIssuer: FIXTURE.issuer,
    }),
  );
}

Deno.test("recorded keyless bundles keep their verdicts", async (t) => {
  const cases = [
    { name: "good", verified: true },
    {
      name: "expiredAtSigning",
      reason: "untrusted",
      detail: /not valid at the signing time/,
    },
    {
      name: "noSct",
      reason: "untrusted",
      detail: /no signed certificate timestamp/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const v = await verdictOf(c.name);
      equal(v.verified, c.verified ?? false, v.detail);
      // @sigstore/verify judged it the same way when it was recorded.
      equal(FIXTURE.cases[c.name].sigstoreVerify === "ok", v.verified);
      equal(v.identity, FIXTURE.subject);
      equal(v.issuer, FIXTURE.issuer);
      if (c.reason) {
        equal(v.reason, c.reason);
        ok(c.detail!.test(v.detail ?? ""), v.detail);
      }
    });
  }
  await t.step(
    "SCTs are required only when the trusted root has CT logs",
    async () => {
      const root = { ...FIXTURE.cases.noSct.trustedRoot, ctlogs: [] };
      equal((await verdictOf("noSct", root)).verified, true);
    },
  );
  await t.step("a CT log key that did not sign the SCT", async () => {
    const good = FIXTURE.cases.good.trustedRoot;
    const root = {
      ...good,
      ctlogs: [{
        ...good.ctlogs[0],
        publicKey: FIXTURE.cases.noSct.trustedRoot.tlogs[0].publicKey,
      }],
    };
    const v = await verdictOf("good", root);
    equal(v.reason, "untrusted");
    ok(/certificate timestamp/.test(v.detail ?? ""), v.detail);
  });
  await t.step("a CA not yet valid at the signing time", async () => {
    const good = FIXTURE.cases.good.trustedRoot;
    const root = {
      ...good,
      certificateAuthorities: [{
        ...good.certificateAuthorities[0],
        validFor: { start: "2999-01-01T00:00:00Z" },
      }],
    };
    const v = await verdictOf("good", root);
    equal(v.reason, "untrusted");
    ok(/no certificate authority/.test(v.detail ?? ""), v.detail);
  });
});
