/**
 * The verification policy of the edge API, read from `VERIFY_*` variables
 * (wrangler vars or secrets on Workers, the process environment under
 * Deno) and checked when the app is built: a bad PEM, a trusted root that
 * is not JSON, or a trusted root without a certificate identity and OIDC
 * issuer refuses to start with a message naming the variable — never
 * echoing its value.
 *
 * @module
 */
import { DEFAULT_TUF_MIRROR_URL } from "../src/sign/tuf/default_mirror.ts";
import { digestOf } from "../src/oci/digest.ts";
import type { VerificationPolicy } from "../src/sign/verify_artifact.ts";

/** Reads one variable (`undefined` or `""` when unset). */
type EnvReader = (name: string) => string | undefined;

/** The variables of the policy, in the order the README lists them. */
export const VERIFY_VARS = [
  "VERIFY_PUBLIC_KEYS",
  "VERIFY_TRUSTED_ROOT",
  "VERIFY_TUF_MIRROR_URL",
  "VERIFY_TUF_ROOT",
  "VERIFY_CERTIFICATE_IDENTITY",
  "VERIFY_CERTIFICATE_IDENTITY_REGEXP",
  "VERIFY_CERTIFICATE_OIDC_ISSUER",
  "VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP",
] as const;

/**
 * A configuration the app refuses to start with.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./verify_config.ts";
 * console.log(new ConfigError("VERIFY_PUBLIC_KEYS: no PEM block").name); // ConfigError
 * ```
 */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The edge API's verification policy. */
export interface EdgeVerificationConfig {
  /**
   * The library policy, with `require: false`: the API reports what it
   * found and never refuses an artifact.
   */
  policy: VerificationPolicy & { publicKeys: string[] };
  /**
   * 32 hex characters naming the policy (a sha256 over its keys, trusted
   * root, identity and issuer): verification results are cached under it,
   * so a changed policy never answers from results of the old one.
   */
  fingerprint: string;
  /** One line for logs: how many keys, which identity and issuer. */
  summary: string;
}

// An ECDSA P-256 SubjectPublicKeyInfo with an uncompressed point: this
// prefix (SEQUENCE, AlgorithmIdentifier id-ecPublicKey + prime256v1, BIT
// STRING of 66 bytes) and 65 bytes of point. cosign's keys are like this.
const P256_SPKI_PREFIX = fromHex(
  "3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04",
);
const P256_SPKI_BYTES = 91;

const PEM_BLOCK =
  /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

