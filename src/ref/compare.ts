/**
 * Version precedence with Masterminds/semver v3.4.0 `Compare` semantics.
 *
 * @module
 */
import { parseUint64, type SemVer } from "./semver.ts";

/**
 * Compares two versions: `-1` if `a < b`, `0` if equal, `1` if `a > b`.
 * Core numbers compare numerically; a release is greater than its
 * prereleases; prerelease identifiers compare left to right (both numeric:
 * by value; numeric before alphanumeric; both alphanumeric: byte-wise); a
 * shorter identifier list is smaller when the longer one starts with it.
 * Build metadata is ignored.
 *
 * As in Go, an all-digit identifier too large for a `uint64` counts as
 * alphanumeric.
 */
export function compareSemver(a: SemVer, b: SemVer): -1 | 0 | 1 {
  const core = compareBig(a.major, b.major) || compareBig(a.minor, b.minor) ||
    compareBig(a.patch, b.patch);
  if (core !== 0) return core;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 && pb.length === 0) return 0;
  if (pa.length === 0) return 1;
  if (pb.length === 0) return -1;
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const d = compareIdentifier(pa[i] ?? "", pb[i] ?? "");
    if (d !== 0) return d;
  }
  return 0;
}

function compareBig(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Masterminds' comparePrePart; "" stands for a missing identifier.
function compareIdentifier(s: string, o: string): -1 | 0 | 1 {
  if (s === o) return 0;
  if (s === "") return -1;
  if (o === "") return 1;
  const si = parseUint64(s);
  const oi = parseUint64(o);
  if (si === undefined && oi === undefined) return s > o ? 1 : -1;
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}
