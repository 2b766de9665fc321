/**
 * Registry authentication, reactive as in the Docker token protocol: send,
 * and on `401` read the `WWW-Authenticate` challenge, then resend with Basic
 * credentials or with a bearer token from the challenge's realm (`GET` with
 * Basic credentials or anonymously, `POST` with a refresh token). Tokens are
 * cached per host and scope set, and a request whose token is cached sends
 * it up front, so warm requests cost one round trip.
 *
 * @module
 */
import { registerCredential, registerSecret } from "../_redact.ts";
import { RegistryError, UnsafeUrlError } from "../errors.ts";
import { discardBody, readBodyLimited } from "./body.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import type { CredentialProvider } from "./credentials.ts";
import type { Credential } from "./docker_config.ts";
import { responseError } from "./http_error.ts";
import { normalizeScopes } from "./scope.ts";
import { TokenCache } from "./token_cache.ts";
import {
  type HttpRequest,
  type HttpResponse,
  isReplayable,
  type Transport,
} from "./transport.ts";

/**
 * `client_id` sent with OAuth2 refresh-token grants.
 */
export const OAUTH_CLIENT_ID = "klaus-oci";
/** Largest token response read (as oras-go). */
const MAX_TOKEN_BYTES = 128 * 1024;

/** Options of {@linkcode AuthClient}. */
export interface AuthClientOptions {
  /** The HTTP layer. */
  transport: Transport;
  /** Where credentials come from (per `host[:port]`). */
  credentials: CredentialProvider;
  /** Token cache (default: a new one). */
  tokenCache?: TokenCache;
}

/** A request plus the token scopes it needs. */
export interface AuthRequest extends HttpRequest {
  /**
   * Scopes the request needs (`repository:a:pull`, …). Empty means "what
   * the challenge says".
   */
  scopes: readonly string[];
}

/**
 * Sends requests to registries, authenticating as their challenges ask.
 */
export class AuthClient {
  #transport: Transport;
  #credentials: CredentialProvider;
  #tokens: TokenCache;
  /** Hosts that asked for Basic: the header to send up front. */
  #basic = new Map<string, string>();
  /** Hosts whose `/v2/` answered without a challenge. */
  #open = new Set<string>();
  #inflight = new Map<string, Promise<string>>();

  /** Creates the client. */
  constructor(options: AuthClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
    this.#tokens = options.tokenCache ?? new TokenCache();
  }

