/**
 * Verifying the signatures attached to an artifact: the sigstore bundles
 * listed as referrers of its manifest, each checked against the manifest's
 * digest and bytes under a policy — key-based bundles with its keys,
 * keyless (certificate) bundles against its trusted root, identity and
 * OIDC issuer (see `verify_bundle.ts`).
 *
 * @module
 */
import {
  KlausOciError,
  SignatureError,
  type SignatureFailure,
} from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";
import type { OciStore, RepositoryRef } from "../oci/store.ts";
import { readSmallBlob } from "../artifact/fetch_parts.ts";
import { MAX_BUNDLE_BYTES, MEDIA_TYPE_SIGSTORE_BUNDLE } from "./bundle.ts";
import type { KeyInput } from "./keys.ts";
import { checkLegacySignatures } from "./cosign_legacy.ts";
import { refusalOf } from "./refusal.ts";
import { identityPolicyOf } from "./certificate_identity.ts";
import { fetchTrustedRoot, type TufOptions } from "./tuf/mod.ts";
import {
  type BundleVerdict,
  preparePolicy,
  verifyBundle,
} from "./verify_bundle.ts";

/**
 * A verification policy: who may sign (public keys, or a certificate
 * identity and OIDC issuer under a trusted root, as cosign's
 * `--certificate-identity` and `--certificate-oidc-issuer`), and whether a
 * verified signature is required. A bundle verifies when it verifies with
 * one of `publicKeys`, or when its certificate chains to the trusted root,
 * was valid when the trusted root's transparency log recorded it, and
 * names the identity and issuer asked for. The trusted root is
 * `trustedRoot` when given, else — as cosign — sigstore's
 * `trusted_root.json` fetched through TUF (`tuf`: the public-good
 * repository by default).
 */
export interface VerificationPolicy {
  /** ECDSA P-256 public keys (`CryptoKey`s or SPKI PEM text). */
  publicKeys?: readonly KeyInput[];
  /**
   * The sigstore trusted root (`trusted_root.json`: Fulcio CAs,
   * transparency logs, CT logs), as JSON text or parsed. Without it a
   * policy with an identity gets it through TUF (see `tuf`).
   */
  trustedRoot?: string | Record<string, unknown>;
  /**
   * Where keyless verification gets the trusted root when `trustedRoot`
   * is not given: a TUF repository (default the public-good one,
   * `https://tuf-repo-cdn.sigstore.dev`, from its embedded initial root;
   * another mirror needs `initialRoot`), its metadata kept in `cacheDir`
   * if given. Fetched once per process and repository.
   */
  tuf?: TufOptions;
  /** The exact certificate identity (SAN email or URI). */
  certificateIdentity?: string;
  /** A regular expression the certificate identity must match (whole). */
  certificateIdentityRegExp?: string;
  /** The exact OIDC issuer of the certificate. */
  certificateOidcIssuer?: string;
  /** A regular expression the OIDC issuer must match (whole). */
  certificateOidcIssuerRegExp?: string;
  /**
   * Refuse (with a `SignatureError`) unless a signature verifies under the
   * policy (default `true`). With `false` the result only reports what
   * was found.
   */
  require?: boolean;
}

/** One signature bundle found for an artifact. */
export interface SignatureResult {
  /** Key-based: the key id the bundle names (or of the policy key that verified it). */
  keyId?: string;
  /** Keyless: the certificate's identity (SAN email or URI). */
  identity?: string;
  /** Keyless: the certificate's OIDC issuer. */
  issuer?: string;
  /** Whether it verified under the policy. */
  verified: boolean;
  /** Transparency log index (none for key-based signatures). */
  tlogIndex: number | undefined;
  /** Why it did not verify. */
  reason?: SignatureFailure;
  /** What exactly failed, in words (e.g. the identities the certificate names). */
  detail?: string;
  /** The digest of the referrer manifest carrying the bundle. */
  referrer: string;
}

/** What {@linkcode verifyArtifact} found. */
export interface VerificationResult {
  /** Every signature bundle attached to the artifact. */
  signatures: SignatureResult[];
}

/** Options of {@linkcode verifyArtifact}. */
export interface VerifyOptions {
  /** Aborts the check. */
  signal?: AbortSignal;
}

const EXPLAIN: Record<SignatureFailure, string> = {
  "unsigned":
    "no signature is attached (no sigstore bundle referrer, no cosign .sig tag)",
  "wrong-key": "signed by no key of the policy",
  "wrong-identity": "signed by another identity or OIDC issuer",
  "untrusted": "the certificate or its log entry is not trusted",
  "tampered": "the signature does not verify",
  "other-digest": "the signature is for another digest",
  "other": "the signature could not be checked",
};

