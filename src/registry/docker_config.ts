/**
 * Looking up a registry host in a Docker `config.json` (or a containers
 * `auth.json`, which has the same `auths` shape).
 *
 * @module
 */
import { registerDockerConfigSecrets } from "../_redact.ts";

/** A username and password (or access token used as a password). */
export interface BasicCredential {
  /** The user name. */
  username: string;
  /** The password; never logged nor put into an error. */
  password: string;
}

/** An OAuth2 refresh token (Docker `identitytoken`, e.g. `az acr login`). */
export interface RefreshTokenCredential {
  /** The refresh token; never logged nor put into an error. */
  refreshToken: string;
}

/**
 * A registry credential. `undefined` where a credential is expected means
 * anonymous access.
 */
export type Credential = BasicCredential | RefreshTokenCredential;

/** What a config says about a host. */
export type ConfigLookup =
  | { credential: Credential; helper?: undefined }
  | { helper: string; credential?: undefined };

/**
 * Finds `host` (`host[:port]`) in a parsed Docker config: `auths` by exact
 * key, then without the port, then keys written as URLs
 * (`https://host/v1/`); `identitytoken` wins over `auth`; an `auth` that does
 * not decode to `user:password` counts as absent. Then `credHelpers[host]`
 * and finally `credsStore` name a credential helper to ask.
 *
 * Every secret of `config` (all hosts' entries) is registered for
 * redaction: a config that was read counts as loaded.
 */
export function lookupDockerConfig(
  config: unknown,
  host: string,
): ConfigLookup | undefined {
  if (!isRecord(config)) return undefined;
  registerDockerConfigSecrets(config);
  const candidates = hostCandidates(host);
  const auths = isRecord(config.auths) ? config.auths : undefined;
  if (auths) {
    for (const key of candidates) {
      const cred = entryCredential(auths[key]);
      if (cred) return { credential: cred };
    }
    for (const [key, entry] of Object.entries(auths)) {
      const normalized = normalizeKey(key);
      if (normalized === key || !candidates.includes(normalized)) continue;
      const cred = entryCredential(entry);
      if (cred) return { credential: cred };
    }
  }
  const helpers = isRecord(config.credHelpers) ? config.credHelpers : undefined;
  if (helpers) {
    for (const key of candidates) {
      const name = helpers[key];
      if (typeof name === "string" && name) return { helper: name };
    }
  }
  if (typeof config.credsStore === "string" && config.credsStore) {
    return { helper: config.credsStore };
  }
  return undefined;
}

/** `host:port` first, then `host` alone (when there is a port). */
function hostCandidates(host: string): string[] {
  const out = [host];
  const colon = host.lastIndexOf(":");
  // A colon at index 0, or one inside an IPv6 literal, is not a port.
  if (colon > 0 && !host.endsWith("]") && /^\d+$/.test(host.slice(colon + 1))) {
    out.push(host.slice(0, colon));
  }
  return out;
}

function normalizeKey(key: string): string {
  let k = key.replace(/^https?:\/\//, "");
  const slash = k.indexOf("/");
  if (slash >= 0) k = k.slice(0, slash);
  return k;
}

function entryCredential(entry: unknown): Credential | undefined {
  if (!isRecord(entry)) return undefined;
  const identity = entry.identitytoken ?? entry.identityToken;
  if (typeof identity === "string" && identity) {
    return { refreshToken: identity };
  }
  if (typeof entry.auth !== "string" || !entry.auth) return undefined;
  const decoded = decodeBase64Text(entry.auth);
  if (decoded === undefined) return undefined;
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}

/**
 * Decodes standard base64 (whitespace and line breaks ignored) as UTF-8;
 * `undefined` when it is not base64.
 */
export function decodeBase64Text(s: string): string | undefined {
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
