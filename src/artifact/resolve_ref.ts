import { InvalidReferenceError, NotFoundError, wrapError } from "../errors.ts";
import type { OciStore, RepositoryRef } from "../oci/store.ts";
import { parseReference } from "../ref/reference.ts";
import type { Reference } from "../ref/reference_type.ts";
import {
  hasDigest,
  hasTagOrDigest,
  latestSemverTag,
  repositoryFromRef,
  splitNameTag,
} from "../ref/mod.ts";

/** Parses `host/repo` (or `ocidir://dir`) into a repository address. */
export function parseRepository(repository: string): RepositoryRef {
  const ref = parseReference(repository);
  return { registry: ref.registry, repository: ref.repository };
}

/** Every tag of `repository`, wrapped as the Go module does. */
export async function listTags(
  store: OciStore,
  repository: string,
): Promise<string[]> {
  try {
    return (await store.listTags(parseRepository(repository))).tags;
  } catch (e) {
    throw wrapError(`listing tags for ${repository}`, e);
  }
}

/**
 * `repository:<highest semver tag>`; {@linkcode NotFoundError}
 * `no semver tags found for <repository>` when no tag parses.
 */
export async function resolveLatestVersion(
  store: OciStore,
  repository: string,
): Promise<string> {
  const tags = await listTags(store, repository);
  const latest = latestSemverTag(tags);
  if (latest === "") {
    throw new NotFoundError(`no semver tags found for ${repository}`);
  }
  return `${repository}:${latest}`;
}

/**
 * The Go module's `resolveArtifactRef` (spec §3.6): short names expand
 * against `base`; a missing tag or `latest` becomes the highest semver tag;
 * pinned tags and digests are returned as they are, without network.
 */
export async function resolveArtifactRef(
  store: OciStore,
  ref: string,
  base: string,
): Promise<string> {
  const trimmed = ref.trim();
  if (trimmed === "") {
    throw new InvalidReferenceError("empty artifact reference");
  }
  // Anything with a slash is fully qualified, `ocidir://` layouts included.
  if (trimmed.includes("/")) {
    if (!hasTagOrDigest(trimmed)) {
      return await resolveLatestVersion(store, trimmed);
    }
    if (hasDigest(trimmed)) return trimmed;
    const [, tag] = splitNameTag(trimmed);
    if (tag !== "latest") return trimmed;
    return await resolveLatestVersion(store, repositoryFromRef(trimmed));
  }
  const [name, tag] = splitNameTag(trimmed);
  const fullRepo = `${base}/${name}`;
  if (tag !== "" && tag !== "latest") return `${fullRepo}:${tag}`;
  return await resolveLatestVersion(store, fullRepo);
}

/**
 * Parses `ref` for pull or push (`parsing reference "<ref>": …`) and
 * requires a tag or digest, failing with `reference "<ref>" must include
 * <what>` in the Go module's wording for that operation.
 */
export function parsePinnedRef(ref: string, what: string): Reference {
  let parsed: Reference;
  try {
    parsed = parseReference(ref);
  } catch (e) {
    throw wrapError(`parsing reference "${ref}"`, e);
  }
  if (parsed.tag === undefined && parsed.digest === undefined) {
    throw new InvalidReferenceError(`reference "${ref}" must include ${what}`);
  }
  return parsed;
}
