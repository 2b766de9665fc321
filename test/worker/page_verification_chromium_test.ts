/**
 * Who signed, on the catalog page in headless Chromium: the Deno entry
 * with `VERIFY_PUBLIC_KEYS` against a real registry holding signed,
 * unsigned and wrongly signed plugins shows "signed by key <id>",
 * "unsigned" and "signature does not verify: wrong-key" per artifact, on
 * the catalog and the detail pages. A keyless signer's identity and
 * issuer are shown as text, markup included — rendered from an app whose
 * client answers with such a result, since no certificate authority here
 * certifies an identity full of markup (`keyless_verification_test.ts`
 * checks a real keyless signature end to end).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Client } from "../../src/client.ts";
import type { ListEntry } from "../../src/artifact/types.ts";
import type { SignatureResult } from "../../src/sign/verify_artifact.ts";
import { createApp } from "../../worker/app.ts";
import { startServer } from "../../worker/deno_main.ts";
import { verificationFromEnv } from "../../worker/verify_config.ts";
import { startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import { Browser } from "./cdp.ts";
import { seedSigned } from "./seed_signed.ts";

const HOSTILE_IDENTITY =
  `ci@example.com"><img src=x onerror="document.title='pwned'">`;
const HOSTILE_ISSUER = "https://issuer.example/<b>bold</b>";

/**
 * A client answering one plugin, `keyless`, signed keylessly by
 * {@linkcode HOSTILE_IDENTITY}.
 */
function keylessClient(base: string): Client {
  const digest = `sha256:${"ab".repeat(32)}`;
  const entry: ListEntry = {
    name: "keyless",
    version: "v1.0.0",
    repository: `${base}/keyless`,
    reference: `${base}/keyless:v1.0.0`,
  };
  const signature: SignatureResult = {
    identity: HOSTILE_IDENTITY,
    issuer: HOSTILE_ISSUER,
    verified: true,
    tlogIndex: 42,
    referrer: `sha256:${"cd".repeat(32)}`,
  };
  const client = {
    withCallOptions: () => client,
    listPlugins: () => Promise.resolve([entry]),
    listPersonalities: () => Promise.resolve([]),
    listToolchains: () => Promise.resolve([]),
    listPluginVersions: () => Promise.resolve(["v1.0.0"]),
    describePlugin: () =>
      Promise.resolve({
        ref: entry.reference,
        tag: "v1.0.0",
        digest,
        plugin: { name: "keyless", description: "signed keylessly" },
      }),
    verifySignatures: () => Promise.resolve({ signatures: [signature] }),
    close: () => Promise.resolve(),
  };
  return client as unknown as Client;
}

Deno.test({
  name: "catalog page in headless Chromium shows who signed",
  ignore: missing("docker-registry", "chromium"),
  async fn(t) {
    await using reg = await startRegistry({ mode: "open" });
    const f = await seedSigned(reg.host);
    const env: Record<string, string> = {
      PLUGIN_REGISTRY: f.base,
      PERSONALITY_REGISTRY: `${reg.host}/none-p`,
      TOOLCHAIN_REGISTRY: `${reg.host}/none-t`,
      PLAIN_HTTP: "true",
      KLAUS_OCI_NO_CACHE: "1",
      VERIFY_PUBLIC_KEYS: f.publicKey,
    };
    await using server = await startServer({
      port: 0,
      log: false,
      env: (n) => env[n],
    });
    // A phone: long identities must wrap, not scroll sideways.
    await using browser = await Browser.launchPhone();
    const lines = () =>
      browser.eval<Record<string, [string, string]>>(
        `Object.fromEntries([...document.querySelectorAll("li.card")].map((li) => {
          const v = li.querySelector("[data-verification]");
          return [li.dataset.name, [v?.dataset.verification, v?.textContent]];
        }))`,
      );

    await t.step("each card says who signed", async () => {
      await browser.goto(`${server.url}/`);
      deepStrictEqual(await lines(), {
        "late": ["unsigned", "unsigned"],
        "signed": ["verified", `signed by key ${f.keyId.slice(0, 12)}`],
        "unsigned": ["unsigned", "unsigned"],
        "wrong-key": ["failed", "signature does not verify: wrong-key"],
      });
      equal(await browser.eval("document.scripts.length"), 0);
    });

    await t.step("the detail page has a Signature row", async () => {
      await browser.navigation(() =>
        browser.eval(
          `document.querySelector('a[href="/plugins/signed"]').click()`,
        )
      );
      const row = await browser.eval<[string, string]>(
        `(() => {
          const dt = [...document.querySelectorAll("dt")].find((e) => e.textContent === "Signature");
          return [dt?.textContent, dt?.nextElementSibling?.textContent.trim()];
        })()`,
      );
      deepStrictEqual(row, [
        "Signature",
        `signed by key ${f.keyId.slice(0, 12)}`,
      ]);
      await browser.goto(`${server.url}/plugins/wrong-key`);
      equal(
        await browser.eval(
          `document.querySelector("[data-verification]").title`,
        ),
        "signed by no configured key",
      );
    });

    await t.step(
      "a keyless signer's identity and issuer are text, never markup",
      async () => {
        const base = "r.example/p";
        const app = createApp({
          registries: {
            plugin: base,
            personality: "r.example/s",
            toolchain: "r.example/t",
          },
          client: keylessClient(base),
          verification: {
            config: verificationFromEnv((n) =>
              n === "VERIFY_PUBLIC_KEYS" ? f.publicKey : undefined
            )!,
          },
        });
        await using keyless = Deno.serve(
          { port: 0, hostname: "127.0.0.1", onListen: () => {} },
          app.fetch,
        );
        const url = `http://127.0.0.1:${keyless.addr.port}`;
        for (const path of ["/", "/plugins/keyless"]) {
          await browser.goto(`${url}${path}`);
          equal(
            await browser.eval(
              `document.querySelector("[data-verification]").textContent`,
            ),
            `signed by ${HOSTILE_IDENTITY} (${HOSTILE_ISSUER})`,
            path,
          );
          equal(
            await browser.eval(
              `document.querySelectorAll("main img, main b, main script").length`,
            ),
            0,
            path,
          );
          ok(
            !(await browser.eval<string>("document.title")).includes("pwned"),
          );
          ok(
            await browser.eval<boolean>(
              "document.documentElement.scrollWidth <= window.innerWidth",
            ),
            `${path} fits a phone`,
          );
        }
        const api = await (await fetch(`${url}/v1/plugins/keyless`)).json();
        deepStrictEqual(api.verification, {
          state: "verified",
          signatures: [{
            identity: HOSTILE_IDENTITY,
            issuer: HOSTILE_ISSUER,
            verified: true,
            tlogIndex: 42,
            referrer: `sha256:${"cd".repeat(32)}`,
          }],
        });
      },
    );
  },
});
