/**
 * Keyless signatures at the edge: a plugin signed through local sigstore
 * services (mock Fulcio and Rekor, never the public instances) and pushed
 * to a real registry; the Deno entry with `VERIFY_TRUSTED_ROOT` and the
 * signer's identity and issuer reports it verified, naming them (in the
 * API and on the catalog page in headless Chromium); with another
 * identity it does not verify.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import { startServer } from "../../worker/deno_main.ts";
import { startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import {
  missingSigstore,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";
import { Browser } from "./cdp.ts";
import { FIXTURES_DIR } from "./seed_registry.ts";

const SUBJECT = TEST_SUBJECT;

Deno.test({
  name: "edge API: keyless signatures name their identity and issuer",
  ignore: missing("docker-registry", "chromium") || missingSigstore(),
  // The sigstore services run under Node in a child process.
  sanitizeResources: false,
  async fn(t) {
    await using reg = await startRegistry({ mode: "open" });
    const s = await startSigstoreServices();
    try {
      const base = `${reg.host}/klaus-keyless`;
      const source = `${FIXTURES_DIR}/plugins/churn`;
      const client = new Client({ plainHttp: true });
      let digest: string;
      try {
        ({ digest } = await client.pushPlugin(
          source,
          `${base}/keyless:v1.0.0`,
          { ...await readPluginFromDir(source), name: "keyless" },
          {
            sign: {
              identityToken: s.identityToken(SUBJECT),
              fulcioUrl: s.fulcioUrl,
              rekorUrl: s.rekorUrl,
            },
          },
        ));
      } finally {
        await client.close();
      }
      const serve = (
        identity: string,
        root: Record<string, string> = { VERIFY_TRUSTED_ROOT: s.trustedRoot },
      ) => {
        const env: Record<string, string> = {
          PLUGIN_REGISTRY: base,
          PERSONALITY_REGISTRY: `${reg.host}/none-p`,
          TOOLCHAIN_REGISTRY: `${reg.host}/none-t`,
          PLAIN_HTTP: "true",
          KLAUS_OCI_NO_CACHE: "1",
          ...root,
          VERIFY_CERTIFICATE_IDENTITY: identity,
          VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP: "https://token\\.actions\\..*",
        };
        return startServer({ port: 0, log: false, env: (n) => env[n] });
      };

      await t.step(
        "verified, with identity, issuer and log index",
        async () => {
          await using server = await serve(SUBJECT);
          const res = await fetch(`${server.url}/v1/plugins/keyless`);
          equal(res.headers.get("x-klaus-verification"), "verified");
          const body = await res.json();
          equal(body.digest, digest);
          const [sig] = body.verification.signatures;
          deepStrictEqual(body.verification, {
            state: "verified",
            signatures: [{
              ...(sig.keyId ? { keyId: sig.keyId } : {}),
              identity: SUBJECT,
              issuer: TEST_ISSUER,
              verified: true,
              tlogIndex: sig.tlogIndex,
              referrer: sig.referrer,
            }],
          });
          equal(typeof sig.tlogIndex, "number");

          await using browser = await Browser.launch();
          await browser.goto(`${server.url}/`);
          equal(
            await browser.eval(
              `document.querySelector('li.card[data-name="keyless"] [data-verification]').textContent`,
            ),
            `signed by ${SUBJECT} (${TEST_ISSUER})`,
          );
        },
      );

      await t.step(
        "the trusted root through TUF (VERIFY_TUF_MIRROR_URL, VERIFY_TUF_ROOT)",
        async () => {
          await using server = await serve(SUBJECT, {
            VERIFY_TUF_MIRROR_URL: s.tufUrl,
            VERIFY_TUF_ROOT: await Deno.readTextFile(s.tufRootPath),
          });
          const res = await fetch(`${server.url}/v1/plugins/keyless`);
          equal(res.headers.get("x-klaus-verification"), "verified");
          const body = await res.json();
          equal(body.verification.signatures[0].identity, SUBJECT);
        },
      );

      await t.step("another identity: failed, wrong-identity", async () => {
        await using server = await serve("someone@else.example");
        const res = await fetch(`${server.url}/v1/plugins/keyless`);
        equal(res.headers.get("x-klaus-verification"), "failed");
        const body = await res.json();
        equal(body.verification.reason, "wrong-identity");
        equal(body.verification.signatures[0].verified, false);
        match(String(body.verification.signatures[0].referrer), /^sha256:/);
      });
    } finally {
      await s.close();
    }
  },
});
