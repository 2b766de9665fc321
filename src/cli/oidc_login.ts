/**
 * The interactive sign-in of `push --sign` when no identity token is given:
 * an OpenID Connect authorization code flow with PKCE and a loopback
 * redirect (RFC 8252), as cosign and the sigstore CLI do against sigstore's
 * OIDC provider (`https://oauth2.sigstore.dev/auth`, client `sigstore`).
 * The user opens the printed URL; the provider redirects the browser back
 * to a one-shot server on localhost; the code is exchanged for the ID
 * token. `state` and `nonce` tie the answer to this request; the token is
 * a secret and is never printed.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { KlausOciError } from "../errors.ts";
import { TimeoutError } from "../registry/timeout_error.ts";

/** Sigstore's public-good OIDC provider (a Dex federating GitHub, Google, Microsoft). */
export const DEFAULT_OIDC_ISSUER = "https://oauth2.sigstore.dev/auth";
/** The client id sigstore's provider knows public clients by. */
export const DEFAULT_OIDC_CLIENT_ID = "sigstore";
/** How long the sign-in may take (the user is in a browser). */
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

const MAX_RESPONSE_BYTES = 256 * 1024;

/** The sign-in failed (refused, mismatched, malformed). */
export class OidcLoginError extends KlausOciError {}

/** Options of {@linkcode oidcLogin}. */
export interface OidcLoginOptions {
  /** The OIDC issuer (default {@linkcode DEFAULT_OIDC_ISSUER}). */
  issuer?: string;
  /** The client id (default {@linkcode DEFAULT_OIDC_CLIENT_ID}). */
  clientId?: string;
  /** Shows the user the URL to open (and may open a browser). */
  open: (url: string) => void | Promise<void>;
  /** How long to wait for the browser (default 5 minutes). */
  timeoutMs?: number;
  /** Aborts the sign-in. */
  signal?: AbortSignal;
  /** The HTTP client of discovery and the token exchange. */
  fetch?: typeof fetch;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function random(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function readJson(
  res: Response,
  what: string,
): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES) {
    throw new OidcLoginError(`${what}: answer too large`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new OidcLoginError(
      `${what}: answer is not JSON (HTTP ${res.status})`,
    );
  }
  if (typeof doc !== "object" || doc === null) {
    throw new OidcLoginError(`${what}: answer is not a JSON object`);
  }
  return doc as Record<string, unknown>;
}

function claimsOf(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  try {
    const json = atob(part.replaceAll("-", "+").replaceAll("_", "/"));
    return JSON.parse(json);
  } catch {
    throw new OidcLoginError("the provider's ID token is not a JWT");
  }
}

interface Callback {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

// A one-shot server on `localhost` (as cosign and the sigstore CLI: the
// provider's registered redirect is http://localhost/auth/callback, any
// port): the first request to the callback path settles the sign-in;
// everything else is 404.
async function listen(): Promise<
  { server: Server; port: number; callback: Promise<Callback> }
> {
  let settle!: (c: Callback) => void;
  const callback = new Promise<Callback>((resolve) => settle = resolve);
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/auth/callback") {
      res.writeHead(404).end();
      return;
    }
    const p = url.searchParams;
    const error = p.get("error") ?? undefined;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(
      error
        ? "Sign-in failed; see the terminal.\n"
        : "Signed in. You can close this window and return to the terminal.\n",
    );
    settle({
      code: p.get("code") ?? undefined,
      state: p.get("state") ?? undefined,
      error,
      errorDescription: p.get("error_description") ?? undefined,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "localhost", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { server, port, callback };
}

/**
 * Signs the user in with the OIDC provider and returns the ID token (for
 * Fulcio). Throws an {@linkcode OidcLoginError} when the provider refuses
 * or answers what this request did not ask for (another `state` or
 * `nonce`), a `TimeoutError` when the browser does not come back in time.
 *
 * @example
 * ```ts ignore
 * const token = await oidcLogin({ open: (url) => console.error(`Open ${url}`) });
 * ```
 */
export async function oidcLogin(options: OidcLoginOptions): Promise<string> {
  const issuer = (options.issuer ?? DEFAULT_OIDC_ISSUER).replace(/\/+$/, "");
  const clientId = options.clientId ?? DEFAULT_OIDC_CLIENT_ID;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const doFetch = options.fetch ?? ((i, init) => globalThis.fetch(i, init));
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([options.signal, deadline])
    : deadline;
  const guard = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const stop = () => {
        reject(
          deadline.aborted
            ? new TimeoutError(
              `signing in with ${issuer}: no answer within ${
                Math.round(timeoutMs / 1000)
              } s`,
              { timeoutMs },
            )
            : signal.reason,
        );
      };
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      p.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", stop)
      );
    });

  const discovery = await readJson(
    await guard(
      doFetch(`${issuer}/.well-known/openid-configuration`, { signal }),
    ),
    `discovering ${issuer}`,
  );
  const authorize = discovery.authorization_endpoint;
  const tokenEndpoint = discovery.token_endpoint;
  if (typeof authorize !== "string" || typeof tokenEndpoint !== "string") {
    throw new OidcLoginError(
      `discovering ${issuer}: no authorization or token endpoint`,
    );
  }

  const verifier = random();
  const challenge = base64url(
    new Uint8Array(
      await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(verifier),
      ),
    ),
  );
  const state = random();
  const nonce = random();
  const { server, port, callback } = await listen();
  try {
    const redirectUri = `http://localhost:${port}/auth/callback`;
    const url = new URL(authorize);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: "openid email",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
      nonce,
    }).toString();
    await options.open(url.toString());
    const answer = await guard(callback);
    if (answer.error) {
      throw new OidcLoginError(
        `signing in with ${issuer}: ${answer.error}${
          answer.errorDescription ? ` (${answer.errorDescription})` : ""
        }`,
      );
    }
    if (answer.state !== state) {
      throw new OidcLoginError(
        `signing in with ${issuer}: the answer is for another request (state mismatch)`,
      );
    }
    if (!answer.code) {
      throw new OidcLoginError(`signing in with ${issuer}: no code returned`);
    }
    const res = await guard(doFetch(tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: answer.code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }).toString(),
      signal,
    }));
    const doc = await readJson(res, `exchanging the code at ${issuer}`);
    if (!res.ok) {
      throw new OidcLoginError(
        `exchanging the code at ${issuer}: HTTP ${res.status}${
          typeof doc.error === "string" ? ` ${doc.error}` : ""
        }`,
      );
    }
    const token = doc.id_token;
    if (typeof token !== "string" || token === "") {
      throw new OidcLoginError(
        `exchanging the code at ${issuer}: no ID token in the answer`,
      );
    }
    if (claimsOf(token).nonce !== nonce) {
      throw new OidcLoginError(
        `signing in with ${issuer}: the ID token is for another request (nonce mismatch)`,
      );
    }
    return token;
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
}
