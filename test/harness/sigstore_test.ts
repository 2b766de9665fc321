// The sigstore peers themselves: the reference signer's bundles made with
// the local services verify with the reference CLI through the local TUF
// repository, and the CLI refuses another identity. If this fails, the
// signing interop tests cannot be trusted.
import { equal, match, notEqual } from "node:assert/strict";
import {
  missingSigstore,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "./sigstore.ts";

const SUBJECT = TEST_SUBJECT;

Deno.test({
  name:
    "sigstore peers: reference bundles verify with the reference CLI, other identities do not",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: async () => {
    const s = await startSigstoreServices();
    try {
      const blob = new TextEncoder().encode("klaus\n");
      await Deno.writeFile(`${s.dir}/blob`, blob);
      const cases = [
        { kind: "blob", bundle: await s.signBlob(blob, SUBJECT), blob: true },
        {
          kind: "dsse",
          bundle: await s.attest(
            new TextEncoder().encode(JSON.stringify({
              _type: "https://in-toto.io/Statement/v1",
              subject: [{ name: "blob", digest: { sha256: "00".repeat(32) } }],
              predicateType: "https://example.com/p",
              predicate: {},
            })),
            SUBJECT,
          ),
          blob: false,
        },
      ];
      for (const c of cases) {
        await Deno.writeTextFile(`${s.dir}/${c.kind}.json`, c.bundle);
        const base = [
          "verify",
          `${c.kind}.json`,
          "--certificate-issuer",
          TEST_ISSUER,
        ];
        const blobArgs = c.blob ? ["--blob-file", "blob"] : [];
        const ok = await s.cli([
          ...base,
          "--certificate-identity-uri",
          SUBJECT,
          ...blobArgs,
        ]);
        equal(ok.code, 0, `${c.kind}: ${ok.stderr}`);
        match(ok.stderr, /Verification succeeded/);
        const other = await s.cli([
          ...base,
          "--certificate-identity-uri",
          "https://github.com/mallory",
          ...blobArgs,
        ]);
        notEqual(other.code, 0, `${c.kind}: another identity was accepted`);
        match(other.stderr, /certificate identity error/);
      }
    } finally {
      await s.close();
    }
  },
});
