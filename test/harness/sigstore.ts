/**
 * Local sigstore services (mock Fulcio with a CT log, Rekor v1 and v2, RFC
 * 3161 timestamp authorities, a TUF repository with the matching trusted
 * root) from the sigstore project's
 * own npm packages, served over HTTP on loopback by
 * `sigstore_services.mjs` under Node 22 from node_modules; and the
 * sigstore CLI (`@sigstore/cli`) pointed at them. Never the public-good
 * instances.
 */
import { hasCommand, inCI } from "./require.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Node 22 from node_modules (the @sigstore packages require it). */
export const NODE = `${ROOT}node_modules/node/bin/node`;
const CLI = `${ROOT}node_modules/@sigstore/cli/bin/run`;
const SERVICES = `${ROOT}test/harness/sigstore_services.mjs`;

/** A signer identity of the tests (a CI workflow, as GitHub's). */
export const TEST_SUBJECT =
  "https://github.com/klaus/ci/.github/workflows/release.yml@refs/heads/main";

/** The OIDC issuer claimed by identity tokens unless told otherwise. */
export const TEST_ISSUER = "https://token.actions.example";

const warned = { done: false };

/**
 * `true` when the sigstore peers (Node 22, @sigstore/cli, @sigstore/mock
 * in node_modules) are absent on a developer machine (tests are then
 * ignored, loudly); throws in CI.
 */
export function missingSigstore(): boolean {
  if (hasCommand(NODE) && hasCommand(CLI)) return false;
  const what = "the sigstore peers (npm ci: node 22, @sigstore/cli, " +
    "@sigstore/mock)";
  if (inCI()) throw new Error(`required real component missing in CI: ${what}`);
  if (!warned.done) {
    warned.done = true;
    console.error(
      `\n!!! SKIPPING tests that need ${what}: not installed.` +
        ` These tests are NOT passing, they are not run. CI=true makes this a failure.\n`,
    );
  }
  return true;
}

/** What a sigstore CLI run printed. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of an identity token. */
export interface TokenOptions {
  /** The `iss` claim (default {@linkcode TEST_ISSUER}). */
  issuer?: string;
  /** An `email` claim (verified): Fulcio then certifies the email. */
  email?: string;
}

/**
 * How the reference signer anchors a bundle (`/_sign` of
 * `sigstore_services.mjs`): which timestamp authority stamps the signature
 * and which Rekor API records it.
 */
export interface AnchorOptions {
  /**
   * An RFC 3161 timestamp over the signature: `true` from the trusted TSA,
   * `"other-ca"` from a TSA whose chain is not in the trusted root,
   * `"late"` from a trusted TSA whose clock runs 30 minutes ahead (its
   * genTime is after the Fulcio certificate expired), `"rsa"` and
   * `"ed25519"` from trusted TSAs with RSA 2048 (PKCS#1 v1.5) and Ed25519
   * keys. Default: none.
   */
  tsa?: boolean | "other-ca" | "late" | "rsa" | "ed25519";
  /**
   * The transparency log entry: `"v1"` (default; hashedrekord 0.0.1 or
   * intoto 0.0.2 with SET and inclusion proof), `"v2"` (hashedrekord or
   * dsse 0.0.2: inclusion proof and checkpoint only, no time) or `"none"`.
   */
  rekor?: "v1" | "v2" | "none";
}

/** Options of {@linkcode SigstoreServices.signBlob}. */
export type SignBlobOptions = TokenOptions & AnchorOptions;

/** Options of {@linkcode SigstoreServices.attest}. */
export type AttestOptions = TokenOptions & AnchorOptions & {
  /** The DSSE payload type (default the in-toto statement type). */
  payloadType?: string;
};

