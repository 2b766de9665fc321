/**
 * The interactive sign-in of `push --sign` against a small OIDC provider
 * on loopback (discovery, authorization with PKCE, token exchange — it
 * checks the code verifier and the redirect URI as a real provider does),
 * with Chromium as the browser: the ID token comes back, bound to this
 * request. Refusals: the user denies, an answer for another request
 * (state), an ID token for another request (nonce), a failing token
 * exchange, a browser that never comes back (the deadline fires). The
 * token is never in a message. End to end: `push --sign` without a token
 * prints the sign-in URL, and once it is opened signs through the local
 * Fulcio and Rekor for the identity signed in.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import {
  oidcLogin,
  OidcLoginError,
  type OidcLoginOptions,
} from "../../src/cli/oidc_login.ts";
import { TimeoutError } from "../../src/registry/timeout_error.ts";
import { missing } from "../harness/require.ts";
import { Browser } from "../worker/cdp.ts";
import { type Mode, provider, TOKEN_MARK } from "./_oidc_provider.ts";
import { MAIN, PLUGIN_BASE } from "./helpers.ts";
import { startRegistry } from "../harness/registry.ts";
import {
  missingSigstore,
  startSigstoreServices,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";

// The browser of the refusal cases: follows the provider's redirect to the
// loopback callback, as a browser would.
const follow: OidcLoginOptions["open"] = async (url) => {
  const res = await fetch(url);
  await res.body?.cancel();
};

Deno.test({
  name:
    "oidc login: Chromium signs in, the ID token comes back bound to this request",
  ignore: missing("chromium"),
  async fn() {
    const p = provider("ok");
    await using browser = await Browser.launch();
    try {
      let shown = "";
      const token = await oidcLogin({
        issuer: p.issuer(),
        open: async (url) => {
          shown = url;
          await browser.goto(url);
        },
        timeoutMs: 30_000,
      });
      match(shown, /\/authorize\?.*code_challenge=/);
      const claims = JSON.parse(
        atob(token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
      );
      equal(claims.mark, TOKEN_MARK);
      // The browser ended on our callback page.
      match(
        await browser.eval<string>("document.body.innerText"),
        /Signed in\. You can close this window/,
      );
      equal(
        p.seen.join(","),
        "GET /.well-known/openid-configuration,GET /authorize,POST /token",
      );
    } finally {
      await p.close();
    }
  },
});

Deno.test("oidc login refuses what this request did not ask for", async (t) => {
  const cases: { mode: Mode; message: RegExp }[] = [
    { mode: "deny", message: /access_denied \(the user said no\)/ },
    { mode: "state", message: /another request \(state mismatch\)/ },
    { mode: "nonce", message: /another request \(nonce mismatch\)/ },
    { mode: "token-error", message: /HTTP 400 invalid_grant/ },
  ];
  for (const c of cases) {
    await t.step(c.mode, async () => {
      const p = provider(c.mode);
      try {
        await rejects(
          () => oidcLogin({ issuer: p.issuer(), open: follow }),
          (e: unknown) => {
            ok(e instanceof OidcLoginError, String(e));
            match(e.message, c.message);
            ok(!e.message.includes(TOKEN_MARK));
            return true;
          },
        );
      } finally {
        await p.close();
      }
    });
  }
});

Deno.test("oidc login: a browser that never comes back hits the deadline", async () => {
  const p = provider("hang");
  const started = Date.now();
  try {
    await rejects(
      () =>
        oidcLogin({
          issuer: p.issuer(),
          open: follow,
          timeoutMs: 500,
        }),
      (e: unknown) => {
        ok(e instanceof TimeoutError, String(e));
        match(e.message, /no answer within 1 s/);
        return true;
      },
    );
    ok(Date.now() - started < 5_000);
  } finally {
    await p.close();
  }
});

Deno.test({
  name:
    "push --sign without a token signs in with a browser, then signs through Fulcio and Rekor",
  ignore: missing("docker-registry") || missingSigstore(),
  sanitizeResources: false,
  async fn() {
    await using reg = await startRegistry({ mode: "open" });
    const s = await startSigstoreServices();
    const p = provider("ok", TEST_SUBJECT);
    const home = await Deno.makeTempDir({ prefix: "klaus-oidc-cli-" });
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          MAIN,
          "--json",
          "--plain-http",
          "plugin",
          "push",
          PLUGIN_BASE,
          `${reg.host}/klaus-plugins/base:v1.0.0`,
          "--sign",
          "--oidc-issuer",
          p.issuer(),
          "--fulcio-url",
          s.fulcioUrl,
          "--rekor-url",
          s.rekorUrl,
        ],
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: home,
          XDG_CACHE_HOME: `${home}/cache`,
          DENO_DIR: Deno.env.get("DENO_DIR") ??
            `${Deno.env.get("HOME")}/.cache/deno`,
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stdout = new Response(child.stdout).text();
      // The user: reads the URL from the terminal and opens it.
      let stderr = "";
      const reader = child.stderr.pipeThrough(new TextDecoderStream())
        .getReader();
      let url: string | undefined;
      while (url === undefined) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
        url = stderr.match(/^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m)
          ?.[1];
      }
      ok(url, `no sign-in URL printed: ${stderr}`);
      match(stderr, /To sign, sign in with your browser:/);
      await follow(url);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      const status = await child.status;
      equal(status.code, 0, stderr);
      const doc = JSON.parse(await stdout);
      equal(doc.signedBy, TEST_SUBJECT);
      equal(doc.signature.issuer, p.issuer());
      ok(Number.isInteger(doc.signature.tlogIndex));
      ok(!stderr.includes(TOKEN_MARK) && !(await stdout).includes(TOKEN_MARK));
    } finally {
      await p.close();
      await s.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
