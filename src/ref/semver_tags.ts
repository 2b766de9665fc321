/**
 * Picking and ordering version tags of a repository.
 *
 * @module
 */
import { compareSemver } from "./compare.ts";
import { parseSemver, type SemVer } from "./semver.ts";

function parsed(tags: Iterable<string>): SemVer[] {
  const out: SemVer[] = [];
  for (const tag of tags) {
    const v = parseSemver(tag);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * The highest version among `tags`, as written (a `v` prefix is kept), or
 * `""` when no tag is a version. Non-version tags (`latest`, `main`, cosign
 * `sha256-….sig`) are skipped. On ties (`v1.0.0` and `1.0.0`, or tags that
 * differ only in `+build`) the first in input order wins.
 *
 * @example
 * ```ts
 * import { latestSemverTag } from "@klaus/oci";
 * console.log(latestSemverTag(["latest", "v0.0.6", "main", "v0.0.7"])); // "v0.0.7"
 * ```
 */
export function latestSemverTag(
  tags: Iterable<string> | null | undefined,
): string {
  let best: SemVer | undefined;
  for (const v of parsed(tags ?? [])) {
    if (best === undefined || compareSemver(v, best) > 0) best = v;
  }
  return best?.original ?? "";
}

/**
 * The version tags among `tags`, highest first, as written. Non-version
 * tags are dropped. Equal versions keep their input order (Go's sort was
 * unstable; ours is stable so results are reproducible).
 */
export function sortedSemverTags(
  tags: Iterable<string> | null | undefined,
): string[] {
  return parsed(tags ?? [])
    .sort((a, b) => compareSemver(b, a))
    .map((v) => v.original);
}
