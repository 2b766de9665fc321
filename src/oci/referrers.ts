/**
 * OCI 1.1 referrers: the manifests whose `subject` is a given manifest
 * (signatures, SBOMs, attestations). Registries with the referrers API
 * answer `GET /v2/<name>/referrers/<digest>`; for those without it
 * (distribution 2.8, GHCR) clients keep the list themselves in an image
 * index tagged `<alg>-<hex>` — the referrers tag schema — which works the
 * same on an OCI image layout.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { Descriptor } from "./descriptor.ts";
import { digestOf } from "./digest.ts";
import { MEDIA_TYPE_OCI_INDEX } from "./media_types.ts";
import type { OciStore, RepositoryRef } from "./store.ts";

/** Options of a referrers listing. */
export interface ReferrersOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
  /** Aborts the listing. */
  signal?: AbortSignal;
}

/**
 * The tag of the referrers tag schema for `digest`: `sha256:abc…` →
 * `sha256-abc…` (the first 128 characters, as the distribution spec says).
 */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-").slice(0, 128);
}

/** The descriptors of an image index document, checked for shape. */
export function indexDescriptors(doc: unknown): Descriptor[] {
  if (typeof doc !== "object" || doc === null) return [];
  const manifests = (doc as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.filter((d): d is Descriptor =>
    typeof d === "object" && d !== null &&
    typeof (d as Descriptor).digest === "string" &&
    typeof (d as Descriptor).mediaType === "string" &&
    typeof (d as Descriptor).size === "number"
  );
}

/** `descriptors` of `artifactType` (all when none is given). */
export function ofArtifactType(
  descriptors: Descriptor[],
  artifactType: string | undefined,
): Descriptor[] {
  return artifactType === undefined
    ? descriptors
    : descriptors.filter((d) => d.artifactType === artifactType);
}

/**
 * The referrers recorded under the referrers tag schema in `store` (none
 * when the tag does not exist).
 */
export async function referrersFromTagSchema(
  store: OciStore,
  repo: RepositoryRef,
  digest: string,
  options: ReferrersOptions = {},
): Promise<Descriptor[]> {
  let bytes: Uint8Array;
  try {
    ({ bytes } = await store.fetchManifest(
      { ...repo, tag: referrersTag(digest) },
      { signal: options.signal },
    ));
  } catch (e) {
    if (e instanceof NotFoundError) return [];
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return [];
  }
  return ofArtifactType(indexDescriptors(doc), options.artifactType);
}

/**
 * Adds `referrer` to the referrers tag schema index of `subject` in
 * `store` (creating it), for registries without the referrers API.
 */
export async function addToTagSchema(
  store: OciStore,
  repo: RepositoryRef,
  subject: string,
  referrer: Descriptor,
  signal?: AbortSignal,
): Promise<void> {
  const existing = await referrersFromTagSchema(store, repo, subject, {
    signal,
  });
  if (existing.some((d) => d.digest === referrer.digest)) return;
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests: [...existing, referrer],
  };
  await store.pushManifest(
    { ...repo, tag: referrersTag(subject) },
    new TextEncoder().encode(JSON.stringify(index)),
    MEDIA_TYPE_OCI_INDEX,
    { signal },
  );
}

/**
 * Pushes `bytes` (a manifest whose `subject` is `subject`) by its digest,
 * and makes it listable: a registry with the referrers API indexes it
 * itself; otherwise it is added to the referrers tag schema index.
 * Returns its descriptor (with `artifactType` and `annotations` for the
 * index).
 */
export async function pushReferrer(
  store: OciStore,
  repo: RepositoryRef,
  bytes: Uint8Array,
  mediaType: string,
  subject: string,
  signal?: AbortSignal,
): Promise<Descriptor> {
  const digest = digestOf(bytes);
  const pushed = await store.pushManifest(
    { ...repo, digest },
    bytes,
    mediaType,
    {
      signal,
    },
  );
  let doc: {
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    annotations?: unknown;
  } = {};
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // pushManifest accepted it; an unreadable document lists without type
  }
  const descriptor: Descriptor = {
    mediaType,
    digest: pushed.digest,
    size: pushed.size,
  };
  const artifactType = typeof doc.artifactType === "string"
    ? doc.artifactType
    : typeof doc.config?.mediaType === "string"
    ? doc.config.mediaType
    : undefined;
  if (artifactType) descriptor.artifactType = artifactType;
  if (typeof doc.annotations === "object" && doc.annotations !== null) {
    descriptor.annotations = doc.annotations as Record<string, string>;
  }
  const listed = await store.listReferrers(repo, subject, { signal });
  if (!listed.some((d) => d.digest === descriptor.digest)) {
    await addToTagSchema(store, repo, subject, descriptor, signal);
  }
  return descriptor;
}