async function readBundle(
  store: OciStore,
  repo: RepositoryRef,
  referrer: Descriptor,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const { bytes } = await store.fetchManifest(
    {
      registry: repo.registry,
      repository: repo.repository,
      digest: referrer.digest,
    },
    { signal },
  );
  let doc: { layers?: Descriptor[] };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SignatureError("signature manifest is not JSON", {
      reason: "tampered",
    });
  }
  const layer = Array.isArray(doc.layers)
    ? doc.layers.find((l) => l?.mediaType === MEDIA_TYPE_SIGSTORE_BUNDLE)
    : undefined;
  if (!layer) {
    throw new SignatureError("signature manifest has no bundle layer", {
      reason: "tampered",
    });
  }
  return await readSmallBlob(store, repo, layer, {
    signal,
    limit: MAX_BUNDLE_BYTES,
  });
}

function hasIdentity(policy: VerificationPolicy): boolean {
  return [
    policy.certificateIdentity,
    policy.certificateIdentityRegExp,
    policy.certificateOidcIssuer,
    policy.certificateOidcIssuerRegExp,
  ].some((v) => v !== undefined);
}

/**
 * `policy` with its trusted root: its own, else — when it names an
 * identity or issuer — the one TUF gives (checked identity first, so a
 * policy that cannot work fails before any request).
 */
async function withTrustedRoot(
  policy: VerificationPolicy,
  signal: AbortSignal | undefined,
): Promise<VerificationPolicy> {
  if (policy.trustedRoot !== undefined || !hasIdentity(policy)) return policy;
  identityPolicyOf(policy);
  const trustedRoot = await fetchTrustedRoot(policy.tuf, signal);
  return { ...policy, trustedRoot };
}

/**
 * Checks the sigstore bundles attached (as OCI referrers) to the manifest
 * `manifestBytes` described by `manifestDescriptor` in `repo` of `store`.
 * Each bundle (at most 1 MiB) must sign the manifest's digest (a message
 * signature over the manifest bytes, or a DSSE in-toto statement naming
 * it), verifying with a key of `policy` or, keyless, with a certificate
 * that chains to the trusted root (`policy.trustedRoot`, else fetched
 * through TUF as `policy.tuf` says, before the referrers are listed),
 * logged in its transparency log and naming its identity and issuer.
 * Unless `policy.require` is `false`,
 * throws a `SignatureError` when none verifies, its `reason` (and
 * message) saying why: `"unsigned"`, `"wrong-key"`, `"wrong-identity"`,
 * `"untrusted"`, `"tampered"` or `"other-digest"` (when several bundles
 * fail, the first of tampered, other-digest, untrusted, wrong-identity,
 * wrong-key). Throws a `TypeError` before any request for a policy with a
 * trusted root but without an identity and an issuer, a `TufError` when
 * the trusted root cannot be fetched through TUF.
 */
export async function verifyArtifact(
  store: OciStore,
  repo: RepositoryRef,
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
  policy: VerificationPolicy,
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  const { signal } = options;
  const digest = manifestDescriptor.digest;
  if (digestOf(manifestBytes) !== digest) {
    throw new SignatureError(`the manifest bytes do not match ${digest}`, {
      reason: "other",
    });
  }
  const prepared = await preparePolicy(await withTrustedRoot(policy, signal));
  const referrers = await store.listReferrers(repo, digest, {
    signal,
    artifactType: MEDIA_TYPE_SIGSTORE_BUNDLE,
  });
  const signatures: SignatureResult[] = [];
  for (const referrer of referrers) {
    let found: BundleVerdict;
    try {
      const bundle = await readBundle(store, repo, referrer, signal);
      found = await verifyBundle(bundle, digest, manifestBytes, prepared);
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      // A bundle that cannot be read or decoded is not a signature.
      found = {
        keyId: "",
        verified: false,
        reason: e instanceof SignatureError ? e.reason : "other",
      };
      if (!(e instanceof KlausOciError)) throw e;
    }
    signatures.push({
      ...found,
      tlogIndex: found.tlogIndex,
      referrer: referrer.digest,
    });
  }
  // Cosign before v3 tagged its signatures sha256-<hex>.sig: consulted
  // only when no bundle verified, so signed artifacts pay nothing extra.
  if (!signatures.some((s) => s.verified)) {
    for (
      const legacy of await checkLegacySignatures(
        store,
        repo,
        digest,
        prepared,
        signal,
      )
    ) {
      signatures.push({ ...legacy, tlogIndex: legacy.tlogIndex });
    }
  }
  if (policy.require !== false && !signatures.some((s) => s.verified)) {
    const reason = refusalOf(signatures);
    const detail = signatures.find((s) => s.reason === reason)?.detail;
    throw new SignatureError(
      `signature verification failed for ${digest}: ${reason} (${
        EXPLAIN[reason]
      }${detail ? `: ${detail}` : ""}${
        signatures.length > 1 ? `; ${signatures.length} signatures checked` : ""
      })`,
      { reason },
    );
  }
  return { signatures };
}
