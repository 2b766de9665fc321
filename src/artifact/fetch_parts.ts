import { TooLargeError, wrapError } from "../errors.ts";
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { MAX_MANIFEST_BYTES } from "../oci/media_types.ts";
import type { CallOptions, OciStore, RepositoryRef } from "../oci/store.ts";
import type { Reference } from "../ref/reference_type.ts";
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
 * wording (`fetching manifest for <ref>: …`, `parsing manifest for <ref>: …`).
 */
export async function fetchArtifactManifest(
  store: OciStore,
  ref: Reference,
  display: string,
  options: CallOptions = {},
): Promise<ArtifactManifest> {
  let fetched;
  try {
    fetched = await store.fetchManifest(ref, options);
  } catch (e) {
    throw wrapError(`fetching manifest for ${display}`, e);
  }
  try {
    return {
      descriptor: fetched.descriptor,
      manifest: parseManifest(fetched.bytes),
    };
  } catch (e) {
    throw wrapError(`parsing manifest for ${display}`, e);
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
