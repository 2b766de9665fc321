import type { Descriptor } from "./descriptor.ts";
import { verifyingStream } from "./digest.ts";
import type { ProgressEvent } from "./store.ts";

/**
 * Pipes a blob body through digest and size verification and reports pull
 * progress; the final `done` event fires after the verifier's flush, so
 * "done" means "verified". Shared by every store that serves blobs.
 */
export function verifiedBlobStream(
  body: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  onProgress?: (event: ProgressEvent) => void,
): ReadableStream<Uint8Array> {
  const event = (transferred: number, done: boolean): ProgressEvent => ({
    direction: "pull",
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    transferred,
    total: descriptor.size,
    done,
  });
  const verified = body.pipeThrough(
    verifyingStream(
      descriptor.digest,
      descriptor.size,
      onProgress && ((n) => onProgress(event(n, false))),
    ),
  );
  if (!onProgress) return verified;
  return verified.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush() {
        onProgress(event(descriptor.size, true));
      },
    }),
  );
}
