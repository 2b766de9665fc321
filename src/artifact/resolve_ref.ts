import { redact } from "../_redact.ts";
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
import { trimSpace } from "../ref/_trim_space.ts";

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
 * The Go module's `resolveArtifactRef`: short names expand
 * against `base`; a missing tag or `latest` becomes the highest semver tag;
 * pinned tags and digests are returned as they are, without network. The
 * reference is trimmed with Go's `strings.TrimSpace` ({@linkcode trimSpace}).
 */
export async function resolveArtifactRef(
  store: OciStore,
  ref: string,
  base: string,
): Promise<string> {
  const trimmed = trimSpace(ref);
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
 * Parses `ref` for pull or push and requires a tag or digest, failing with
 * `reference "<ref>" must include <what>` in the Go module's wording for
 * that operation (also for an empty tag or digest: `host/repo:`). A
 * malformed reference fails with {@linkcode parseReference}'s error, which
 * already reads `parsing reference "<ref>": …` — the Go module's prefix,
 * once.
 */
export function parsePinnedRef(ref: string, what: string): Reference {
  let parsed: Reference;
  try {
    parsed = parseReference(ref);
  } catch (e) {
    // Already prefixed; only redacted here, as wrapError would.
    if (e instanceof InvalidReferenceError) {
      throw new InvalidReferenceError(redact(e.message), { cause: e });
    }
    throw wrapError(`parsing reference "${ref}"`, e);
  }
  if (parsed.tag === undefined && parsed.digest === undefined) {
    throw new InvalidReferenceError(
      redact(`reference "${ref}" must include ${what}`),
    );
  }
  return parsed;
}
