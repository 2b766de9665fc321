/**
 * Asking a Docker credential helper (`docker-credential-<name> get`) for a
 * host's credential. Helpers are separate programs, so this only works
 * where the runtime can spawn processes; elsewhere (Cloudflare Workers) the
 * lookup quietly finds nothing.
 *
 * @module
 */
import type { Credential } from "./docker_config.ts";
import { registerCredential } from "../_redact.ts";
import { concatBytes } from "../_bytes.ts";

/** Options of {@linkcode runCredentialHelper}. */
export interface CredentialHelperOptions {
  /** Environment of the helper process (its `PATH` finds the helper). */
  env?: Record<string, string | undefined>;
  /** Kill the helper after this long (milliseconds, default 10 000). */
  timeoutMs?: number;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_OUTPUT = 64 * 1024;

/**
 * Runs `docker-credential-<name> get` with `host` on stdin and returns the
 * credential it prints (`{"Username","Secret"}`; the user name `<token>`
 * marks an identity token). Any failure — no such program, a non-zero
 * exit, unparsable output, no process support — yields `undefined`; the
 * helper's output is never put into an error or a log, and the secret it
 * returns is registered for redaction.
 */
export async function runCredentialHelper(
  name: string,
  host: string,
  options: CredentialHelperOptions = {},
): Promise<Credential | undefined> {
  // The name comes from a config file: never let it choose a path.
  if (!HELPER_NAME.test(name)) return undefined;
  let spawn: typeof import("node:child_process").spawn;
  try {
    ({ spawn } = await import("node:child_process"));
    if (typeof spawn !== "function") return undefined;
  } catch {
    return undefined;
  }
  let stdout: string;
  try {
    stdout = await run(spawn, `docker-credential-${name}`, host, options);
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { Username: username, Secret: secret } = parsed as Record<
    string,
    unknown
  >;
  if (typeof secret !== "string" || !secret) return undefined;
  const credential: Credential = username === "<token>"
    ? { refreshToken: secret }
    : {
      username: typeof username === "string" ? username : "",
      password: secret,
    };
  // The helper's answer is a loaded secret: never echoed, whoever echoes it.
  registerCredential(credential);
  return credential;
}

function run(
  spawn: typeof import("node:child_process").spawn,
  command: string,
  input: string,
  options: CredentialHelperOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v !== undefined) env[k] = v;
    }
    const child = spawn(command, ["get"], {
      env: options.env ? env : undefined,
      stdio: ["pipe", "pipe", "ignore"],
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: Error, out?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(out ?? "");
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new Error("credential helper timed out"));
    }, options.timeoutMs ?? 10_000);
    child.on("error", (e) => finish(e));
    child.stdout?.on("data", (c: Uint8Array) => {
      size += c.byteLength;
      if (size > MAX_OUTPUT) {
        child.kill("SIGKILL");
        finish(new Error("credential helper output too large"));
        return;
      }
      chunks.push(c);
    });
    child.on("close", (code) => {
      if (code !== 0) {
        finish(new Error("credential helper failed"));
        return;
      }
      finish(undefined, new TextDecoder().decode(concatBytes(chunks)));
    });
    child.stdin?.on(
      "error",
      () => {/* helper exited early; "close" reports */},
    );
    child.stdin?.end(input);
  });
}
