/**
 * The one redaction of the project: the library's errors, the command line
 * and the edge API all pass text through {@linkcode redact} before a person
 * or a log sees it.
 *
 * Two defences, applied together:
 *
 * - **Patterns** that look like credentials whatever their source: URL and
 *   reference user-info (`https://u:p@h`, `u:p@h/repo`), `Basic`/`Bearer`
 *   values (also as `Authorization=Basic …` or inside JSON), credential
 *   query and form parameters (`token=`, `access_token=`, `X-Amz-Signature=`,
 *   `sig=`, …) and credential fields of JSON documents.
 * - **Every secret the process loaded**: the credential code registers each
 *   password, identity token, helper secret and token response (and their
 *   base64 and URL-encoded forms) with a process-wide registry
 *   ({@linkcode registerSecret}), so a registry echoing a password in plain
 *   words is caught too.
 *
 * Registry-supplied text is untrusted: {@linkcode untrustedText} also makes
 * it one bounded line.
 *
 * @module
 */
import { setBounded } from "./_bounded_map.ts";

/** Secrets shorter than this are not replaced by value (they would blank out ordinary words). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Longest registry-supplied text kept in a message, in characters.
 */
export const MAX_UNTRUSTED_CHARS = 512;

/** What replaces a credential. */
const MASK = "***";

// Long-lived credentials (config files, helpers) and short-lived ones
// (tokens, fetched again every few minutes by a long-running server) are
// capped separately, so a flood of tokens never evicts a password.
const MAX_CREDENTIALS = 4096;
const MAX_TOKENS = 1024;

interface SecretRegistry {
  credentials: Map<string, true>;
  tokens: Map<string, true>;
  /** Every secret, longest first; rebuilt lazily after a change. */
  sorted?: string[];
}

// On globalThis under a registered symbol: one registry per process even
// when this module is loaded twice (a CLI from JSR next to a local copy).
const KEY = Symbol.for("@klaus/oci.secrets");

function registry(): SecretRegistry {
  const g = globalThis as unknown as Record<symbol, SecretRegistry>;
  g[KEY] ??= { credentials: new Map(), tokens: new Map() };
  return g[KEY];
}

/** Options of {@linkcode registerSecret}. */
export interface RegisterSecretOptions {
  /**
   * A short-lived secret (an access token): kept among the most recent
   * {@linkcode MAX_TOKENS} only.
   */
  ephemeral?: boolean;
}

/**
 * Adds `value` — and the forms it may be echoed in (URL-encoded, JSON
 * string escaped) — to the secrets {@linkcode redact} replaces in every
 * text of this process. Empty and too short values are ignored.
 */
export function registerSecret(
  value: string | undefined | null,
  options: RegisterSecretOptions = {},
): void {
  if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
  const reg = registry();
  const map = options.ephemeral ? reg.tokens : reg.credentials;
  const cap = options.ephemeral ? MAX_TOKENS : MAX_CREDENTIALS;
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // lone surrogates: only the raw form can appear
  }
  for (const form of forms) {
    if (form.length < MIN_SECRET_LENGTH) continue;
    // Re-registering refreshes the entry's place in the eviction order.
    setBounded(map, form, true, cap);
  }
  reg.sorted = undefined;
}

/**
 * Registers a credential: the password or refresh token, and the base64
 * `user:password` a `Basic` header carries. The user name alone is not a
 * secret.
 */
export function registerCredential(
  credential: {
    username?: string;
    password?: string;
    refreshToken?: string;
  } | undefined,
): void {
  if (!credential) return;
  registerSecret(credential.refreshToken);
  if (typeof credential.password === "string" && credential.password) {
    registerSecret(credential.password);
    const pair = `${credential.username ?? ""}:${credential.password}`;
    registerSecret(pair);
    registerSecret(base64Utf8(pair));
  }
}

/**
 * The secrets a Docker config carries — `auth` values and the passwords
 * inside them, `password`, `identitytoken`, `registrytoken` of every
 * `auths` entry — given as the parsed document or as base64 JSON (the
 * `KLAUS_OCI_REGISTRY_AUTH` form, whose raw value is included). Input that
 * is not a config yields what could be found (nothing, or the raw value).
 */
export function secretsOfDockerConfig(config: unknown): string[] {
  const out: string[] = [];
  let doc = config;
  if (typeof config === "string") {
    if (config === "") return out;
    out.push(config);
    const text = decodeBase64Utf8(config);
    try {
      doc = text === undefined ? undefined : JSON.parse(text);
    } catch {
      return out;
    }
  }
  if (!isRecord(doc) || !isRecord(doc.auths)) return out;
  for (const entry of Object.values(doc.auths)) {
    if (!isRecord(entry)) continue;
    for (const [key, v] of Object.entries(entry)) {
      if (typeof v !== "string" || v === "") continue;
      const k = key.toLowerCase();
      if (
        k !== "auth" && k !== "password" && k !== "identitytoken" &&
        k !== "registrytoken"
      ) continue;
      out.push(v);
      if (k !== "auth") continue;
      const plain = decodeBase64Utf8(v);
      if (plain === undefined) continue;
      out.push(plain);
      const colon = plain.indexOf(":");
      if (colon >= 0) out.push(plain.slice(colon + 1));
    }
  }
  return out;
}

/**
 * Registers every secret of a Docker config (see
 * {@linkcode secretsOfDockerConfig}): a config that was read counts as
 * loaded, whichever of its entries answers.
 */
export function registerDockerConfigSecrets(config: unknown): void {
  for (const s of secretsOfDockerConfig(config)) registerSecret(s);
}

