/**
 * A client of Fulcio, the sigstore certificate authority: it certifies an
 * ephemeral public key for the identity an OIDC token names
 * (`POST /api/v2/signingCert`), after the key proved it is held by
 * signing the token's subject. Also the HTTP rules both sigstore services
 * share (Fulcio here, Rekor in `rekor.ts`): JSON over the library's
 * transport, a timeout for every request, bounded answers, and errors that
 * name the URL and the status but never the token.
 *
 * @module
 */
import { registerSecret, untrustedText } from "../_redact.ts";
import {
  KlausOciError,
  type KlausOciErrorOptions,
  SignatureError,
  wrapError,
} from "../errors.ts";
import { readBodyLimited, readBodyPrefix } from "../registry/body.ts";
import { Transport } from "../registry/transport.ts";
import { displayUrl } from "../registry/url_safety.ts";
import { parsePem } from "./keys.ts";

/**
 * The public-good Fulcio instance (the default of keyless signing).
 *
 * @example
 * ```ts
 * import { DEFAULT_FULCIO_URL } from "@klaus/oci";
 * console.log(DEFAULT_FULCIO_URL); // https://fulcio.sigstore.dev
 * ```
 */
export const DEFAULT_FULCIO_URL = "https://fulcio.sigstore.dev";

/** Default time a sigstore service has to answer one request (30 s). */
export const DEFAULT_SIGSTORE_TIMEOUT_MS = 30_000;

/** Largest answer read from a sigstore service (1 MiB). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A sigstore service (Fulcio, Rekor) refused a request or answered
 * something unusable. A {@linkcode SignatureError} with reason `"other"`;
 * `url` is the request's URL (no user info, no query) and `status` the
 * HTTP status when there was an answer.
 *
 * @example
 * ```ts
 * import { SigningServiceError } from "@klaus/oci";
 * const e = new SigningServiceError(
 *   'requesting a signing certificate: POST "https://fulcio.example/api/v2/signingCert": response status code 400',
 *   { url: "https://fulcio.example/api/v2/signingCert", status: 400 },
 * );
 * console.log(e.reason, e.status); // other 400
 * ```
 */
export class SigningServiceError extends SignatureError {
  /** The URL of the request (without user info and query). */
  readonly url: string;
  /** The HTTP status of the answer, when there was one. */
  readonly status?: number;
  /** Creates the error. */
  constructor(
    message: string,
    options: KlausOciErrorOptions & { url: string; status?: number },
  ) {
    super(message, { reason: "other", cause: options.cause });
    this.url = options.url;
    this.status = options.status;
  }
}

/** How the sigstore services are reached. */
export interface SigstoreHttpOptions {
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /**
   * Time each request has for its answer, in milliseconds (default
   * {@linkcode DEFAULT_SIGSTORE_TIMEOUT_MS}).
   */
  timeoutMs?: number;
  /** Aborts the requests. */
  signal?: AbortSignal;
}

/** The request URL `path` below the service base `base`. */
export function serviceUrl(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SignatureError(
      `invalid sigstore service URL ${JSON.stringify(untrustedText(base))}`,
      { reason: "other" },
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SignatureError(
      `sigstore service URL must be http(s): ${displayUrl(url)}`,
      { reason: "other" },
    );
  }
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  return url;
}

/**
 * POSTs `body` as JSON to `url` and returns the parsed answer of a 2xx
 * response (at most 1 MiB). `what` starts every error message. The body is
 * never part of a message; the answer's text is, bounded, on one line and
 * redacted. Retries transient failures only when `retry` is true (a
 * request that is not idempotent must not be sent twice).
 */
