import { InvalidArtifactError, TooLargeError, wrapError } from "../errors.ts";
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { isValidDigest } from "../oci/digest.ts";
import { MAX_MANIFEST_BYTES } from "../oci/media_types.ts";
import type { CallOptions, OciStore, RepositoryRef } from "../oci/store.ts";
import type { Reference } from "../ref/reference_type.ts";
import type { ArtifactKind } from "./kind.ts";
import { parseManifest } from "./manifest.ts";

/** A manifest fetched for an artifact operation, with its parsed form. */
export interface ArtifactManifest {
  /** Descriptor of the manifest (its digest is the artifact digest). */
  descriptor: Descriptor;
  /** The decoded manifest or index. */
  manifest: ImageManifest;
}

/**
 * Fetches and decodes the manifest `ref` names, with the Go module's error
 * wording (`fetching manifest for <ref>: …`, `parsing manifest for <ref>: …`),
 * and checks its shape ({@linkcode checkArtifactManifest}) for `kind`
 * (default: any image manifest or index).
 */
export async function fetchArtifactManifest(
  store: OciStore,
  ref: Reference,
  display: string,
  options: CallOptions & { kind?: ArtifactKind } = {},
): Promise<ArtifactManifest> {
  let fetched;
  try {
    fetched = await store.fetchManifest(ref, { signal: options.signal });
  } catch (e) {
    throw wrapError(`fetching manifest for ${display}`, e);
  }
  try {
    const manifest = parseManifest(fetched.bytes);
    checkArtifactManifest(manifest, options.kind);
    return { descriptor: fetched.descriptor, manifest };
  } catch (e) {
    throw wrapError(`parsing manifest for ${display}`, e);
  }
}

/**
 * Throws {@linkcode InvalidArtifactError} unless `manifest` is a schema 2
 * image manifest with a config and a layer list (every descriptor with a
 * valid digest) — or, for kinds without a config media type (toolchains),
 * such a manifest or an image index listing at least one manifest. A `{}`
 * decodes without error; it must not describe as an artifact with an empty
 * name. Layers may be empty here (the Go module describes a plugin from its
 * config alone); a pull then requires its content layer.
 */
export function checkArtifactManifest(
  manifest: ImageManifest,
  kind?: ArtifactKind,
): void {
  if (manifest.schemaVersion !== 2) {
    throw new InvalidArtifactError(
      `manifest has schemaVersion ${manifest.schemaVersion}, want 2`,
    );
  }
  const needsConfig = kind?.configMediaType !== undefined;
  if (!manifest.config && !needsConfig && manifest.manifests !== undefined) {
    if (manifest.manifests.length === 0) {
      throw new InvalidArtifactError("image index lists no manifests");
    }
    checkDescriptors(manifest.manifests, "manifest");
    return;
  }
  if (!manifest.config) {
    throw new InvalidArtifactError(
      needsConfig
        ? "manifest has no config"
        : "neither an image manifest (no config) nor an index (no manifests)",
    );
  }
  checkDescriptors([manifest.config], "config");
  if (!manifest.layers) {
    throw new InvalidArtifactError("manifest has no layers");
  }
  checkDescriptors(manifest.layers, "layer");
}

function checkDescriptors(list: readonly Descriptor[], what: string): void {
  for (const d of list) {
    if (!isValidDigest(d.digest) || !(d.size >= 0)) {
      throw new InvalidArtifactError(
        `manifest has an invalid ${what} descriptor (digest ${
          JSON.stringify(d.digest.slice(0, 80))
        }, size ${d.size})`,
      );
    }
  }
}

/**
 * Reads a small blob (a config) completely, verified, refusing anything
 * larger than the manifest cap so a hostile descriptor cannot exhaust memory.
 */
export async function readSmallBlob(
  store: OciStore,
  repo: RepositoryRef,
  descriptor: Descriptor,
  options: CallOptions & { limit?: number } = {},
): Promise<Uint8Array> {
  const limit = options.limit ?? MAX_MANIFEST_BYTES;
  if (descriptor.size > limit) {
    throw new TooLargeError(
      `blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${limit} allowed`,
    );
  }
  const stream = await store.fetchBlob(repo, descriptor, {
    signal: options.signal,
  });
  const out = new Uint8Array(descriptor.size);
  let offset = 0;
  for await (const chunk of stream) {
    if (offset + chunk.byteLength > out.byteLength) {
      throw new TooLargeError(
        `blob ${descriptor.digest} is larger than its descriptor says (${descriptor.size} bytes)`,
      );
    }
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.subarray(0, offset);
}
