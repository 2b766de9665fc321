import type { Descriptor } from "./descriptor.ts";
import type { ProgressEvent } from "./store.ts";

/**
 * The one progress event of a blob that was not uploaded because the
 * registry has it already (found, or mounted from another repository).
 */
export function skippedPush(descriptor: Descriptor): ProgressEvent {
  return {
    direction: "push",
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    transferred: descriptor.size,
    total: descriptor.size,
    done: true,
    skipped: true,
  };
}
