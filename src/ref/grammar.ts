/**
 * The OCI distribution grammar for the parts of a reference: registry host,
 * repository name and tag. Digests are checked by `../oci/digest.ts`.
 *
 * @module
 */

// A host name as oras-go (Go's net/url) accepts it, restricted to the RFC
// 3986 unreserved characters: labels of letters, digits, `-`, `_` and `~`
// in any order (`local_registry`, `-x`), and an optional final `.`. Case is
// kept as written because credential lookup matches the host exactly.
const HOST_NAME_RE = /^(?:[A-Za-z0-9_~-]+\.)*[A-Za-z0-9_~-]+\.?$/;
const DOTTED_QUAD_RE = /^[0-9]+(?:\.[0-9]+){3}$/;
const PORT_RE = /^[0-9]{1,5}$/;
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY_RE = new RegExp(
  `^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`,
);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Longest repository name a registry accepts (distribution's limit). */
export const MAX_REPOSITORY_LENGTH = 255;

/**
 * Whether `s` is a registry host as it appears before the first `/` of a
 * reference: a host name, an IPv4 address or a bracketed IPv6 address,
 * optionally followed by `:port` (1–65535).
 *
 * Host names follow what oras-go accepts for real hosts: labels of letters,
 * digits, `-`, `_` and `~` in any order and of any length
 * (`local_registry:5000`, as Docker Compose names services), an optional
 * final `.`. Stricter than Go, which takes whatever Go's `net/url` takes as
 * a host: empty labels, other punctuation, non-ASCII, extra `:`, an empty
 * host or port, ports outside 1–65535 and dotted quads over 255 are refused
 * here (none of them can reach a registry; Go fails when it connects).
 */
export function isValidRegistry(s: string): boolean {
  let host = s;
  let port: string | undefined;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return false;
    host = s.slice(0, close + 1);
    const rest = s.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return false;
      port = rest.slice(1);
    }
    if (!isIPv6(host.slice(1, -1))) return false;
  } else {
    const colon = s.indexOf(":");
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
    if (!isHostName(host)) return false;
  }
  return port === undefined || isPort(port);
}

/**
 * Whether `s` follows the OCI repository name grammar: lowercase
 * alphanumeric components separated by `.`, `_`, `__` or runs of `-`,
 * joined by `/`, at most 255 characters.
 */
export function isValidRepository(s: string): boolean {
  return s.length <= MAX_REPOSITORY_LENGTH && REPOSITORY_RE.test(s);
}

/**
 * Whether `s` is a single repository path component (no `/`), the grammar
 * of a short name such as `gs-base`.
 */
export function isValidPathComponent(s: string): boolean {
  return s.length <= MAX_REPOSITORY_LENGTH && PATH_COMPONENT_RE.test(s);
}

/**
 * Whether `s` is a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
 */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

function isHostName(host: string): boolean {
  if (!HOST_NAME_RE.test(host)) return false;
  // Four numeric labels can only be meant as an IPv4 address.
  if (DOTTED_QUAD_RE.test(host)) {
    return host.split(".").every((l) => Number(l) <= 255);
  }
  return true;
}

function isPort(port: string): boolean {
  if (!PORT_RE.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

function isIPv6(addr: string): boolean {
  const halves = addr.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string): string[] => part === "" ? [] : part.split(":");
  const all = [
    ...groups(halves[0]),
    ...(halves.length === 2 ? groups(halves[1]) : []),
  ];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    // (After a trailing `::` the last group listed is not the address end.)
    const last = i === all.length - 1 && !addr.endsWith("::");
    // An embedded IPv4 address may end the address and stands for 2 groups.
    if (last && g.includes(".")) {
      if (!DOTTED_QUAD_RE.test(g)) return false;
      if (!g.split(".").every((o) => Number(o) <= 255)) return false;
      count += 2;
    } else if (HEX_GROUP_RE.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}
