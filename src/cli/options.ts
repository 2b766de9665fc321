/**
 * Flags, environment variables, and the client options they make.
 * Flags beat environment variables.
 *
 * @module
 */

import { homedir } from "node:os";
import { join } from "node:path";
import type { ProgressEvent } from "../oci/store.ts";
import type { Kind } from "./kind.ts";
import { UsageError } from "./usage.ts";

/** The environment variable holding a base64 Docker config. */
export const AUTH_ENV = "KLAUS_OCI_REGISTRY_AUTH";
/** The environment variable naming the cache directory. */
export const CACHE_DIR_ENV = "KLAUS_OCI_CACHE_DIR";
/** The environment variable disabling the cache. */
export const NO_CACHE_ENV = "KLAUS_OCI_NO_CACHE";
/** The passphrase of an encrypted signing key (cosign's name). */
export const COSIGN_PASSWORD_ENV = "COSIGN_PASSWORD";
/** The OIDC identity token of keyless signing (cosign's name). */
export const SIGSTORE_ID_TOKEN_ENV = "SIGSTORE_ID_TOKEN";

/**
 * Every flag the command line knows, in `node:util` `parseArgs` form.
 * Command-specific flags are checked against the command after parsing.
 */
export const FLAGS = {
  json: { type: "boolean" },
  "plain-http": { type: "boolean" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  concurrency: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  registry: { type: "string" },
  deps: { type: "boolean" },
  "no-deps": { type: "boolean" },
  referrers: { type: "boolean" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  "sign-key": { type: "string" },
  "verify-key": { type: "string" },
  sign: { type: "boolean" },
  "identity-token": { type: "string" },
  "fulcio-url": { type: "string" },
  "rekor-url": { type: "string" },
  "oidc-issuer": { type: "string" },
  "oidc-client-id": { type: "string" },
  verify: { type: "boolean" },
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  "certificate-oidc-issuer-regexp": { type: "string" },
  "trusted-root": { type: "string" },
  "tuf-mirror-url": { type: "string" },
  "tuf-root": { type: "string" },
  "tuf-force-cache": { type: "boolean" },
} as const;

/**
 * The parsed flag values (`parseArgs` `values`).
 */
export interface FlagValues {
  json?: boolean;
  "plain-http"?: boolean;
  "cache-dir"?: string;
  "no-cache"?: boolean;
  concurrency?: string;
  quiet?: boolean;
  help?: boolean;
  version?: boolean;
  registry?: string;
  deps?: boolean;
  "no-deps"?: boolean;
  referrers?: boolean;
  "dry-run"?: boolean;
  /** pull: replace a non-empty directory no pull made. */
  force?: boolean;
  /** push: sign with this private key file (PKCS#8 or cosign's encrypted PEM). */
  "sign-key"?: string;
  /** pull, describe: verify the signature with this public key file (SPKI PEM). */
  "verify-key"?: string;
  /** push: sign keylessly (Fulcio + Rekor, an OIDC identity token). */
  sign?: boolean;
  /** push --sign: read the identity token from this file. */
  "identity-token"?: string;
  /** push --sign: Fulcio's base URL. */
  "fulcio-url"?: string;
  /** push --sign: Rekor's base URL. */
  "rekor-url"?: string;
  /** push --sign: the OIDC provider of the browser sign-in. */
  "oidc-issuer"?: string;
  /** push --sign: the client id at that provider. */
  "oidc-client-id"?: string;
  /** describe: check the signatures under the policy flags. */
  verify?: boolean;
  /** pull, describe: the certificate identity a keyless signature must name. */
  "certificate-identity"?: string;
  /** pull, describe: a regular expression for the certificate identity. */
  "certificate-identity-regexp"?: string;
  /** pull, describe: the OIDC issuer a keyless signature must name. */
  "certificate-oidc-issuer"?: string;
  /** pull, describe: a regular expression for the OIDC issuer. */
  "certificate-oidc-issuer-regexp"?: string;
  /** pull, describe: the sigstore trusted root (trusted_root.json). */
  "trusted-root"?: string;
  /** pull, describe: the TUF mirror the trusted root comes from. */
  "tuf-mirror-url"?: string;
  /** pull, describe: the TUF repository's initial root.json. */
  "tuf-root"?: string;
  /** pull, describe: use cached, unexpired TUF metadata without asking the mirror. */
  "tuf-force-cache"?: boolean;
}

/**
 * Reads one environment variable (`undefined` when unset or not allowed).
 */
export type EnvGetter = (name: string) => string | undefined;

/**
 * The options every command shares, flags and environment combined.
 */
export interface GlobalOptions {
  /** Print one JSON document. */
  json: boolean;
  /** Use http:// for registries. */
  plainHttp: boolean;
  /** No progress bars. */
  quiet: boolean;
  /** Cache directory; `undefined` when the cache is off. */
  cacheDir: string | undefined;
  /** Most concurrent registry operations; `undefined` for the default. */
  concurrency?: number;
  /** Registry base for the kind's short names and listing. */
  registry?: string;
  /** `COSIGN_PASSWORD`, read only when `--sign-key` is given. */
  cosignPassword?: string;
  /** `SIGSTORE_ID_TOKEN`, read only when `--sign` is given. */
  identityToken?: string;
}

/**
 * True for the truthy spellings klausctl accepts: `1`, `true`, `yes`, `on`
 * (any case).
 */
export function isTruthy(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

function home(env: EnvGetter): string {
  const h = env("HOME");
  if (h) return h;
  try {
    return homedir();
  } catch {
    return ".";
  }
}

/**
 * Expands a leading `~/` (or a lone `~`) to the home directory.
 */
export function expandHome(path: string, env: EnvGetter): string {
  if (path === "~") return home(env);
  if (path.startsWith("~/")) return join(home(env), path.slice(2));
  return path;
}

/**
 * `$XDG_CACHE_HOME/klaus-oci`, else `~/.cache/klaus-oci`.
 */
export function defaultCacheDir(env: EnvGetter): string {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "klaus-oci");
  return join(home(env), ".cache", "klaus-oci");
}

/**
 * The cache directory, or `undefined` when the cache is off. `--no-cache`
 * wins over everything; `--cache-dir` wins over both environment variables;
 * then `KLAUS_OCI_NO_CACHE`, then `KLAUS_OCI_CACHE_DIR`, then the default.
 */
export function cacheDirFrom(
  flags: FlagValues,
  env: EnvGetter,
): string | undefined {
  if (flags["no-cache"]) return undefined;
  const flagDir = flags["cache-dir"];
  if (flagDir !== undefined) {
    if (flagDir.trim() === "") {
      throw new UsageError("--cache-dir needs a directory");
    }
    return expandHome(flagDir, env);
  }
  if (isTruthy(env(NO_CACHE_ENV))) return undefined;
  const envDir = env(CACHE_DIR_ENV);
  if (envDir) return expandHome(envDir, env);
  return defaultCacheDir(env);
}

/**
 * Combines flags and environment into {@linkcode GlobalOptions}; throws
 * {@linkcode UsageError} for a bad flag value.
 */
export function globalOptions(
  flags: FlagValues,
  env: EnvGetter,
): GlobalOptions {
  const options: GlobalOptions = {
    json: flags.json ?? false,
    plainHttp: flags["plain-http"] ?? false,
    quiet: flags.quiet ?? false,
    cacheDir: cacheDirFrom(flags, env),
  };
  if (flags.concurrency !== undefined) {
    const text = flags.concurrency.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(
        `--concurrency must be a positive integer, got "${flags.concurrency}"`,
      );
    }
    options.concurrency = n;
  }
  for (const flag of ["sign-key", "verify-key"] as const) {
    if (flags[flag] !== undefined && flags[flag].trim() === "") {
      throw new UsageError(`--${flag} needs a key file`);
    }
  }
  for (
    const [flag, what] of [
      ["identity-token", "a token file"],
      ["trusted-root", "a trusted root file (trusted_root.json)"],
      ["tuf-mirror-url", "a URL"],
      ["tuf-root", "a TUF root file (root.json)"],
      ["fulcio-url", "a URL"],
      ["oidc-issuer", "an issuer URL"],
      ["oidc-client-id", "a client id"],
      ["rekor-url", "a URL"],
      ["certificate-identity", "an identity"],
      ["certificate-identity-regexp", "a regular expression"],
      ["certificate-oidc-issuer", "an issuer URL"],
      ["certificate-oidc-issuer-regexp", "a regular expression"],
    ] as const
  ) {
    if (flags[flag] !== undefined && flags[flag].trim() === "") {
      throw new UsageError(`--${flag} needs ${what}`);
    }
  }
  if (flags["sign-key"] !== undefined) {
    options.cosignPassword = env(COSIGN_PASSWORD_ENV);
  }
  if (flags.sign) {
    const token = env(SIGSTORE_ID_TOKEN_ENV);
    if (token !== undefined && token.trim() !== "") {
      options.identityToken = token.trim();
    }
  }
  if (flags.registry !== undefined) {
    const base = flags.registry.trim().replace(/\/+$/, "");
    if (base === "") throw new UsageError("--registry needs a registry base");
    options.registry = base;
  }
  return options;
}

/**
 * The options the CLI gives `new Client(…)`: a structural subset of the
 * library's `ClientOptions`.
 */
export interface CliClientOptions {
  /** http:// instead of https://. */
  plainHttp?: boolean;
  /** Env var holding a base64 Docker config. */
  registryAuthEnv?: string;
  /** Most concurrent operations. */
  concurrency?: number;
  /** Short-name bases per kind. */
  registries?: { plugin?: string; personality?: string; toolchain?: string };
  /** Response cache (absent: off). */
  cache?: { dir?: string };
  /** Blob transfer progress. */
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * The client options for one command run.
 */
export function clientOptions(
  globals: GlobalOptions,
  kind: Kind,
  onProgress?: (event: ProgressEvent) => void,
): CliClientOptions {
  const options: CliClientOptions = {
    plainHttp: globals.plainHttp,
    registryAuthEnv: AUTH_ENV,
  };
  if (globals.concurrency !== undefined) {
    options.concurrency = globals.concurrency;
  }
  if (globals.registry !== undefined) {
    options.registries = { [kind]: globals.registry };
  }
  if (globals.cacheDir !== undefined) {
    options.cache = { dir: globals.cacheDir };
  }
  if (onProgress) options.onProgress = onProgress;
  return options;
}
