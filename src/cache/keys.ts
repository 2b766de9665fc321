/**
 * Cache keys. Refs and tag lists use the Go cache's keys (`host/repo:tag`,
 * `host/repo`) so a directory shared with klausctl's `cache refresh` still
 * matches. Catalog keys end in `/` — the prefix semantics the listing has
 * (Go keyed without it and returned sibling repositories), which
 * also keeps us from reading an entry the Go cache wrote with that bug.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { RepositoryRef } from "../oci/store.ts";
import { OCI_LAYOUT_REGISTRY } from "../ref/reference_type.ts";
import { InvalidReferenceError } from "../errors.ts";
import type { Reference } from "../ref/reference_type.ts";

// Layout directories may be relative; two processes with different working
// directories must not share an entry for "./store".
function layoutPath(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

/**
 * `host/repo` (or `ocidir://<absolute dir>`): the tag-list key.
 */
export function tagsCacheKey(repo: RepositoryRef): string {
  if (repo.registry === OCI_LAYOUT_REGISTRY) {
    return OCI_LAYOUT_REGISTRY + layoutPath(repo.repository);
  }
  return `${repo.registry}/${repo.repository}`;
}

/**
 * `host/repo:tag`: the key of what a tag points at. Throws
 * {@linkcode InvalidReferenceError} when `ref` has no tag.
 */
export function refCacheKey(ref: Reference): string {
  if (!ref.tag) {
    throw new InvalidReferenceError(
      `cache: reference ${tagsCacheKey(ref)} has no tag`,
    );
  }
  return `${tagsCacheKey(ref)}:${ref.tag}`;
}

/**
 * A registry base with exactly one trailing `/`: the catalog key.
 */
export function catalogCacheKey(base: string): string {
  let b = base;
  if (b.startsWith(OCI_LAYOUT_REGISTRY)) {
    const root = b.slice(OCI_LAYOUT_REGISTRY.length);
    b = OCI_LAYOUT_REGISTRY +
      (root === "" ? layoutPath(".") : layoutPath(root));
  }
  return b.replace(/\/+$/, "") + "/";
}

/**
 * Every registry base whose catalog could list `repo`: its registry and
 * each parent path (for a layout, each parent directory).
 */
export function catalogBasesOf(repo: RepositoryRef): string[] {
  const bases: string[] = [];
  if (repo.registry === OCI_LAYOUT_REGISTRY) {
    let dir = layoutPath(repo.repository);
    for (let up = dirname(dir); up !== dir; dir = up, up = dirname(dir)) {
      bases.push(OCI_LAYOUT_REGISTRY + up);
    }
    return bases;
  }
  let base = repo.registry;
  for (const part of repo.repository.split("/").slice(0, -1)) {
    bases.push(base);
    base += "/" + part;
  }
  bases.push(base);
  return bases;
}
