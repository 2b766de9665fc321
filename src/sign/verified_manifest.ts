/**
 * The manifest of an artifact operation, fetched once and checked against
 * a verification policy before anything else of the artifact is read: a
 * pull refuses an unsigned or wrongly signed artifact before its layer is
 * downloaded, let alone extracted.
 *
 * @module
 */
import { wrapError } from "../errors.ts";
import type { ArtifactManifest } from "../artifact/fetch_parts.ts";
import { checkArtifactManifest } from "../artifact/fetch_parts.ts";
import { parseManifest } from "../artifact/manifest.ts";
import type { Reference } from "../ref/reference_type.ts";
import type { OciStore } from "../oci/store.ts";
import {
  type VerificationPolicy,
  type VerificationResult,
  verifyArtifact,
} from "./verify_artifact.ts";

/** A fetched manifest that passed the policy, with what was found. */
export interface VerifiedManifest extends ArtifactManifest {
  /** The signatures checked. */
  verification: VerificationResult;
}

/**
 * Fetches the manifest `ref` (by digest) names, verifies its signatures
 * under `policy` (a `SignatureError` when refused, its message prefixed
 * with `verifying signature of <display>`), then decodes it with the
 * wording of `fetchArtifactManifest`.
 */
export async function fetchVerifiedManifest(
  store: OciStore,
  ref: Reference,
  display: string,
  policy: VerificationPolicy,
  signal?: AbortSignal,
): Promise<VerifiedManifest> {
  let fetched;
  try {
    fetched = await store.fetchManifest(ref, { signal });
  } catch (e) {
    throw wrapError(`fetching manifest for ${display}`, e);
  }
  let verification: VerificationResult;
  try {
    verification = await verifyArtifact(
      store,
      { registry: ref.registry, repository: ref.repository },
      fetched.descriptor,
      fetched.bytes,
      policy,
      { signal },
    );
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    throw wrapError(`verifying signature of ${display}`, e);
  }
  try {
    const manifest = parseManifest(fetched.bytes);
    checkArtifactManifest(manifest);
    return { descriptor: fetched.descriptor, manifest, verification };
  } catch (e) {
    throw wrapError(`parsing manifest for ${display}`, e);
  }
}
