/**
 * Parsing and formatting of artifact references: registry references
 * (`host[:port]/repo[:tag][@digest]`) and OCI image layout references
 * (`ocidir://<dir>[:tag][@digest]`).
 *
 * @module
 */
import { InvalidReferenceError } from "../errors.ts";
import { isValidRegistry, isValidRepository, isValidTag } from "./grammar.ts";
import { OCI_LAYOUT_REGISTRY, type Reference } from "./reference_type.ts";

// Same rule as `isValidDigest` of ../oci/digest.ts (go-digest's: the
// algorithms Go links, lowercase hex of the exact length), kept here so that
// reference parsing does not pull node:crypto into its importers.
const DIGEST_RE =
  /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

/**
 * Whether `s` names an OCI image layout on disk (`ocidir://…`) rather than
 * a registry.
 */
export function isLayoutReference(s: string): boolean {
  return s.startsWith(OCI_LAYOUT_REGISTRY);
}

/**
 * Parses a reference, validating every part against the OCI grammar.
 *
 * Registry references need a registry host before the first `/`; there is
 * no implicit `docker.io`. As in oras-go, an empty tag or digest
 * (`host/repo:`, `host/repo@`) means none — a pull then fails with "must
 * include a tag or digest" — and `repo:<anything>@digest` is accepted: the
 * tag is kept when it is a valid tag (the digest wins when fetching, see
 * {@linkcode manifestReference}) and dropped otherwise, as oras-go always
 * drops it. An empty digest after `@` drops the tag too (oras-go: no
 * reference). For `ocidir://<dir>` the same rules apply, and the tag and
 * digest are looked for only after the last `/`, so directories may contain
 * `:` and `@`.
 *
 * @throws {InvalidReferenceError} `parsing reference "<ref>": invalid
 * <registry|repository|tag|digest> "<value>"`, or `…: missing registry or
 * repository` when a registry reference has no `/`.
 */
export function parseReference(s: string): Reference {
  return isLayoutReference(s) ? parseLayout(s) : parseRegistry(s);
}

function invalid(s: string, part: string, value: string): never {
  throw new InvalidReferenceError(
    `parsing reference ${JSON.stringify(s)}: invalid ${part} ${
      JSON.stringify(value)
    }`,
  );
}

/**
 * Splits `[:tag][@digest]` off `s`. Only the text after the last `/` of
 * `s` is searched, and the tag is taken from the *first* `:` of that text
 * so that `repo:a:b` reports the tag `a:b` as the bad part.
 */
function splitSuffix(s: string, firstColon: boolean): {
  name: string;
  tag?: string;
  digest?: string;
} {
  const nameStart = s.lastIndexOf("/") + 1;
  let name = s;
  let digest: string | undefined;
  const at = s.indexOf("@", nameStart);
  if (at >= 0) {
    digest = s.slice(at + 1);
    name = s.slice(0, at);
  }
  let tag: string | undefined;
  const colon = firstColon
    ? name.indexOf(":", nameStart)
    : name.lastIndexOf(":");
  if (colon >= nameStart) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  return { name, tag, digest };
}

function parseRegistry(s: string): Reference {
  const slash = s.indexOf("/");
  if (slash < 0) {
    throw new InvalidReferenceError(
      `parsing reference ${JSON.stringify(s)}: missing registry or repository`,
    );
  }
  const registry = s.slice(0, slash);
  if (!isValidRegistry(registry)) invalid(s, "registry", registry);
  const rest = s.slice(slash + 1);
  // A digest may only follow the repository, so the first `@` ends it
  // (a `/` inside a would-be digest must not move the name start).
  const at = rest.indexOf("@");
  const beforeDigest = at >= 0 ? rest.slice(0, at) : rest;
  const { name: repository, tag } = splitSuffix(beforeDigest, true);
  const digest = at >= 0 ? rest.slice(at + 1) : undefined;
  return validated(s, { registry, repository, tag, digest }, true);
}

function parseLayout(s: string): Reference {
  const body = s.slice(OCI_LAYOUT_REGISTRY.length);
  const { name, tag, digest } = splitSuffix(body, false);
  if (name === "" || name.includes("\0")) invalid(s, "repository", name);
  return validated(
    s,
    { registry: OCI_LAYOUT_REGISTRY, repository: name, tag, digest },
    false,
  );
}

function validated(
  s: string,
  parts: Reference,
  checkRepository: boolean,
): Reference {
  const { registry, repository } = parts;
  let { tag, digest } = parts;
  if (checkRepository && !isValidRepository(repository)) {
    invalid(s, "repository", repository);
  }
  if (digest === "") {
    // oras-go: everything from the `@` on is the (empty) reference.
    digest = undefined;
    tag = undefined;
  } else if (digest !== undefined) {
    // oras-go drops the tag of `repo:tag@digest` without looking at it.
    if (tag !== undefined && !isValidTag(tag)) tag = undefined;
    if (!DIGEST_RE.test(digest)) invalid(s, "digest", digest);
  }
  if (tag === "") tag = undefined;
  if (tag !== undefined && !isValidTag(tag)) invalid(s, "tag", tag);
  const ref: Reference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * The canonical string of a reference: `host/repo`, `host/repo:tag`,
 * `host/repo@digest`, `host/repo:tag@digest`, or the same shapes after
 * `ocidir://<dir>`. Empty tags and digests are left out.
 */
export function formatReference(ref: Reference): string {
  let s = repositoryString(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/**
 * The reference without tag or digest: `host/repo`, or `ocidir://<dir>`
 * for a layout.
 */
export function repositoryString(ref: Reference): string {
  return ref.registry === OCI_LAYOUT_REGISTRY
    ? `${OCI_LAYOUT_REGISTRY}${ref.repository}`
    : `${ref.registry}/${ref.repository}`;
}

/**
 * What to ask the store for: the digest when there is one (it pins the
 * content), else the tag, else `undefined`.
 */
export function manifestReference(ref: Reference): string | undefined {
  return ref.digest || ref.tag || undefined;
}
