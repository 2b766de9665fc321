/**
 * Reading manifest documents stored as layout blobs: bounded, verified,
 * parsed.
 *
 * @module
 */
import { open } from "node:fs/promises";
import {
  InvalidArtifactError,
  NotFoundError,
  TooLargeError,
} from "../errors.ts";
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { verifyBytes } from "../oci/digest.ts";
import { MAX_MANIFEST_BYTES } from "../oci/media_types.ts";
import { isNotFound } from "./fs_util.ts";

/**
 * Reads a manifest blob, refusing more than 4 MiB before reading it all,
 * and verifies it against `descriptor` (digest and size). Throws
 * {@linkcode NotFoundError} when the file is missing.
 */
export async function readManifestBlob(
  path: string,
  descriptor: Descriptor,
): Promise<Uint8Array> {
  if (descriptor.size > MAX_MANIFEST_BYTES) {
    throw new TooLargeError(
      `manifest ${descriptor.digest} of ${descriptor.size} bytes exceeds the limit of ${MAX_MANIFEST_BYTES} bytes`,
    );
  }
  let fh;
  try {
    fh = await open(path, "r");
  } catch (e) {
    if (isNotFound(e)) {
      throw new NotFoundError(`${descriptor.digest}: not found`);
    }
    throw e;
  }
  try {
    // One byte more than allowed tells "too large" from "exactly at the cap".
    const buf = new Uint8Array(
      Math.min(descriptor.size, MAX_MANIFEST_BYTES) + 1,
    );
    let n = 0;
    while (n < buf.byteLength) {
      const { bytesRead } = await fh.read(buf, n, buf.byteLength - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    const bytes = buf.subarray(0, n);
    verifyBytes(bytes, descriptor.digest, descriptor.size);
    return bytes;
  } finally {
    await fh.close();
  }
}

/**
 * Parses manifest bytes into a JSON object; anything else is an
 * {@linkcode InvalidArtifactError}.
 */
export function parseManifest(bytes: Uint8Array): ImageManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InvalidArtifactError(
      `invalid manifest: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidArtifactError("invalid manifest: not a JSON object");
  }
  return doc as ImageManifest;
}
