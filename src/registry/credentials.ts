/**
 * The credential chain: where the client finds the login for a registry
 * host, in order (first hit wins):
 *
 * 1. the environment variable named by `registryAuthEnv`, holding a base64
 *    Docker config JSON (line breaks inside are ignored);
 * 2. `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (`auths`,
 *    then `credHelpers`, then `credsStore`);
 * 3. `$REGISTRY_AUTH_FILE`;
 * 4. `$XDG_RUNTIME_DIR/containers/auth.json`;
 * 5. `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config`);
 * 6. anonymous.
 *
 * A source that is missing, unreadable or malformed is skipped. Secrets are
 * never logged nor put into errors, and every secret of a source that was
 * read is registered for redaction (`src/_redact.ts`), so an echo of it by
 * a registry is caught too.
 *
 * @module
 */
import {
  type Credential,
  decodeBase64Text,
  lookupDockerConfig,
} from "./docker_config.ts";
import { join } from "node:path";
import { runCredentialHelper } from "./credential_helper.ts";
import { registerCredential, registerDockerConfigSecrets } from "../_redact.ts";

/** Returns the credential for `host[:port]`, or `undefined` (anonymous). */
export type CredentialProvider = (
  host: string,
) => Promise<Credential | undefined>;

/** Options of {@linkcode resolveCredential}. */
export interface CredentialOptions {
  /** Name of an environment variable holding a base64 Docker config. */
  registryAuthEnv?: string;
  /**
   * The environment to read (`DOCKER_CONFIG`, `HOME`, …). Default: the
   * process environment where the runtime has one.
   */
  env?: Record<string, string | undefined>;
  /** The home directory. Default `$HOME` (or `%USERPROFILE%`). */
  homeDir?: string;
  /** Whether to run credential helpers (default true). */
  credentialHelpers?: boolean;
}

/**
 * Looks up the credential for `host` (`host[:port]`, as in the URL)
 * through the chain described in this module.
 */
export async function resolveCredential(
  host: string,
  options: CredentialOptions = {},
): Promise<Credential | undefined> {
  const credential = await lookupCredential(host, options);
  // Also covers the forms a source does not spell out (base64 user:pass).
  registerCredential(credential);
  return credential;
}

async function lookupCredential(
  host: string,
  options: CredentialOptions,
): Promise<Credential | undefined> {
  const env = options.env ?? processEnv();
  const get = (name: string): string | undefined => {
    try {
      const v = env[name];
      return typeof v === "string" && v !== "" ? v : undefined;
    } catch {
      // Deno without --allow-env throws on access: treat as unset.
      return undefined;
    }
  };
  const helperEnv = options.env;
  const helpers = options.credentialHelpers ?? true;
  const fromConfig = async (
    config: unknown,
  ): Promise<Credential | undefined> => {
    const hit = lookupDockerConfig(config, host);
    if (!hit) return undefined;
    if (hit.credential) return hit.credential;
    if (!helpers) return undefined;
    return await runCredentialHelper(hit.helper, host, { env: helperEnv });
  };

  if (options.registryAuthEnv) {
    const raw = get(options.registryAuthEnv);
    if (raw) {
      registerDockerConfigSecrets(raw);
      const text = decodeBase64Text(raw);
      const config = text === undefined ? undefined : parseJson(text);
      const cred = await fromConfig(config);
      if (cred) return cred;
    }
  }

  const home = options.homeDir ?? get("HOME") ?? get("USERPROFILE");
  const files: string[] = [];
  const dockerConfig = get("DOCKER_CONFIG");
  if (dockerConfig) files.push(join(dockerConfig, "config.json"));
  else if (home) files.push(join(home, ".docker", "config.json"));
  const authFile = get("REGISTRY_AUTH_FILE");
  if (authFile) files.push(authFile);
  const runtimeDir = get("XDG_RUNTIME_DIR");
  if (runtimeDir) files.push(join(runtimeDir, "containers", "auth.json"));
  const configHome = get("XDG_CONFIG_HOME") ??
    (home ? join(home, ".config") : undefined);
  if (configHome) files.push(join(configHome, "containers", "auth.json"));

  for (const file of files) {
    const text = await readText(file);
    if (text === undefined) continue;
    const cred = await fromConfig(parseJson(text));
    if (cred) return cred;
  }
  return undefined;
}

/**
 * A {@linkcode CredentialProvider} over {@linkcode resolveCredential} that
 * asks once per host and remembers the answer.
 */
export function credentialChain(
  options: CredentialOptions = {},
): CredentialProvider {
  const memo = new Map<string, Promise<Credential | undefined>>();
  return (host) => {
    let p = memo.get(host);
    if (!p) {
      p = resolveCredential(host, options);
      memo.set(host, p);
    }
    return p;
  };
}

function processEnv(): Record<string, string | undefined> {
  try {
    const p = (globalThis as { process?: { env?: Record<string, string> } })
      .process;
    return p?.env ?? {};
  } catch {
    return {};
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    const fs = await import("node:fs/promises");
    return await fs.readFile(path, "utf8");
  } catch {
    return undefined;
  }
}
