/**
 * The layout's `index.json`: parsing, tag lookup and the pure edits a push
 * makes. Unknown fields of the document are kept as they are, so a push
 * never drops what another tool wrote there.
 *
 * @module
 */
import { InvalidArtifactError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { MEDIA_TYPE_OCI_INDEX } from "../oci/media_types.ts";
import { ANNOTATION_REF_NAME } from "./layout_files.ts";

/**
 * An OCI image index as stored in a layout's `index.json`.
 */
export interface LayoutIndex {
  /** Always 2. */
  schemaVersion: number;
  /** `application/vnd.oci.image.index.v1+json` when present. */
  mediaType?: string;
  /** The layout's entry points. */
  manifests: Descriptor[];
  /** Fields this library does not interpret (annotations, subject, …). */
  [field: string]: unknown;
}

/**
 * The `index.json` of a new layout.
 */
export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
}

/**
 * Parses `index.json` bytes. `where` names the file in error messages.
 * Throws {@linkcode InvalidArtifactError} for anything that is not an image
 * index with a `manifests` array of descriptors.
 */
export function parseIndex(bytes: Uint8Array, where: string): LayoutIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InvalidArtifactError(
      `parsing ${where}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidArtifactError(`parsing ${where}: not a JSON object`);
  }
  const index = doc as Record<string, unknown>;
  // skopeo and oras write an empty list as `[]`, Go's encoder writes `null`.
  if (index.manifests === undefined || index.manifests === null) {
    index.manifests = [];
  }
  if (!Array.isArray(index.manifests)) {
    throw new InvalidArtifactError(
      `parsing ${where}: "manifests" is not an array`,
    );
  }
  for (const d of index.manifests) {
    if (
      typeof d !== "object" || d === null || typeof d.digest !== "string" ||
      typeof d.size !== "number"
    ) {
      throw new InvalidArtifactError(
        `parsing ${where}: invalid descriptor in "manifests"`,
      );
    }
  }
  return index as LayoutIndex;
}

/**
 * Serialises an index compactly, as skopeo and Go's `json.Marshal` do.
 */
export function serializeIndex(index: LayoutIndex): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(index));
}

/** The tag a descriptor carries, if any. */
function tagOf(d: Descriptor): string | undefined {
  const name = d.annotations?.[ANNOTATION_REF_NAME];
  return typeof name === "string" ? name : undefined;
}

/**
 * The descriptor tagged `tag`. When several carry the tag, the last one
 * wins (as in oras-go, whose tag map is filled in index order; skopeo never
 * writes duplicates).
 */
export function findTagged(
  index: LayoutIndex,
  tag: string,
): Descriptor | undefined {
  for (let i = index.manifests.length - 1; i >= 0; i--) {
    if (tagOf(index.manifests[i]) === tag) return index.manifests[i];
  }
  return undefined;
}

/**
 * Every tag in the index, each once, in index order.
 */
export function tagsOf(index: LayoutIndex): string[] {
  const seen = new Set<string>();
  for (const d of index.manifests) {
    const tag = tagOf(d);
    if (tag !== undefined) seen.add(tag);
  }
  return [...seen];
}

/**
 * The index with `descriptor` tagged `tag`: it takes the place of the first
 * descriptor that carried the tag (other holders of the tag are dropped) or
 * is appended. Untagged entries of the same digest, or of a digest in
 * `children` (the manifests of a tagged image index), are dropped too: they
 * were only listed so a digest push could be found, and now are reachable.
 */
export function withTag(
  index: LayoutIndex,
  descriptor: Descriptor,
  tag: string,
  children: readonly string[] = [],
): LayoutIndex {
  const covered = new Set([descriptor.digest, ...children]);
  const entry: Descriptor = {
    ...descriptor,
    annotations: { ...descriptor.annotations, [ANNOTATION_REF_NAME]: tag },
  };
  const manifests: Descriptor[] = [];
  let placed = false;
  for (const d of index.manifests) {
    const t = tagOf(d);
    if (t === tag) {
      if (!placed) manifests.push(entry);
      placed = true;
    } else if (!(t === undefined && covered.has(d.digest))) {
      manifests.push(d);
    }
  }
  if (!placed) manifests.push(entry);
  return { ...index, manifests };
}

/**
 * The index listing `descriptor` without a tag, or `undefined` when some
 * entry already lists that digest (tagged or not) and nothing changes.
 */
export function withUntagged(
  index: LayoutIndex,
  descriptor: Descriptor,
): LayoutIndex | undefined {
  if (index.manifests.some((d) => d.digest === descriptor.digest)) {
    return undefined;
  }
  return { ...index, manifests: [...index.manifests, descriptor] };
}
