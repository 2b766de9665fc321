/**
 * Semantic versions parsed the way Masterminds/semver v3.4.0 `NewVersion`
 * does in its default coercing mode, which is what the Go module uses to
 * pick "latest": `v1` and `1.2` are versions, leading zeros in the core are
 * accepted, `V1.0.0` and `1.2.3.4` are not.
 *
 * @module
 */

/**
 * A parsed version. Core numbers are `bigint` because Go parses them as
 * `uint64`: all-digit tags such as `20240115` or larger must keep their
 * exact order.
 */
export interface SemVer {
  /** Major version. */
  major: bigint;
  /** Minor version (0 when the tag left it out). */
  minor: bigint;
  /** Patch version (0 when the tag left it out). */
  patch: bigint;
  /** Prerelease identifiers as written (`["rc", "1"]`), empty if none. */
  prerelease: string[];
  /** Build metadata identifiers, empty if none; ignored by comparison. */
  build: string[];
  /** The tag exactly as given (callers return this, `v` included). */
  original: string;
}

// Masterminds' looseSemVerRegex, anchored at both ends. JavaScript and Go's
// RE2 pick the same submatches for it (leftmost-first preference).
const LOOSE_RE =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const DIGITS_RE = /^[0-9]+$/;

/** Largest value of a Go `uint64`; bigger numbers fail `strconv.ParseUint`. */
export const MAX_UINT64: bigint = (1n << 64n) - 1n;

/**
 * Go's `strconv.ParseUint(s, 10, 64)`: the value of an all-digit string
 * that fits in a `uint64`, else `undefined`.
 */
export function parseUint64(s: string): bigint | undefined {
  if (!DIGITS_RE.test(s)) return undefined;
  const n = BigInt(s);
  return n <= MAX_UINT64 ? n : undefined;
}

/**
 * Parses `tag` as a version, or returns `undefined` when Masterminds'
 * `NewVersion` would reject it.
 */
export function parseSemver(tag: string): SemVer | undefined {
  const m = LOOSE_RE.exec(tag);
  if (!m) return undefined;
  const major = parseUint64(m[1]);
  const minor = m[2] === undefined ? 0n : parseUint64(m[2].slice(1));
  const patch = m[3] === undefined ? 0n : parseUint64(m[3].slice(1));
  if (major === undefined || minor === undefined || patch === undefined) {
    return undefined;
  }
  const prerelease = m[5] === undefined ? [] : m[5].split(".");
  // The pattern already excludes empty identifiers and foreign characters;
  // what is left of Masterminds' validatePrerelease is the leading-zero rule.
  for (const id of prerelease) {
    if (id.length > 1 && id[0] === "0" && DIGITS_RE.test(id)) return undefined;
  }
  const build = m[8] === undefined ? [] : m[8].split(".");
  return { major, minor, patch, prerelease, build, original: tag };
}

/**
 * Like {@linkcode parseSemver} but throws a `TypeError` for tags that are
 * not versions.
 */
export function mustParseSemver(tag: string): SemVer {
  const v = parseSemver(tag);
  if (v === undefined) {
    throw new TypeError(`invalid semantic version ${JSON.stringify(tag)}`);
  }
  return v;
}

/**
 * Whether `tag` parses as a version.
 */
export function isSemver(tag: string): boolean {
  return parseSemver(tag) !== undefined;
}