export async function postJson(
  what: string,
  url: URL,
  body: unknown,
  options: SigstoreHttpOptions & { retry: boolean },
): Promise<unknown> {
  const display = displayUrl(url);
  const transport = new Transport({
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_SIGSTORE_TIMEOUT_MS,
    retry: { maxElapsedMs: options.timeoutMs ?? DEFAULT_SIGSTORE_TIMEOUT_MS },
  });
  let response: Response;
  try {
    ({ response } = await transport.send({
      method: "POST",
      url,
      display,
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify(body),
      signal: options.signal,
      noRetry: !options.retry,
    }));
  } catch (e) {
    if (options.signal?.aborted && e === options.signal.reason) throw e;
    // A TimeoutError or RegistryError naming the method and URL.
    if (e instanceof KlausOciError) throw wrapError(what, e);
    throw new SigningServiceError(
      `${what}: POST "${display}": ${untrustedText(String(e))}`,
      { url: display, cause: e },
    );
  }
  if (response.status < 200 || response.status > 299) {
    const text = new TextDecoder().decode(
      await readBodyPrefix(response, 4096).catch(() => new Uint8Array(0)),
    );
    const detail = untrustedText(text, 300);
    throw new SigningServiceError(
      `${what}: POST "${display}": response status code ${response.status}${
        detail ? `: ${detail}` : ""
      }`,
      { url: display, status: response.status },
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(response, MAX_ANSWER_BYTES, display);
  } catch (e) {
    if (options.signal?.aborted && e === options.signal.reason) throw e;
    throw wrapError(what, e);
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SigningServiceError(
      `${what}: POST "${display}": the answer is not JSON`,
      { url: display, status: response.status },
    );
  }
}

/** The claims of an identity token that matter for signing. */
export interface TokenClaims {
  /** `iss`: the OIDC issuer. */
  issuer: string;
  /** What the key proves possession for: `email` when present, else `sub`. */
  subject: string;
}

function base64UrlDecode(text: string): string {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return new TextDecoder("utf-8", { fatal: true }).decode(
    Uint8Array.from(bin, (c) => c.charCodeAt(0)),
  );
}

/**
 * The issuer and subject of an OIDC identity token (a JWT; its signature
 * is Fulcio's to check). The token is registered as a secret first, so
 * no message of this process shows it; errors never quote it.
 */
export function tokenClaims(token: string): TokenClaims {
  registerSecret(token, { ephemeral: true });
  const parts = token.trim().split(".");
  let claims: Record<string, unknown> | undefined;
  if (parts.length === 3) {
    try {
      const doc = JSON.parse(base64UrlDecode(parts[1]));
      if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
        claims = doc;
      }
    } catch {
      // reported below
    }
  }
  if (!claims) {
    throw new SignatureError(
      "the identity token is not a JWT (header.claims.signature)",
      { reason: "other" },
    );
  }
  const email = claims.email;
  const subject = typeof email === "string" && email !== ""
    ? email
    : claims.sub;
  if (typeof subject !== "string" || subject === "") {
    throw new SignatureError(
      "the identity token names no subject (no email or sub claim)",
      { reason: "other" },
    );
  }
  if (typeof claims.iss !== "string" || claims.iss === "") {
    throw new SignatureError("the identity token names no issuer (iss)", {
      reason: "other",
    });
  }
  return { issuer: claims.iss, subject };
}

/** What Fulcio certified. */
export interface SigningCertificate {
  /** The certificate chain as PEM blocks, leaf first. */
  chain: string[];
  /** The leaf certificate (DER). */
  leaf: Uint8Array;
}

/**
 * Asks Fulcio at `fulcioUrl` for a certificate of `publicKeyPem` (SPKI
 * PEM, ECDSA) for the identity of `identityToken`; `proofOfPossession` is
 * the DER signature, by the matching private key, over the token's
 * subject ({@linkcode tokenClaims}). The answer must certify that very
 * key. Throws a {@linkcode SigningServiceError} (a `SignatureError`,
 * reason `"other"`) naming the URL and status when Fulcio refuses, a
 * `TimeoutError` when it does not answer within the timeout.
 */
export async function requestSigningCertificate(
  fulcioUrl: string,
  identityToken: string,
  publicKeyPem: string,
  proofOfPossession: Uint8Array,
  options: SigstoreHttpOptions = {},
): Promise<SigningCertificate> {
  registerSecret(identityToken, { ephemeral: true });
  const url = serviceUrl(fulcioUrl, "/api/v2/signingCert");
  const what = "requesting a signing certificate";
  const answer = await postJson(what, url, {
    credentials: { oidcIdentityToken: identityToken },
    publicKeyRequest: {
      publicKey: { algorithm: "ECDSA", content: publicKeyPem },
      proofOfPossession: base64(proofOfPossession),
    },
  }, { ...options, retry: true }) as Record<string, unknown> | null;
  const signed = (answer?.signedCertificateEmbeddedSct ??
    answer?.signedCertificateDetachedSct) as
      | { chain?: { certificates?: unknown } }
      | undefined;
  const chain = signed?.chain?.certificates;
  const display = displayUrl(url);
  if (
    !Array.isArray(chain) || chain.length === 0 ||
    !chain.every((c) => typeof c === "string")
  ) {
    throw new SigningServiceError(
      `${what}: POST "${display}": the answer has no certificate chain`,
      { url: display },
    );
  }
  let leaf: Uint8Array;
  try {
    const pem = parsePem(chain[0]);
    if (pem.label !== "CERTIFICATE") throw new Error(pem.label);
    leaf = pem.der;
  } catch {
    throw new SigningServiceError(
      `${what}: POST "${display}": the answer's first certificate is not PEM`,
      { url: display },
    );
  }
  // The SubjectPublicKeyInfo sits verbatim in the certificate: a
  // certificate for another key would sign nothing of ours.
  if (!contains(leaf, parsePem(publicKeyPem).der)) {
    throw new SigningServiceError(
      `${what}: POST "${display}": the certificate is not for the key sent`,
      { url: display },
    );
  }
  return { chain: chain as string[], leaf };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
