/**
 * Token scopes of the Docker token protocol (`type:name:actions`), and the
 * canonical form used as a cache key: one entry per resource, actions
 * merged and sorted, entries sorted.
 *
 * @module
 */

/**
 * The scope that grants listing the registry catalog.
 */
export const CATALOG_SCOPE = "registry:catalog:*";

/**
 * The scope for reading (`push: false`) or writing a repository.
 */
export function repositoryScope(repository: string, push = false): string {
  return `repository:${repository}:${push ? "pull,push" : "pull"}`;
}

/**
 * Canonical scope set: duplicates removed, actions of one resource merged
 * (`*` absorbs the others), everything sorted. Two requests needing the
 * same access yield the same list, so they share a cached token.
 */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  for (const raw of scopes) {
    for (const scope of raw.split(" ")) {
      if (!scope) continue;
      const last = scope.lastIndexOf(":");
      const first = scope.indexOf(":");
      if (first <= 0 || last === first) {
        // Not type:name:actions; keep it verbatim rather than guess.
        opaque.add(scope);
        continue;
      }
      const resource = scope.slice(0, last);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const a of scope.slice(last + 1).split(",")) if (a) actions.add(a);
      byResource.set(resource, actions);
    }
  }
  const out = [...opaque];
  for (const [resource, actions] of byResource) {
    const list = actions.has("*") ? ["*"] : [...actions].sort();
    if (list.length === 0) continue;
    out.push(`${resource}:${list.join(",")}`);
  }
  return out.sort();
}
