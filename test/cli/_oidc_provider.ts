/**
 * A small OpenID Connect provider on loopback for the sign-in tests: it
 * does what Dex does for a public client — checks the PKCE verifier
 * against the challenge and the redirect URI against the one authorized,
 * and puts the nonce into the ID token — or misbehaves as `mode` says.
 *
 * @module
 */

export type Mode = "ok" | "deny" | "state" | "nonce" | "token-error" | "hang";

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

/** A claim of every ID token, to check no message shows the token. */
export const TOKEN_MARK = "secret-token-material";

/** Starts a provider; `sub` is the subject of its ID tokens. */
export function provider(mode: Mode, sub = "klaus@example.com") {
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
          sub,
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