  /**
   * Sends `request`, authenticating when challenged, and returns the final
   * response (a `401` is returned as is when the credentials do not
   * suffice). A bare-stream body is only sent once authentication is known
   * to be in place: a cheap `GET /v2/` settles that first.
   */
  async send(request: AuthRequest): Promise<HttpResponse> {
    const host = request.url.host;
    const scopes = normalizeScopes(request.scopes);
    let authorization = this.#upfront(host, scopes);
    if (
      authorization === undefined && !isReplayable(request.body) &&
      !this.#open.has(host)
    ) {
      authorization = await this.#preflight(request, scopes);
    }
    const first = await this.#transport.send(
      withAuthorization(request, authorization),
    );
    const { response } = first;
    if (
      response.status !== 401 || first.url.origin !== request.url.origin ||
      !isReplayable(request.body)
    ) {
      return first;
    }
    const challenge = pickChallenge(
      parseChallenges(response.headers.get("www-authenticate")),
    );
    if (!challenge) return first;
    let next: string | undefined;
    try {
      next = await this.#answer(
        host,
        request.url,
        challenge,
        scopes,
        request.signal,
        authorization !== undefined,
      );
    } catch (e) {
      await discardBody(response);
      throw e;
    }
    if (next === undefined) return first;
    await discardBody(response);
    return await this.#transport.send(withAuthorization(request, next));
  }

  /** The Authorization header known to work for `host` and `scopes`. */
  #upfront(host: string, scopes: string[]): string | undefined {
    const basic = this.#basic.get(host);
    if (basic) return basic;
    const token = this.#tokens.get(host, scopes);
    return token === undefined ? undefined : `Bearer ${token}`;
  }

  async #preflight(
    request: AuthRequest,
    scopes: string[],
  ): Promise<string | undefined> {
    const host = request.url.host;
    const ping = new URL("/v2/", request.url);
    const { response, url } = await this.#transport.send({
      method: "GET",
      url: ping,
      signal: request.signal,
    });
    await discardBody(response);
    if (response.status !== 401 || url.origin !== request.url.origin) {
      this.#open.add(host);
      return undefined;
    }
    const challenge = pickChallenge(
      parseChallenges(response.headers.get("www-authenticate")),
    );
    if (!challenge) return undefined;
    // The /v2/ challenge's scope is a placeholder on some registries (GHCR):
    // ask for exactly what the request needs.
    const { scope: _ignored, ...params } = challenge.params;
    return await this.#answer(
      host,
      request.url,
      { ...challenge, params },
      scopes,
      request.signal,
      false,
    );
  }

  /**
   * The Authorization header answering `challenge`, or `undefined` when
   * there is nothing better to send than what was sent.
   */
  async #answer(
    host: string,
    registryUrl: URL,
    challenge: Challenge,
    scopes: string[],
    signal: AbortSignal | undefined,
    hadAuthorization: boolean,
  ): Promise<string | undefined> {
    const credential = await this.#credentials(host);
    // A provider of the caller's own may hand over secrets nobody else saw.
    registerCredential(credential);
    if (challenge.scheme === "basic") {
      if (!credential || !("username" in credential)) return undefined;
      const header = basicHeader(credential.username, credential.password);
      if (hadAuthorization && this.#basic.get(host) === header) {
        // These credentials were just refused.
        this.#basic.delete(host);
        return undefined;
      }
      this.#basic.set(host, header);
      return header;
    }
    const requested = scopes.length > 0
      ? scopes
      : normalizeScopes([challenge.params.scope ?? ""]);
    if (hadAuthorization) this.#tokens.delete(host, requested);
    const all = normalizeScopes([...requested, challenge.params.scope ?? ""]);
    const key = `${host} ${requested.join(" ")}`;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetchToken(
        registryUrl,
        challenge,
        all,
        credential,
        signal,
      ).then((t) => {
        this.#tokens.set(host, requested, t.token, t.expiresIn);
        return t.token;
      }).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return `Bearer ${await pending}`;
  }

  async #fetchToken(
    registryUrl: URL,
    challenge: Challenge,
    scopes: string[],
    credential: Credential | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ token: string; expiresIn?: number }> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError(
        `authenticating to ${registryUrl.host}: bearer challenge without realm`,
      );
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UnsafeUrlError(
        `authenticating to ${registryUrl.host}: invalid token realm`,
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new UnsafeUrlError(
        `authenticating to ${registryUrl.host}: refusing token realm with scheme ${url.protocol}`,
      );
    }
    if (registryUrl.protocol === "https:" && url.protocol === "http:") {
      throw new UnsafeUrlError(
        `authenticating to ${registryUrl.host}: refusing plain-http token realm ${url.origin}`,
      );
    }
    const service = challenge.params.service;
    let request: HttpRequest;
    if (credential && "refreshToken" in credential) {
      const form = new URLSearchParams();
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", credential.refreshToken);
      if (service) form.set("service", service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      form.set("client_id", OAUTH_CLIENT_ID);
      request = {
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        signal,
      };
    } else {
      if (service) url.searchParams.set("service", service);
      for (const s of scopes) url.searchParams.append("scope", s);
      const headers = new Headers();
      if (credential) {
        headers.set(
          "authorization",
          basicHeader(credential.username, credential.password),
        );
      }
      request = { method: "GET", url, headers, signal };
    }
    const { response } = await this.#transport.send(request);
    if (response.status !== 200) {
      throw await responseError(request.method, url.href, response);
    }
    const bytes = await readBodyLimited(
      response,
      MAX_TOKEN_BYTES,
      "token response",
    );
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new RegistryError(
        `${request.method} "${url.href}": token response is not JSON`,
      );
    }
    const token = typeof doc.token === "string" && doc.token
      ? doc.token
      : typeof doc.access_token === "string" && doc.access_token
      ? doc.access_token
      : undefined;
    // Everything secret in a token response is registered for redaction
    // before anything can fail or echo it.
    registerSecret(doc.refresh_token as string | undefined);
    for (const key of ["token", "access_token", "id_token"]) {
      registerSecret(doc[key] as string | undefined, { ephemeral: true });
    }
    if (!token) {
      throw new RegistryError(
        `${request.method} "${url.href}": token response has no token`,
      );
    }
    const expiresIn = typeof doc.expires_in === "number"
      ? doc.expires_in
      : undefined;
    return { token, expiresIn };
  }
}

function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ??
    challenges.find((c) => c.scheme === "basic");
}

function withAuthorization(
  request: HttpRequest,
  authorization: string | undefined,
): HttpRequest {
  if (authorization === undefined) return request;
  const headers = new Headers(request.headers);
  headers.set("authorization", authorization);
  return { ...request, headers };
}

/**
 * `Basic <base64(user:password)>`, with the credentials as UTF-8.
 */
export function basicHeader(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}