// `user:password@` before a host, outside a URL (`pull u:p@host/repo:v1`);
// not `name:tag@sha256:…`, a reference pinned by tag and digest.
const REFERENCE_USERINFO =
  /(^|[\s"'(=[,;<>])([^\s/@"'<>()[\],;=]*:[^\s/@"'<>()[\],;]*)@(?![a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,})/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"'<>]+@/gi;

/**
 * Registers the password of any `user:password@host` found in `text` (a
 * command line argument, a URL), so later echoes of it are caught even
 * where the pattern is not recognisable any more.
 */
export function registerUserInfoSecrets(text: string): void {
  const found: string[] = [];
  for (const m of text.matchAll(REFERENCE_USERINFO)) found.push(m[2]);
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^/?#\s"'<>]+)@/gi)) {
    found.push(m[1]);
  }
  for (const userinfo of found) {
    const colon = userinfo.indexOf(":");
    if (colon < 0) {
      registerSecret(userinfo);
      continue;
    }
    const password = userinfo.slice(colon + 1);
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      // not percent-encoded
    }
    registerSecret(userinfo);
  }
}

/**
 * Forgets every registered secret. For tests.
 */
export function clearRegisteredSecrets(): void {
  const reg = registry();
  reg.credentials.clear();
  reg.tokens.clear();
  reg.sorted = undefined;
}

function registeredSecrets(): string[] {
  const reg = registry();
  reg.sorted ??= [...reg.credentials.keys(), ...reg.tokens.keys()]
    .sort((a, b) => b.length - a.length);
  return reg.sorted;
}

const CREDENTIAL_PARAMS =
  "access_token|refresh_token|id_token|identity_?token|registry_?token|token|password|passwd|pwd|secret|client_secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|x-goog-security-token";
const QUERY_PARAM = new RegExp(
  `(^|[?&;\\s,])((?:${CREDENTIAL_PARAMS})=)[^&\\s"'#<>]+`,
  "gi",
);
const JSON_FIELD =
  /(\\?"(?:access_token|refresh_token|id_token|identity_?token|registry_?token|token|password|passwd|secret|client_secret|auth|authorization)\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)(\\?")/gi;
const AUTH_SCHEME =
  /\b(basic|bearer)((?:\s+|\s*[=:]\s*)\[?)([A-Za-z0-9._~+/-]+=*)/gi;
const AUTH_HEADER =
  /\b((?:proxy-)?authorization|x-registry-auth|x-auth-token|cookie)(["']?\s*[:=]\s*\[?["']?)(?!(?:basic|bearer)\b)([^\s"'[\],;&]+)/gi;

/**
 * Replaces credentials in `text` with `***`: every registered secret, the
 * strings of `extra`, and the credential patterns listed in the module
 * documentation. The result never contains a registered secret (of
 * {@linkcode MIN_SECRET_LENGTH} characters or more).
 */
export function redact(text: string, extra: readonly string[] = []): string {
  let out = text;
  const secrets = extra.length === 0
    ? registeredSecrets()
    : [...extra, ...registeredSecrets()].sort((a, b) => b.length - a.length);
  for (const s of secrets) {
    if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) {
      out = out.split(s).join(MASK);
    }
  }
  return out
    .replace(URL_USERINFO, `$1${MASK}@`)
    .replace(REFERENCE_USERINFO, `$1${MASK}@`)
    .replace(JSON_FIELD, `$1${MASK}$3`)
    .replace(AUTH_SCHEME, (all, scheme: string, sep: string, value: string) =>
      // "Basic auth", "Bearer token": words, not credentials.
      looksLikeCredential(value) ? `${scheme}${sep}${MASK}` : all)
    .replace(AUTH_HEADER, `$1$2${MASK}`)
    .replace(QUERY_PARAM, `$1$2${MASK}`);
}

function looksLikeCredential(value: string): boolean {
  return value.length >= 16 || /[^a-z]/.test(value.slice(1));
}

// C0 and C1 controls, line and paragraph separators, and the bidi
// overrides that can make a terminal line read differently than it is.
// deno-lint-ignore no-control-regex
const CONTROL = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]",
  "g",
);
// deno-lint-ignore no-control-regex
const CONTROL_BUT_LINES = new RegExp(
  "[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]",
  "g",
);

/**
 * Registry-supplied text made safe to put into a message: control
 * characters become spaces and runs of white space one space (one line, no
 * forged log lines, no terminal escapes), credentials are redacted, and at
 * most `max` characters are kept (`…` marks a cut).
 */
export function untrustedText(
  text: string,
  max: number = MAX_UNTRUSTED_CHARS,
): string {
  // Cut generously first (cheap), redact, then cut to size: a secret
  // straddling the first cut lies past the second.
  let t = text.length > max * 4 + 64 ? text.slice(0, max * 4 + 64) : text;
  t = redact(t.replace(CONTROL, " ").replace(/\s+/g, " ").trim());
  return clip(t, max);
}

/**
 * Text made safe to print for a person: credentials redacted, control
 * characters other than line breaks and tabs removed (a registry cannot
 * move the cursor or recolour a terminal through an error message).
 */
export function displayText(text: string): string {
  return redact(text.replace(CONTROL_BUT_LINES, ""));
}

/**
 * At most `max` characters of `text` (without splitting a surrogate pair),
 * `…` appended when cut.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function decodeBase64Utf8(s: string): string | undefined {
  try {
    const bin = atob(s.replace(/[\r\n\t ]/g, ""));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
