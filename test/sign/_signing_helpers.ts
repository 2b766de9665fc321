/**
 * Helpers of the signing tests: a pushed plugin's manifest, and bundles
 * attached as they are (tampered, for another digest).
 *
 * @module
 */
import { digestOf } from "../../src/oci/digest.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import { pushReferrer } from "../../src/oci/referrers.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import {
  buildBundle,
  EMPTY_DESCRIPTOR,
  keyIdOf,
  MEDIA_TYPE_SIGSTORE_BUNDLE,
  p1363ToDer,
  publicKeyOf,
} from "../../src/sign/mod.ts";

/** The manifest `ref` (tag or digest) names, with its bytes. */
export async function manifestOf(
  store: OciStore,
  repo: RepositoryRef,
  tagOrDigest: { tag?: string; digest?: string },
): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
  return await store.fetchManifest({ ...repo, ...tagOrDigest });
}

/** Pushes `bundle` as a sigstore bundle referrer of `subject`. */
export async function attachBundle(
  store: OciStore,
  repo: RepositoryRef,
  subject: Descriptor,
  bundle: Uint8Array,
): Promise<string> {
  const desc = {
    mediaType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    digest: digestOf(bundle),
    size: bundle.byteLength,
  };
  await store.pushBlob(repo, EMPTY_DESCRIPTOR, new TextEncoder().encode("{}"));
  await store.pushBlob(repo, desc, bundle);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    artifactType: MEDIA_TYPE_SIGSTORE_BUNDLE,
    config: EMPTY_DESCRIPTOR,
    layers: [desc],
    subject: {
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.size,
    },
  }));
  return (await pushReferrer(
    store,
    repo,
    manifest,
    MEDIA_TYPE_OCI_MANIFEST,
    subject.digest,
  )).digest;
}

/** A bundle signing `bytes` with `key`, its signature bytes altered. */
export async function tamperedBundle(
  key: CryptoKey,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const sig = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      new Uint8Array(bytes),
    ),
  );
  sig[40] ^= 0x01;
  const keyId = await keyIdOf(await publicKeyOf(key));
  return new TextEncoder().encode(
    JSON.stringify(buildBundle(keyId, digestOf(bytes), p1363ToDer(sig))),
  );
}

/** A valid bundle signing other bytes (another manifest digest). */
export async function otherDigestBundle(key: CryptoKey): Promise<Uint8Array> {
  const other = new TextEncoder().encode('{"schemaVersion":2,"other":true}');
  const sig = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, other),
  );
  const keyId = await keyIdOf(await publicKeyOf(key));
  return new TextEncoder().encode(
    JSON.stringify(buildBundle(keyId, digestOf(other), p1363ToDer(sig))),
  );
}
