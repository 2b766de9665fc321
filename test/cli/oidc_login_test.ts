/**
 * The interactive sign-in of `push --sign` against a small OIDC provider
 * on loopback (discovery, authorization with PKCE, token exchange — it
 * checks the code verifier and the redirect URI as a real provider does),
 * with Chromium as the browser: the ID token comes back, bound to this
 * request. Refusals: the user denies, an answer for another request
 * (state), an ID token for another request (nonce), a failing token
 * exchange, a browser that never comes back (the deadline fires). The
 * token is never in a message.
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

type Mode = "ok" | "deny" | "state" | "nonce" | "token-error" | "hang";

function b64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

async function sha256url(text: string): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  let s = "";
  for (const b of d) s += String.fromCharCode(b);
  return b64url(s);
}

const TOKEN_MARK = "secret-token-material";

// A provider that does what Dex does for a public client: it checks the
// PKCE verifier against the challenge and the redirect URI against the one
// authorized, and puts the nonce into the ID token.
function provider(mode: Mode) {
  const grants = new Map<
    string,
    { challenge: string; redirect: string; nonce: string }
  >();
  const seen: string[] = [];
  let base = "";
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req: Request): Promise<Response> => {
      const url = new URL(req.url);
      seen.push(`${req.method} ${url.pathname}`);
      if (url.pathname === "/.well-known/openid-configuration") {
        return Response.json({
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
        });
      }
      if (url.pathname === "/authorize") {
        const p = url.searchParams;
        if (
          p.get("client_id") !== "sigstore" ||
          p.get("response_type") !== "code" ||
          p.get("code_challenge_method") !== "S256" ||
          !p.get("redirect_uri")?.startsWith("http://localhost:")
        ) {
          return new Response("bad request", { status: 400 });
        }
        if (mode === "hang") return new Response("waiting for the user…");
        const back = new URL(p.get("redirect_uri")!);
        if (mode === "deny") {
          back.searchParams.set("error", "access_denied");
          back.searchParams.set("error_description", "the user said no");
        } else {
          const code = crypto.randomUUID();
          grants.set(code, {
            challenge: p.get("code_challenge")!,
            redirect: p.get("redirect_uri")!,
            nonce: mode === "nonce" ? "another" : p.get("nonce")!,
          });
          back.searchParams.set("code", code);
        }
        back.searchParams.set(
          "state",
          mode === "state" ? "forged" : p.get("state")!,
        );
        return Response.redirect(back.toString(), 302);
      }
      if (url.pathname === "/token" && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        const grant = grants.get(form.get("code") ?? "");
        if (
          mode === "token-error" || !grant ||
          grant.redirect !== form.get("redirect_uri") ||
          await sha256url(form.get("code_verifier") ?? "") !== grant.challenge
        ) {
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        }
        grants.delete(form.get("code")!);
        const claims = {
          iss: base,
          sub: "klaus@example.com",
          aud: "sigstore",
          nonce: grant.nonce,
          mark: TOKEN_MARK,
        };
        return Response.json({
          id_token: `${b64url(JSON.stringify({ alg: "none" }))}.${
            b64url(JSON.stringify(claims))
          }.sig`,
        });
      }
      return new Response("not found", { status: 404 });
    },
  );
  base = `http://127.0.0.1:${server.addr.port}`;
  return {
    issuer: () => base,
    seen,
    close: () => server.shutdown(),
  };
}

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