/** Running local sigstore services. */
export interface SigstoreServices {
  /** Base URL of all services (Fulcio, Rekor, TUF share one origin). */
  url: string;
  /** Fulcio base URL. */
  fulcioUrl: string;
  /** Rekor base URL. */
  rekorUrl: string;
  /** TUF mirror URL (metadata at the root, targets below `/targets`). */
  tufUrl: string;
  /** The trusted root (trusted_root.json) as JSON text. */
  trustedRoot: string;
  /** A file holding `trustedRoot`. */
  trustedRootPath: string;
  /** A file holding the TUF repository's initial `root.json`. */
  tufRootPath: string;
  /** A private directory for the test (removed by `close`). */
  dir: string;
  /**
   * An OIDC identity token for `subject` (the mock Fulcio reads claims
   * without checking the token's signature, so it is unsigned).
   */
  identityToken(subject: string, options?: TokenOptions): string;
  /**
   * A messageSignature bundle over `data`, made by `@sigstore/sign`
   * (anchored by a Rekor v1 entry unless `options` say otherwise).
   */
  signBlob(
    data: Uint8Array,
    subject: string,
    options?: SignBlobOptions,
  ): Promise<string>;
  /**
   * A DSSE bundle over `payload`, made by `@sigstore/sign` (as attest;
   * anchored by a Rekor v1 intoto entry unless `options` say otherwise).
   */
  attest(
    payload: Uint8Array,
    subject: string,
    options?: AttestOptions,
  ): Promise<string>;
  /**
   * Runs `sigstore <args>` (the @sigstore/cli) under Node 22 with `env`
   * added; `verify` gets the TUF flags for these services appended.
   */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Stops the services and removes `dir`. */
  close(): Promise<void>;
}

function b64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * An OIDC identity token for `subject` that the mock Fulcio of
 * `sigstore_services.mjs` accepts (it reads the claims without checking
 * the signature, so the token is unsigned): issuer
 * {@linkcode TEST_ISSUER} unless `options` say otherwise, valid for ten
 * minutes.
 */
export function identityTokenFor(
  subject: string,
  options: TokenOptions = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.issuer ?? TEST_ISSUER,
    sub: subject,
    aud: "sigstore",
    iat: now,
    exp: now + 600,
  };
  if (options.email) {
    claims.email = options.email;
    claims.email_verified = true;
  }
  return `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
    b64url(JSON.stringify(claims))
  }.unsigned`;
}

async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => reader.cancel("timeout"), 30_000);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
  return text.split("\n")[0];
}

/** Starts the services (about a second); `close` them when done. */
export async function startSigstoreServices(): Promise<SigstoreServices> {
  const dir = await Deno.makeTempDir({ prefix: "klaus-sigstore-" });
  const child = new Deno.Command(NODE, {
    args: [SERVICES],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const line = await readLine(child.stdout);
  if (!line) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw new Error(`sigstore services did not start: ${await stderr}`);
  }
  const started = JSON.parse(line) as {
    url: string;
    trustedRoot: string;
    tufRoot: string;
  };
  const { url } = started;
  const trustedRootPath = `${dir}/trusted_root.json`;
  const tufRootPath = `${dir}/root.json`;
  await Deno.writeTextFile(trustedRootPath, started.trustedRoot);
  await Deno.writeTextFile(tufRootPath, started.tufRoot);
  let tufCaches = 0;

  const identityToken = identityTokenFor;

  const sign = async (body: Record<string, unknown>) => {
    const res = await fetch(`${url}/_sign`, {
      method: "POST",
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sigstore sign: ${res.status} ${text}`);
    return text;
  };

  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    tufUrl: url,
    trustedRoot: started.trustedRoot,
    trustedRootPath,
    tufRootPath,
    dir,
    identityToken,
    signBlob: (data, subject, options) =>
      sign({
        kind: "blob",
        payload: base64(data),
        token: identityToken(subject, options),
        tsa: options?.tsa ?? false,
        rekor: options?.rekor ?? "v1",
      }),
    attest: (payload, subject, options) =>
      sign({
        kind: "dsse",
        payload: base64(payload),
        payloadType: options?.payloadType ?? "application/vnd.in-toto+json",
        token: identityToken(subject, options),
        tsa: options?.tsa ?? false,
        rekor: options?.rekor ?? "v1",
      }),
    async cli(args, env = {}) {
      const full = [...args];
      if (args[0] === "verify") {
        // A fresh cache each time: nothing carries over between checks.
        full.push(
          "--tuf-mirror-url",
          url,
          "--tuf-root-path",
          tufRootPath,
          "--tuf-cache-path",
          `${dir}/tuf-cache-${tufCaches++}`,
        );
      }
      const out = await new Deno.Command(NODE, {
        args: [CLI, ...full],
        cwd: dir,
        env: { NO_COLOR: "1", ...env },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const dec = new TextDecoder();
      return {
        code: out.code,
        stdout: dec.decode(out.stdout),
        stderr: dec.decode(out.stderr),
      };
    },
    async close() {
      try {
        await child.stdin.close();
      } catch { /* closed */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5_000);
      await child.status;
      clearTimeout(timer);
      await stderr;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
