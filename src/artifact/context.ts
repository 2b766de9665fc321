import type { OperationDeadlines } from "../_deadline.ts";
import type { PushRecords } from "../cache/push_records.ts";
import type { OciStore, ProgressEvent } from "../oci/store.ts";
import type { ArtifactKindName } from "./kind.ts";

/**
 * What the artifact operations need from the client: the store to talk to
 * (a cache in front of registry and layout, or either alone), the fan-out
 * bound, the registry base per kind, and the progress sink.
 */
export interface ArtifactContext {
  /** Where manifests, blobs, tags and catalogs come from. */
  store: OciStore;
  /** Most concurrent repository operations (listing, deps). */
  concurrency: number;
  /** Registry base for short names, per kind. */
  registries: Record<ArtifactKindName, string>;
  /** Progress of blob transfers. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Budgets of whole operations; a missing one is the default of
   * `DEFAULT_DEADLINES` (`src/_deadline.ts`).
   */
  deadlines?: OperationDeadlines;
  /**
   * Records of earlier pushes (in the cache directory), for re-pushes that
   * read no file and moves that mount instead of uploading.
   */
  pushRecords?: PushRecords;
}
