/**
 * The verification policy of `pull` and `describe --verify`, from cosign's
 * flags: `--verify-key FILE`, or `--certificate-identity[-regexp]` with
 * `--certificate-oidc-issuer[-regexp]` under the sigstore trusted root —
 * `--trusted-root FILE`, else through TUF (`--tuf-mirror-url`,
 * `--tuf-root`, `--tuf-force-cache`; the public-good repository by
 * default, its metadata cached below the cache directory); and how the
 * signatures found are shown.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { untrustedText } from "../_redact.ts";
import { InvalidArtifactError, type SignatureFailure } from "../errors.ts";
import type {
  SignatureResult,
  VerificationPolicy,
} from "../sign/verify_artifact.ts";
import { refusalOf } from "../sign/refusal.ts";
import { DEFAULT_TUF_MIRROR_URL } from "../sign/tuf/default_mirror.ts";
import type { CommandContext } from "./context.ts";
import type { GlobalOptions } from "./options.ts";
import type { Style } from "./output.ts";
import { UsageError } from "./usage.ts";

/** The policy flags (what `--verify` and `pull` read). */
export const POLICY_FLAGS = [
  "verify-key",
  "certificate-identity",
  "certificate-identity-regexp",
  "certificate-oidc-issuer",
  "certificate-oidc-issuer-regexp",
  "trusted-root",
  "tuf-mirror-url",
  "tuf-root",
  "tuf-force-cache",
] as const;

/** The TUF flags: where the trusted root comes from without `--trusted-root`. */
const TUF_FLAGS = ["tuf-mirror-url", "tuf-root", "tuf-force-cache"] as const;

/** The TUF cache below the CLI's cache directory. */
export const TUF_CACHE_SUBDIR = "tuf";

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new InvalidArtifactError(
      `reading ${what} ${file}: ${(e as Error).message}`,
    );
  }
}

/**
 * The policy the flags of `ctx` ask for, read and checked before any
 * request (`undefined` when none is asked for). cosign's rules: an
 * identity needs an issuer and an issuer an identity (exact or regular
 * expression, not both of one). Keyless checks use `--trusted-root` when
 * given, else the trusted root through TUF (cached in
 * `<cache dir>/tuf` unless the cache is off); the TUF flags and
 * `--trusted-root` exclude each other, and a mirror other than the
 * public-good one needs `--tuf-root`. Breaking the rules is a usage
 * error; an unreadable key, trusted root or TUF root fails the command.
 */
