/**
 * String helpers with the exact behaviour of the Go module's `helpers.go`,
 * quirks included: they work on the raw text and never validate it. Use
 * {@linkcode parseReference} when the grammar matters.
 *
 * @module
 */

/**
 * Splits a registry base into host and repository prefix at the first `/`.
 * The prefix gets a trailing `/`; a base without `/` gives an empty prefix
 * (which matches every repository). Quirk kept from Go: a base ending in
 * `/` yields a prefix ending in `//`.
 *
 * @example
 * ```ts
 * import { splitRegistryBase } from "@klaus/oci";
 * console.log(splitRegistryBase("gsoci.azurecr.io/giantswarm/klaus-plugins"));
 * // ["gsoci.azurecr.io", "giantswarm/klaus-plugins/"]
 * ```
 */
export function splitRegistryBase(base: string): [string, string] {
  const idx = base.indexOf("/");
  if (idx < 0) return [base, ""];
  return [base.slice(0, idx), base.slice(idx + 1) + "/"];
}

/**
 * The last `/`-separated segment of a repository path (`""` when the input
 * ends in `/`). Tags are not stripped: use
 * `shortName(repositoryFromRef(ref))` for a reference.
 *
 * @example
 * ```ts
 * import { shortName } from "@klaus/oci";
 * console.log(shortName("gsoci.azurecr.io/giantswarm/klaus-plugins/gs-platform")); // "gs-platform"
 * ```
 */
export function shortName(repository: string): string {
  return repository.slice(repository.lastIndexOf("/") + 1);
}

/**
 * Shortens a digest for display to the algorithm and 12 characters of hex
 * (`sha256:abc123def456`). Strings without `:` or with 12 or fewer
 * characters after it are returned unchanged.
 *
 * Lengths count UTF-8 bytes, as Go's string indexing does: `sha256:` and
 * seven `é` (14 bytes) are cut to six. When the cut splits a character, Go
 * keeps its first bytes, which are not valid UTF-8; here each of them
 * becomes U+FFFD, which is what Go shows when it converts the result to
 * runes or JSON.
 *
 * @example
 * ```ts
 * import { truncateDigest } from "@klaus/oci";
 * console.log(truncateDigest("sha256:abc123def456789abcdef")); // "sha256:abc123def456"
 * ```
 */
export function truncateDigest(d: string): string {
  const idx = d.indexOf(":");
  if (idx < 0) return d;
  const suffix = d.slice(idx + 1);
  // ASCII (every real digest): bytes and UTF-16 units agree.
  if (isAscii(suffix)) {
    return suffix.length > 12 ? d.slice(0, idx + 1) + suffix.slice(0, 12) : d;
  }
  const bytes = utf8.encode(suffix);
  if (bytes.length <= 12) return d;
  return d.slice(0, idx + 1) + goRunes(bytes.subarray(0, 12));
}

const utf8 = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/**
 * `bytes` decoded as Go decodes a string into runes: every byte that does
 * not start a complete, valid UTF-8 sequence becomes one U+FFFD (the
 * WHATWG decoder would merge an incomplete sequence into one).
 */
function goRunes(bytes: Uint8Array): string {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  let out = "";
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += fatal.decode(bytes.subarray(start, i)) + "\ufffd";
    i++;
    start = i;
  }
  return out + fatal.decode(bytes.subarray(start));
}

/** Length of the valid UTF-8 sequence at `i`, 0 when there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > b.length) return 0;
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) {
    if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  }
  return n;
}

/**
 * Splits `name:tag` at the last `:` when it comes after the last `/`;
 * otherwise the tag is `""`.
 *
 * Quirks kept from Go: digests are not understood
 * (`host/repo@sha256:abc` → `["host/repo@sha256", "abc"]`), a bare
 * `localhost:5000` splits into `["localhost", "5000"]`, and `repo:` gives
 * `["repo", ""]`.
 *
 * @example
 * ```ts
 * import { splitNameTag } from "@klaus/oci";
 * console.log(splitNameTag("localhost:5000/repo:v1.0.0")); // ["localhost:5000/repo", "v1.0.0"]
 * console.log(splitNameTag("gs-ae")); // ["gs-ae", ""]
 * ```
 */
export function splitNameTag(ref: string): [string, string] {
  const nameStart = ref.lastIndexOf("/");
  const idx = ref.lastIndexOf(":");
  if (idx > nameStart) return [ref.slice(0, idx), ref.slice(idx + 1)];
  return [ref, ""];
}

/**
 * The repository part of a reference: everything before the first `@`
 * (when it is not the first character), else everything before a `:` that
 * follows the last `/`. Port colons (`localhost:5000/repo`) are kept.
 *
 * Quirk kept from Go: a reference without `/` is returned unchanged, so
 * `gs-base:v1` stays `gs-base:v1` (unlike {@linkcode splitNameTag}).
 *
 * @example
 * ```ts
 * import { repositoryFromRef } from "@klaus/oci";
 * console.log(repositoryFromRef("localhost:5000/repo:v1.0.0")); // "localhost:5000/repo"
 * console.log(repositoryFromRef("example.com/repo@sha256:abc123")); // "example.com/repo"
 * ```
 */
export function repositoryFromRef(ref: string): string {
  const at = ref.indexOf("@");
  if (at > 0) return ref.slice(0, at);
  const nameStart = ref.lastIndexOf("/");
  const idx = ref.lastIndexOf(":");
  if (idx > nameStart && nameStart >= 0) return ref.slice(0, idx);
  return ref;
}

/**
 * Whether `ref` contains `@sha256:` or `@sha512:` (other algorithms are not
 * recognised, as in Go).
 */
export function hasDigest(ref: string): boolean {
  return ref.includes("@sha256:") || ref.includes("@sha512:");
}

/**
 * Whether `ref` has a digest ({@linkcode hasDigest}) or a `:` after its last
 * `/` (a tag, possibly empty).
 */
export function hasTagOrDigest(ref: string): boolean {
  if (hasDigest(ref)) return true;
  return ref.lastIndexOf(":") > ref.lastIndexOf("/");
}

/**
 * The tag of `ref` as {@linkcode splitNameTag} sees it, or `""` when the
 * reference has a digest.
 */
export function extractTag(ref: string): string {
  if (hasDigest(ref)) return "";
  return splitNameTag(ref)[1];
}

/**
 * Everything after the first `@` of `ref`, or `""` when there is none. Not
 * validated.
 */
export function digestFromRef(ref: string): string {
  const at = ref.indexOf("@");
  return at < 0 ? "" : ref.slice(at + 1);
}
