/**
 * Keyless-signed and unsigned plugins for the keyless verification tests
 * of the workerd suite: `keyless` is pushed with the library's keyless
 * signing (an ephemeral key, a certificate from the local mock Fulcio, an
 * entry in the local mock Rekor; a sigstore bundle as an OCI referrer),
 * `unsigned` without a signature, both at `v1.0.0` under their own base
 * `<host>/klaus-keyless`, so the other tests' listings do not change.
 *
 *   deno run -A test/worker/seed_keyless.ts <host:port> <sigstore-url>
 *
 * The signer is `SEED_SUBJECT` from `SEED_ISSUER` (default
 * {@linkcode TEST_SUBJECT} from {@linkcode TEST_ISSUER}); the identity
 * token is `SEED_IDENTITY_TOKEN` when set (it must claim them), else an
 * unsigned token for them that the mock Fulcio accepts. Prints one JSON
 * line: `{base, digests, subject, issuer}`.
 *
 * @module
 */
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import {
  identityTokenFor,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";
import { FIXTURES_DIR } from "./seed_registry.ts";

/** The plugin base the keyless fixtures live under. */
export function keylessBase(host: string): string {
  return `${host}/klaus-keyless`;
}

/** What {@linkcode seedKeyless} pushed. */
export interface KeylessFixtures {
  /** The plugin base (`<host>/klaus-keyless`). */
  base: string;
  /** Manifest digest per plugin name (`keyless`, `unsigned`), at `v1.0.0`. */
  digests: Record<string, string>;
  /** The certificate identity the signature names. */
  subject: string;
  /** The OIDC issuer the certificate names. */
  issuer: string;
}

/** Options of {@linkcode seedKeyless}. */
export interface SeedKeylessOptions {
  /** Fulcio base URL. */
  fulcioUrl: string;
  /** Rekor base URL. */
  rekorUrl: string;
  /**
   * The OIDC identity token (default an unsigned one for
   * {@linkcode TEST_SUBJECT} from {@linkcode TEST_ISSUER}).
   */
  identityToken?: string;
  /**
   * The subject the token claims (default {@linkcode TEST_SUBJECT}): the
   * token made when none is given claims it; a given one must.
   */
  subject?: string;
  /** The issuer the token claims (default {@linkcode TEST_ISSUER}). */
  issuer?: string;
}

/**
 * Pushes `keyless` (keyless-signed through `options`' Fulcio and Rekor)
 * and `unsigned`, with distinct content, to `<host>/klaus-keyless` over
 * plain HTTP.
 */
export async function seedKeyless(
  host: string,
  options: SeedKeylessOptions,
): Promise<KeylessFixtures> {
  const base = keylessBase(host);
  const subject = options.subject ?? TEST_SUBJECT;
  const issuer = options.issuer ?? TEST_ISSUER;
  const identityToken = options.identityToken ??
    identityTokenFor(subject, { issuer });
  const source = join(FIXTURES_DIR, "plugins", "churn");
  const plugin = await readPluginFromDir(source);
  const client = new Client({ plainHttp: true });
  const digests: Record<string, string> = {};
  try {
    const push = async (name: string, sign: boolean) => {
      const { digest } = await client.pushPlugin(
        source,
        `${base}/${name}:v1.0.0`,
        { ...plugin, name, description: `${name} (keyless fixture)` },
        sign
          ? {
            sign: {
              identityToken,
              fulcioUrl: options.fulcioUrl,
              rekorUrl: options.rekorUrl,
            },
          }
          : {},
      );
      digests[name] = digest;
    };
    await push("keyless", true);
    await push("unsigned", false);
  } finally {
    await client.close();
  }
  return { base, digests, subject, issuer };
}

if (import.meta.main) {
  const [host, sigstoreUrl] = Deno.args;
  if (!host || !sigstoreUrl) {
    console.error("usage: seed_keyless.ts <host:port> <sigstore-url>");
    Deno.exit(2);
  }
  const env = (name: string) => Deno.env.get(name) || undefined;
  console.log(JSON.stringify(
    await seedKeyless(host, {
      fulcioUrl: sigstoreUrl,
      rekorUrl: sigstoreUrl,
      identityToken: env("SEED_IDENTITY_TOKEN"),
      subject: env("SEED_SUBJECT"),
      issuer: env("SEED_ISSUER"),
    }),
  ));
}
