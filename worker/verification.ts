/**
 * The verification state of a described artifact under the configured
 * policy (`VERIFY_*`): which signatures are attached and whether one
 * verifies, computed with `require: false` (the API reports, it never
 * refuses), cached by policy fingerprint, repository and manifest digest.
 *
 * How long a result is reused: `verified` 24 h, `unsigned` and `failed` 5
 * minutes (a signature may be attached after the push; this is how late
 * it can show), `error` 30 s and only in this isolate (a registry that
 * was down is asked again soon, and a failure is never shared through KV).
 *
 * @module
 */
import { withDeadline } from "../src/_deadline.ts";
import type { BackgroundScheduler } from "../src/cache/scheduler.ts";
import { Singleflight } from "../src/cache/singleflight.ts";
import type { Client } from "../src/client.ts";
import type { SignatureFailure } from "../src/errors.ts";
import { digestOf } from "../src/oci/digest.ts";
import { importPublicKeyPem } from "../src/sign/keys.ts";
import type {
  SignatureResult,
  VerificationPolicy,
} from "../src/sign/verify_artifact.ts";
import { refusalOf } from "../src/sign/refusal.ts";
import { toApiError } from "./errors.ts";
import {
  VerificationCache,
  verificationKey,
  type VerificationStore,
} from "./cache/verification_cache.ts";
import type { EdgeVerificationConfig } from "./verify_config.ts";

/** What the API says about an artifact's signatures. */
export type VerificationState = "verified" | "unsigned" | "failed" | "error";

/** One signature bundle attached to an artifact, as the API shows it. */
export interface EdgeSignature {
  /** Key-based: the key id (sha256 of the SPKI DER, hex). */
  keyId?: string;
  /** Keyless: the certificate's identity (SAN email or URI). */
  identity?: string;
  /** Keyless: the certificate's OIDC issuer. */
  issuer?: string;
  /** Whether it verified under the policy. */
  verified: boolean;
  /** Transparency log index, when the bundle has one. */
  tlogIndex?: number;
  /** Why it did not verify. */
  reason?: SignatureFailure;
  /** Digest of the referrer manifest carrying the bundle. */
  referrer: string;
}

/** The `verification` member of a describe answer. */
export interface EdgeVerification {
  /**
   * `verified`: a signature verified under the policy; `unsigned`: none is
   * attached; `failed`: some are attached, none verifies; `error`: the
   * check itself failed (registry down, timeout) — see `message`.
   */
  state: VerificationState;
  /** Every signature bundle found (empty for `unsigned` and `error`). */
  signatures: EdgeSignature[];
  /** `failed`: the most telling reason among the signatures. */
  reason?: SignatureFailure;
  /** `error`: what went wrong (never carries a credential). */
  message?: string;
}

/** How long each state is reused, in ms. */
export interface VerificationTtls {
  /** `verified` (default 24 h). */
  verified: number;
  /** `unsigned` and `failed` (default 5 min). */
  unverified: number;
  /** `error`, isolate memo only (default 30 s). */
  error: number;
}

/** The default {@linkcode VerificationTtls}. */
export const DEFAULT_VERIFICATION_TTLS: Readonly<VerificationTtls> = {
  verified: 24 * 60 * 60_000,
  unverified: 5 * 60_000,
  error: 30_000,
};

/** Longest a verification may take within a describe: 5 s. */
export const VERIFY_BUDGET_MS = 5_000;

/** Options of {@linkcode Verifier}. */
export interface VerifierOptions {
  /** The policy. */
  config: EdgeVerificationConfig;
  /** The shared result store (KV on Workers); omit for the memo alone. */
  store?: VerificationStore;
  /** Reuse windows (defaults {@linkcode DEFAULT_VERIFICATION_TTLS}). */
  ttls?: Partial<VerificationTtls>;
  /** Clock (epoch ms); default `Date.now`. */
  now?: () => number;
  /** Strings scrubbed from error messages. */
  secrets?: readonly string[];
}

const MAX_FIELD = 512;

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v.slice(0, MAX_FIELD) : undefined;
}

/**
 * A library signature result as the API shows it: only the documented
 * fields, strings bounded.
 *
 * @example
 * ```ts
 * import { edgeSignature } from "./verification.ts";
 * console.log(edgeSignature({ keyId: "ab", verified: true, tlogIndex: undefined, referrer: "sha256:00" }));
 * ```
 */