function value(get: EnvReader, name: string): string | undefined {
  const v = (get(name) ?? "").trim();
  return v === "" ? undefined : v;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    return undefined;
  }
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Every public key in `text` (one or more `PUBLIC KEY` PEM blocks; `\n`
 * written as the two characters `\` `n`, as some secret stores keep them,
 * is read as a line break), normalised to one PEM each. Throws a
 * {@linkcode ConfigError} naming the block that is not an ECDSA P-256 SPKI
 * public key, and for text outside the blocks.
 *
 * @example
 * ```ts
 * import { parsePublicKeys } from "./verify_config.ts";
 * try {
 *   parsePublicKeys("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
 * } catch (e) {
 *   console.log((e as Error).message);
 * }
 * ```
 */
export function parsePublicKeys(text: string, name = "VERIFY_PUBLIC_KEYS"): {
  pems: string[];
  ders: Uint8Array[];
} {
  const source = text.replaceAll("\\n", "\n").replaceAll("\\r", "");
  const pems: string[] = [];
  const ders: Uint8Array[] = [];
  let n = 0;
  for (const m of source.matchAll(PEM_BLOCK)) {
    n++;
    const [, begin, body, end] = m;
    if (begin !== end) {
      throw new ConfigError(
        `${name}: PEM block ${n} begins "${begin}" but ends "${end}"`,
      );
    }
    if (begin !== "PUBLIC KEY") {
      throw new ConfigError(
        `${name}: PEM block ${n} is a "${begin}", not a "PUBLIC KEY"${
          begin.includes("PRIVATE") ? " (never configure a private key)" : ""
        }: give SPKI public keys (cosign.pub)`,
      );
    }
    const der = decodeBase64(body.replace(/\s/g, ""));
    if (!der) {
      throw new ConfigError(`${name}: PEM block ${n} is not valid base64`);
    }
    const p256 = der.byteLength === P256_SPKI_BYTES &&
      P256_SPKI_PREFIX.every((b, i) => der[i] === b);
    if (!p256) {
      throw new ConfigError(
        `${name}: PEM block ${n} is not an ECDSA P-256 public key (the only kind of key signatures use)`,
      );
    }
    ders.push(der);
    const b64 = body.replace(/\s/g, "");
    pems.push(
      `-----BEGIN PUBLIC KEY-----\n${
        (b64.match(/.{1,64}/g) ?? []).join("\n")
      }\n-----END PUBLIC KEY-----\n`,
    );
  }
  const rest = source.replace(PEM_BLOCK, "").trim();
  if (n === 0) {
    throw new ConfigError(
      `${name}: no PEM block found (want one or more "-----BEGIN PUBLIC KEY-----" blocks)`,
    );
  }
  if (rest !== "") {
    throw new ConfigError(
      `${name}: text outside the PEM blocks (a truncated or malformed block?)`,
    );
  }
  return { pems, ders };
}

function checkRegExp(name: string, source: string): void {
  try {
    new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new ConfigError(
      `${name} is not a valid regular expression: ${
        e instanceof Error ? e.message : e
      }`,
    );
  }
}

function oneOf(
  get: EnvReader,
  exact: string,
  regexp: string,
): { exact?: string; regexp?: string } {
  const e = value(get, exact);
  const r = value(get, regexp);
  if (e !== undefined && r !== undefined) {
    throw new ConfigError(`set ${exact} or ${regexp}, not both`);
  }
  if (r !== undefined) checkRegExp(regexp, r);
  return { exact: e, regexp: r };
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(
    (hex.match(/../g) ?? []).map((b) => parseInt(b, 16)),
  );
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads the verification policy from `VERIFY_PUBLIC_KEYS` (one or more
 * SPKI PEM public keys in one value), `VERIFY_TRUSTED_ROOT` (the text of a
 * sigstore `trusted_root.json`), `VERIFY_CERTIFICATE_IDENTITY` or
 * `VERIFY_CERTIFICATE_IDENTITY_REGEXP`, and `VERIFY_CERTIFICATE_OIDC_ISSUER`
 * or `VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP`; with an identity and issuer
 * but no trusted root, the trusted root comes through TUF
 * (`VERIFY_TUF_MIRROR_URL`, default the public-good mirror, and
 * `VERIFY_TUF_ROOT`, its initial root.json, required for another mirror).
 * `undefined` when neither keys nor keyless signers are configured (no
 * verification). Throws a {@linkcode ConfigError} for an invalid
 * combination: keyless needs an identity and an issuer; a trusted root and
 * TUF exclude each other.
 *
 * @example
 * ```ts
 * import { verificationFromEnv } from "./verify_config.ts";
 * console.log(verificationFromEnv(() => undefined)); // undefined
 * try {
 *   verificationFromEnv((n) => n === "VERIFY_TRUSTED_ROOT" ? "{}" : undefined);
 * } catch (e) {
 *   console.log((e as Error).message);
 * }
 * ```
 */
export function verificationFromEnv(
  get: EnvReader,
): EdgeVerificationConfig | undefined {
  const keysText = value(get, "VERIFY_PUBLIC_KEYS");
  const rootText = value(get, "VERIFY_TRUSTED_ROOT");
  const identity = oneOf(
    get,
    "VERIFY_CERTIFICATE_IDENTITY",
    "VERIFY_CERTIFICATE_IDENTITY_REGEXP",
  );
  const issuer = oneOf(
    get,
    "VERIFY_CERTIFICATE_OIDC_ISSUER",
    "VERIFY_CERTIFICATE_OIDC_ISSUER_REGEXP",
  );
  const hasIdentity = identity.exact !== undefined ||
    identity.regexp !== undefined;
  const hasIssuer = issuer.exact !== undefined || issuer.regexp !== undefined;
  const tufMirror = value(get, "VERIFY_TUF_MIRROR_URL");
  const tufRoot = value(get, "VERIFY_TUF_ROOT");
  const tufGiven = tufMirror !== undefined || tufRoot !== undefined;
  if (rootText !== undefined && tufGiven) {
    throw new ConfigError(
      "VERIFY_TRUSTED_ROOT and VERIFY_TUF_MIRROR_URL/VERIFY_TUF_ROOT exclude each other (a fixed trusted root, or one fetched through TUF)",
    );
  }
  // Keyless without a fixed trusted root: sigstore's trusted root through
  // TUF (the public-good repository unless a mirror and its root are set).
  const viaTuf = rootText === undefined && (hasIdentity || hasIssuer);
  if (tufGiven && !viaTuf) {
    throw new ConfigError(
      "VERIFY_TUF_MIRROR_URL and VERIFY_TUF_ROOT apply to keyless verification: set VERIFY_CERTIFICATE_IDENTITY (or _REGEXP) and VERIFY_CERTIFICATE_OIDC_ISSUER (or _REGEXP)",
    );
  }
  if (viaTuf && (!hasIdentity || !hasIssuer)) {
    throw new ConfigError(
      "keyless verification needs VERIFY_CERTIFICATE_IDENTITY (or _REGEXP) and VERIFY_CERTIFICATE_OIDC_ISSUER (or _REGEXP): one alone would accept anyone's certificate",
    );
  }
  if (tufMirror !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(tufMirror);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new ConfigError("VERIFY_TUF_MIRROR_URL is not an http(s) URL");
    }
    if (tufRoot === undefined && tufMirror !== DEFAULT_TUF_MIRROR_URL) {
      throw new ConfigError(
        "VERIFY_TUF_MIRROR_URL other than the public-good mirror needs VERIFY_TUF_ROOT (the text of its initial root.json)",
      );
    }
  }
  if (tufRoot !== undefined) {
    try {
      JSON.parse(tufRoot);
    } catch {
      throw new ConfigError(
        "VERIFY_TUF_ROOT is not JSON (give the text of root.json, not a path)",
      );
    }
  }
  if (rootText !== undefined) {
    let root: unknown;
    try {
      root = JSON.parse(rootText);
    } catch {
      throw new ConfigError(
        "VERIFY_TRUSTED_ROOT is not JSON (give the text of trusted_root.json, not a path)",
      );
    }
    if (
      root === null || typeof root !== "object" || Array.isArray(root) ||
      !Array.isArray((root as Record<string, unknown>).certificateAuthorities)
    ) {
      throw new ConfigError(
        "VERIFY_TRUSTED_ROOT is not a sigstore trusted root (no certificateAuthorities)",
      );
    }
    if (!hasIdentity || !hasIssuer) {
      throw new ConfigError(
        "VERIFY_TRUSTED_ROOT needs VERIFY_CERTIFICATE_IDENTITY (or _REGEXP) and VERIFY_CERTIFICATE_OIDC_ISSUER (or _REGEXP): a trusted root alone would accept anyone's certificate",
      );
    }
  }
  if (keysText === undefined && rootText === undefined && !viaTuf) {
    return undefined;
  }
  const keys = keysText === undefined
    ? { pems: [], ders: [] }
    : parsePublicKeys(keysText);

  const policy: EdgeVerificationConfig["policy"] = {
    publicKeys: keys.pems,
    require: false,
  };
  if (viaTuf) {
    policy.tuf = {
      ...(tufMirror !== undefined ? { mirrorUrl: tufMirror } : {}),
      ...(tufRoot !== undefined ? { initialRoot: tufRoot } : {}),
    };
  }
  if (rootText !== undefined || viaTuf) {
    if (rootText !== undefined) policy.trustedRoot = rootText;
    if (identity.exact !== undefined) {
      policy.certificateIdentity = identity.exact;
    }
    if (identity.regexp !== undefined) {
      policy.certificateIdentityRegExp = identity.regexp;
    }
    if (issuer.exact !== undefined) {
      policy.certificateOidcIssuer = issuer.exact;
    }
    if (issuer.regexp !== undefined) {
      policy.certificateOidcIssuerRegExp = issuer.regexp;
    }
  }
  const canonical = JSON.stringify({
    keys: keys.ders.map(toHex).sort(),
    root: rootText === undefined
      ? null
      : digestOf(new TextEncoder().encode(rootText)),
    tuf: viaTuf
      ? [
        tufMirror ?? DEFAULT_TUF_MIRROR_URL,
        tufRoot === undefined
          ? null
          : digestOf(new TextEncoder().encode(tufRoot)),
      ]
      : null,
    identity: [identity.exact ?? null, identity.regexp ?? null],
    issuer: [issuer.exact ?? null, issuer.regexp ?? null],
  });
  const fingerprint = digestOf(new TextEncoder().encode(canonical))
    .slice("sha256:".length, "sha256:".length + 32);
  const parts: string[] = [];
  if (keys.pems.length > 0) {
    parts.push(
      `${keys.pems.length} public key${keys.pems.length === 1 ? "" : "s"}`,
    );
  }
  if (rootText !== undefined || viaTuf) {
    parts.push(
      `certificates for ${identity.exact ?? `/${identity.regexp}/`} from ${
        issuer.exact ?? `/${issuer.regexp}/`
      }${
        viaTuf
          ? ` (trusted root through TUF from ${
            tufMirror ?? DEFAULT_TUF_MIRROR_URL
          })`
          : ""
      }`,
    );
  }
  return { policy, fingerprint, summary: parts.join("; ") };
}