export async function policyFromFlags(
  ctx: Pick<CommandContext, "flags" | "kind" | "command"> & {
    globals?: Pick<GlobalOptions, "cacheDir">;
  },
): Promise<VerificationPolicy | undefined> {
  const f = ctx.flags;
  const topic = { kind: ctx.kind, command: ctx.command };
  const usage = (message: string) => new UsageError(message, topic);
  const identity = f["certificate-identity"];
  const identityRe = f["certificate-identity-regexp"];
  const issuer = f["certificate-oidc-issuer"];
  const issuerRe = f["certificate-oidc-issuer-regexp"];
  const rootFile = f["trusted-root"];
  const keyFile = f["verify-key"];
  if (identity !== undefined && identityRe !== undefined) {
    throw usage(
      "--certificate-identity and --certificate-identity-regexp exclude each other",
    );
  }
  if (issuer !== undefined && issuerRe !== undefined) {
    throw usage(
      "--certificate-oidc-issuer and --certificate-oidc-issuer-regexp exclude each other",
    );
  }
  const hasIdentity = identity !== undefined || identityRe !== undefined;
  const hasIssuer = issuer !== undefined || issuerRe !== undefined;
  if (hasIdentity && !hasIssuer) {
    throw usage(
      "--certificate-identity needs --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp), as cosign",
    );
  }
  if (hasIssuer && !hasIdentity) {
    throw usage(
      "--certificate-oidc-issuer needs --certificate-identity (or --certificate-identity-regexp), as cosign",
    );
  }
  if (rootFile !== undefined && !hasIdentity) {
    throw usage(
      "--trusted-root needs --certificate-identity and --certificate-oidc-issuer",
    );
  }
  const tufFlag = TUF_FLAGS.find((flag) => f[flag] !== undefined);
  if (tufFlag !== undefined && rootFile !== undefined) {
    throw usage(
      `--${tufFlag} and --trusted-root exclude each other (the trusted root comes from TUF or from the file)`,
    );
  }
  if (tufFlag !== undefined && !hasIdentity) {
    throw usage(
      `--${tufFlag} needs --certificate-identity and --certificate-oidc-issuer`,
    );
  }
  const mirror = f["tuf-mirror-url"]?.trim().replace(/\/+$/, "");
  if (mirror !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(mirror);
    } catch { /* below */ }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw usage(
        `--tuf-mirror-url: ${JSON.stringify(mirror)} is not an http(s) URL`,
      );
    }
    if (mirror !== DEFAULT_TUF_MIRROR_URL && f["tuf-root"] === undefined) {
      throw usage(
        "--tuf-mirror-url needs --tuf-root FILE (the mirror's initial root.json; the embedded one is the public-good repository's)",
      );
    }
  }
  for (
    const [flag, re] of [
      ["certificate-identity-regexp", identityRe],
      ["certificate-oidc-issuer-regexp", issuerRe],
    ] as const
  ) {
    if (re === undefined) continue;
    try {
      new RegExp(re);
    } catch (e) {
      throw usage(`--${flag}: ${(e as Error).message}`);
    }
  }
  if (keyFile === undefined && !hasIdentity) return undefined;

  const policy: VerificationPolicy = {};
  if (keyFile !== undefined) {
    const pem = await readText(keyFile, "verification key");
    const { importPublicKeyPem } = await import("../sign/keys.ts");
    await importPublicKeyPem(pem);
    policy.publicKeys = [pem];
  }
  if (hasIdentity && rootFile !== undefined) {
    const root = await readText(rootFile, "trusted root");
    try {
      JSON.parse(root);
    } catch {
      throw new InvalidArtifactError(
        `reading trusted root ${rootFile}: not JSON (want a sigstore trusted_root.json)`,
      );
    }
    policy.trustedRoot = root;
  } else if (hasIdentity) {
    // As cosign: the trusted root through TUF.
    const tuf: NonNullable<VerificationPolicy["tuf"]> = {};
    if (mirror !== undefined) tuf.mirrorUrl = mirror;
    const tufRoot = f["tuf-root"];
    if (tufRoot !== undefined) {
      const text = await readText(tufRoot, "TUF root");
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch { /* below */ }
      const signed = (doc as { signed?: { _type?: unknown } } | undefined)
        ?.signed;
      if (signed?._type !== "root") {
        throw new InvalidArtifactError(
          `reading TUF root ${tufRoot}: not a TUF root.json`,
        );
      }
      tuf.initialRoot = text;
    }
    const cacheDir = ctx.globals?.cacheDir;
    if (cacheDir !== undefined) tuf.cacheDir = join(cacheDir, TUF_CACHE_SUBDIR);
    if (f["tuf-force-cache"]) tuf.forceCache = true;
    policy.tuf = tuf;
  }
  if (hasIdentity) {
    if (identity !== undefined) policy.certificateIdentity = identity;
    if (identityRe !== undefined) policy.certificateIdentityRegExp = identityRe;
    if (issuer !== undefined) policy.certificateOidcIssuer = issuer;
    if (issuerRe !== undefined) policy.certificateOidcIssuerRegExp = issuerRe;
  }
  return policy;
}

/**
 * Who made a signature: `identity (issuer)`, or `key <short id>`. What a
 * certificate says is the signer's text: shown on one bounded line.
 */
export function signerOf(s: {
  identity?: string;
  issuer?: string;
  keyId?: string;
}): string {
  if (s.identity) {
    const who = untrustedText(s.identity, 200);
    return s.issuer ? `${who} (${untrustedText(s.issuer, 200)})` : who;
  }
  if (s.keyId) return `key ${untrustedText(s.keyId.slice(0, 12))}`;
  return "unknown signer";
}

/**
 * The `Signatures:` block: one line per signature — verified or not (and
 * why), who signed, the transparency log index.
 */
export function signatureLines(
  signatures: readonly SignatureResult[],
  style: Style,
  indent = "",
): string[] {
  const lines = [`${indent}${style.bold("Signatures:")}`];
  if (signatures.length === 0) {
    lines.push(`${indent}  (none)`);
    return lines;
  }
  for (const s of signatures) {
    const state = s.verified ? style.green("verified") : style.red(
      `not verified (${s.reason ?? "other"}${
        s.detail ? `: ${untrustedText(s.detail, 300)}` : ""
      })`,
    );
    const tlog = s.tlogIndex === undefined ? "" : `, tlog index ${s.tlogIndex}`;
    lines.push(`${indent}  ${state}: ${signerOf(s)}${tlog}`);
  }
  return lines;
}

/**
 * Why none of `signatures` verified (`unsigned` when there are none), in
 * the order the library reports it.
 */
export function failureOf(
  signatures: readonly SignatureResult[],
): SignatureFailure {
  return refusalOf(signatures);
}
