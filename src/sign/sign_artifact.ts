/**
 * Key-based signing of a pushed artifact: a sigstore bundle over the
 * manifest bytes, pushed as an OCI 1.1 referrer of the manifest (the push
 * of the referrer is shared with keyless signing, `keyless_sign.ts`).
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../oci/media_types.ts";
import { pushReferrer } from "../oci/referrers.ts";
import type { OciStore, RepositoryRef } from "../oci/store.ts";
import { buildBundle, MEDIA_TYPE_SIGSTORE_BUNDLE } from "./bundle.ts";
import { p1363ToDer } from "./der_signature.ts";
import {
  bufferOf,
  keyIdOf,
  type KeyInput,
  publicKeyOf,
  signingKey,
} from "./keys.ts";

/** Media type of the OCI empty descriptor's content (`{}`). */
export const MEDIA_TYPE_OCI_EMPTY = "application/vnd.oci.empty.v1+json";

const EMPTY = new TextEncoder().encode("{}");

/** The OCI empty descriptor (config of artifacts without a config). */
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: MEDIA_TYPE_OCI_EMPTY,
  digest: digestOf(EMPTY),
  size: EMPTY.byteLength,
};

/** What {@linkcode signArtifact} pushed. */
export interface SignedArtifact {
  /** Key id of the signing key (sha256 of its SPKI DER, hex). */
  keyId: string;
  /** The descriptor of the referrer manifest carrying the bundle. */
  referrer: Descriptor;
  /** The bundle JSON that was pushed. */
  bundle: Uint8Array;
}

/** Options of {@linkcode signArtifact}. */
export interface SignOptions {
  /** Aborts the push of the signature. */
  signal?: AbortSignal;
}

/**
 * Signs the manifest `manifestBytes` (described by `manifestDescriptor`)
 * with an ECDSA P-256 private key (a `CryptoKey`, extractable so its key
 * id can be computed, or PKCS#8 PEM) and pushes the sigstore bundle as a
 * referrer of the manifest to `repo` in `store`: an OCI manifest with
 * `artifactType` the bundle media type, the empty config, one layer (the
 * bundle) and `subject` the manifest. No transparency log is involved.
 */
export async function signArtifact(
  store: OciStore,
  repo: RepositoryRef,
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
  key: KeyInput,
  options: SignOptions = {},
): Promise<SignedArtifact> {
  const { keyId, bundle } = await keyBundle(
    manifestDescriptor,
    manifestBytes,
    key,
  );
  const referrer = await pushSignatureReferrer(
    store,
    repo,
    manifestDescriptor,
    bundle,
    options.signal,
  );
  return { keyId, referrer, bundle };
}

/**
 * Throws a `SignatureError` (`reason: "other"`) unless `manifestBytes`
 * are the bytes `manifestDescriptor` names.
 */
export function assertManifestBytes(
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
): void {
  if (digestOf(manifestBytes) !== manifestDescriptor.digest) {
    throw new SignatureError(
      `the manifest bytes do not match ${manifestDescriptor.digest}`,
      { reason: "other" },
    );
  }
}

/**
 * The bundle JSON of a key-based signature of the manifest
 * `manifestBytes` with `key`, and the key's id. Nothing is sent.
 */
export async function keyBundle(
  manifestDescriptor: Descriptor,
  manifestBytes: Uint8Array,
  key: KeyInput,
): Promise<{ keyId: string; bundle: Uint8Array }> {
  assertManifestBytes(manifestDescriptor, manifestBytes);
  const privateKey = await signingKey(key);
  const keyId = await keyIdOf(await publicKeyOf(privateKey));
  const p1363 = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      privateKey,
      bufferOf(manifestBytes),
    ),
  );
  const bundle = new TextEncoder().encode(JSON.stringify(
    buildBundle(keyId, manifestDescriptor.digest, p1363ToDer(p1363)),
  ));
  return { keyId, bundle };
}

/**
 * Pushes the sigstore bundle `bundle` as a referrer of the manifest
 * `manifestDescriptor` to `repo` in `store` (key-based and keyless
 * signatures alike): an OCI manifest with `artifactType` the bundle media
 * type, the empty config, one layer (the bundle) and `subject` the
 * manifest — indexed by the registry's referrers API, or added to the
 * referrers tag schema where there is none. Returns the referrer's
 * descriptor.
 */
export async function pushSignatureReferrer(
  store: OciStore,
  repo: RepositoryRef,
  manifestDescriptor: Descriptor,
  bundle: Uint8Array,
  signal?: AbortSignal,
): Promise<Descriptor> {
  const bundleDesc: Descriptor = {
    mediaType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    digest: digestOf(bundle),
    size: bundle.byteLength,
  };
  await store.pushBlob(repo, EMPTY_DESCRIPTOR, EMPTY, { signal });
  await store.pushBlob(repo, bundleDesc, bundle, { signal });
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    artifactType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    config: EMPTY_DESCRIPTOR,
    layers: [bundleDesc],
    subject: {
      mediaType: manifestDescriptor.mediaType,
      digest: manifestDescriptor.digest,
      size: manifestDescriptor.size,
    },
    annotations: { "dev.sigstore.bundle.content": "message-signature" },
  }));
  return await pushReferrer(
    store,
    repo,
    manifest,
    MEDIA_TYPE_OCI_MANIFEST,
    manifestDescriptor.digest,
    signal,
  );
}