export function edgeSignature(s: SignatureResult): EdgeSignature {
  const out: EdgeSignature = {
    verified: s.verified === true,
    referrer: text(s.referrer) ?? "",
  };
  const keyId = text(s.keyId);
  if (keyId) out.keyId = keyId;
  const identity = text(s.identity);
  if (identity) out.identity = identity;
  const issuer = text(s.issuer);
  if (issuer) out.issuer = issuer;
  if (typeof s.tlogIndex === "number") out.tlogIndex = s.tlogIndex;
  if (!out.verified && s.reason) out.reason = s.reason;
  return out;
}

/**
 * The state of a list of signatures.
 *
 * @example
 * ```ts
 * import { verificationOf } from "./verification.ts";
 * console.log(verificationOf([]).state); // unsigned
 * ```
 */
export function verificationOf(signatures: EdgeSignature[]): EdgeVerification {
  if (signatures.some((s) => s.verified)) {
    return { state: "verified", signatures };
  }
  if (signatures.length === 0) return { state: "unsigned", signatures };
  return { state: "failed", signatures, reason: refusalOf(signatures) };
}

/**
 * A short tag of a verification for the ETag: the same artifact answers
 * with another ETag when its verification changes.
 *
 * @example
 * ```ts
 * import { verificationTag } from "./verification.ts";
 * console.log(verificationTag({ state: "unsigned", signatures: [] }).length); // 12
 * ```
 */
export function verificationTag(v: EdgeVerification): string {
  return digestOf(new TextEncoder().encode(JSON.stringify(v))).slice(
    7,
    7 + 12,
  );
}

/**
 * Checks artifacts under one policy, once per fingerprint, repository and
 * digest for as long as the result is reused; identical concurrent checks
 * run once.
 *
 * @example
 * ```ts
 * import { Verifier } from "./verification.ts";
 * console.log(typeof Verifier);
 * ```
 */
export class Verifier {
  /** The policy's fingerprint. */
  readonly fingerprint: string;
  #config: EdgeVerificationConfig;
  #cache: VerificationCache<EdgeVerification>;
  #ttls: VerificationTtls;
  #secrets: readonly string[];
  #flights = new Singleflight();
  #policy: Promise<VerificationPolicy> | undefined;

  /** Creates the verifier. */
  constructor(options: VerifierOptions) {
    this.#config = options.config;
    this.fingerprint = options.config.fingerprint;
    this.#cache = new VerificationCache({
      store: options.store,
      now: options.now,
    });
    this.#ttls = { ...DEFAULT_VERIFICATION_TTLS, ...options.ttls };
    this.#secrets = options.secrets ?? [];
  }

  /**
   * The policy with its keys imported once (Web Crypto), rather than from
   * PEM on every check.
   */
  #importedPolicy(): Promise<VerificationPolicy> {
    this.#policy ??= (async () => {
      const { publicKeys, ...rest } = this.#config.policy;
      return {
        ...rest,
        publicKeys: await Promise.all(publicKeys.map(importPublicKeyPem)),
        require: false,
      };
    })();
    // A key that does not import is reported on every check (as `error`)
    // and tried again next time.
    this.#policy.catch(() => this.#policy = undefined);
    return this.#policy;
  }

  /**
   * The verification of the manifest `digest` in `repository` (full
   * `host/path`, or `ocidir://…`), through `client` (a per-answer view),
   * within `budgetMs`. Never throws: a failed check is state `error`.
   * Writes to the shared store go to `scheduler`.
   */
  async check(
    client: Client,
    repository: string,
    digest: string,
    scheduler: BackgroundScheduler,
    budgetMs = VERIFY_BUDGET_MS,
  ): Promise<EdgeVerification> {
    const key = verificationKey(this.fingerprint, repository, digest);
    const cached = await this.#cache.get(key);
    if (cached) return cached.value;
    return await this.#flights.do(key, async () => {
      let result: EdgeVerification;
      try {
        const policy = await this.#importedPolicy();
        const { signatures } = await withDeadline(
          `verifying signatures of ${repository}@${digest}`,
          budgetMs,
          (signal) =>
            client.verifySignatures(`${repository}@${digest}`, {
              policy,
              signal,
            }),
        );
        result = verificationOf(signatures.map(edgeSignature));
      } catch (e) {
        const message = toApiError(e, this.#secrets).message;
        result = { state: "error", signatures: [], message };
        await this.#cache.put(key, result, this.#ttls.error, false);
        return result;
      }
      const ttl = result.state === "verified"
        ? this.#ttls.verified
        : this.#ttls.unverified;
      scheduler.schedule(this.#cache.put(key, result, ttl));
      return result;
    });
  }
}
