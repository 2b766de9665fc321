/**
 * The `io.giantswarm.klaus.*` manifest annotations that carry the common
 * metadata of every artifact kind, and their encoding. The version is never
 * an annotation: it is the tag.
 *
 * @module
 */
import { trimSpace } from "../ref/_trim_space.ts";
import type { Author, KlausMetadata } from "./types.ts";

/**
 * Annotation key of the artifact name.
 *
 * @example
 * ```ts
 * import { ANNOTATION_NAME } from "@klaus/oci";
 * console.log(ANNOTATION_NAME); // io.giantswarm.klaus.name
 * ```
 */
export const ANNOTATION_NAME = "io.giantswarm.klaus.name";
/**
 * Annotation key of the description.
 *
 * @example
 * ```ts
 * import { ANNOTATION_DESCRIPTION } from "@klaus/oci";
 * console.log(ANNOTATION_DESCRIPTION);
 * ```
 */
export const ANNOTATION_DESCRIPTION = "io.giantswarm.klaus.description";
/**
 * Annotation key of the home page.
 *
 * @example
 * ```ts
 * import { ANNOTATION_HOMEPAGE } from "@klaus/oci";
 * console.log(ANNOTATION_HOMEPAGE);
 * ```
 */
export const ANNOTATION_HOMEPAGE = "io.giantswarm.klaus.homepage";
/**
 * Annotation key of the source repository.
 *
 * @example
 * ```ts
 * import { ANNOTATION_REPOSITORY } from "@klaus/oci";
 * console.log(ANNOTATION_REPOSITORY);
 * ```
 */
export const ANNOTATION_REPOSITORY = "io.giantswarm.klaus.repository";
/**
 * Annotation key of the licence.
 *
 * @example
 * ```ts
 * import { ANNOTATION_LICENSE } from "@klaus/oci";
 * console.log(ANNOTATION_LICENSE);
 * ```
 */
export const ANNOTATION_LICENSE = "io.giantswarm.klaus.license";
/**
 * Annotation key of the keywords (comma-joined).
 *
 * @example
 * ```ts
 * import { ANNOTATION_KEYWORDS } from "@klaus/oci";
 * console.log(ANNOTATION_KEYWORDS);
 * ```
 */
export const ANNOTATION_KEYWORDS = "io.giantswarm.klaus.keywords";
/**
 * Annotation key of the author's name.
 *
 * @example
 * ```ts
 * import { ANNOTATION_AUTHOR_NAME } from "@klaus/oci";
 * console.log(ANNOTATION_AUTHOR_NAME);
 * ```
 */
export const ANNOTATION_AUTHOR_NAME = "io.giantswarm.klaus.author.name";
/**
 * Annotation key of the author's e-mail address.
 *
 * @example
 * ```ts
 * import { ANNOTATION_AUTHOR_EMAIL } from "@klaus/oci";
 * console.log(ANNOTATION_AUTHOR_EMAIL);
 * ```
 */
export const ANNOTATION_AUTHOR_EMAIL = "io.giantswarm.klaus.author.email";
/**
 * Annotation key of the author's web address.
 *
 * @example
 * ```ts
 * import { ANNOTATION_AUTHOR_URL } from "@klaus/oci";
 * console.log(ANNOTATION_AUTHOR_URL);
 * ```
 */
export const ANNOTATION_AUTHOR_URL = "io.giantswarm.klaus.author.url";

/**
 * The annotations for `meta`: one key per non-empty field, keywords joined
 * with `,`, the author flattened into three keys; `undefined` when nothing
 * is set (the manifest then has no `annotations`). A `version` field is
 * ignored.
 */
export function buildKlausAnnotations(
  meta: Partial<KlausMetadata>,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const set = (key: string, value: string | undefined) => {
    if (value) out[key] = value;
  };
  set(ANNOTATION_NAME, meta.name);
  set(ANNOTATION_DESCRIPTION, meta.description);
  set(ANNOTATION_HOMEPAGE, meta.homepage);
  set(ANNOTATION_REPOSITORY, meta.repository);
  set(ANNOTATION_LICENSE, meta.license);
  if (meta.keywords && meta.keywords.length > 0) {
    out[ANNOTATION_KEYWORDS] = meta.keywords.join(",");
  }
  set(ANNOTATION_AUTHOR_NAME, meta.author?.name);
  set(ANNOTATION_AUTHOR_EMAIL, meta.author?.email);
  set(ANNOTATION_AUTHOR_URL, meta.author?.url);
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * The metadata in `annotations` (any other key, such as
 * `org.opencontainers.image.version`, is ignored). Keywords are split on `,`
 * and trimmed with Go's `strings.TrimSpace` (which removes U+0085 and keeps
 * U+FEFF, unlike `String#trim`), keeping empty parts; the author is present when any of its
 * three keys is non-empty.
 */
export function metadataFromAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): KlausMetadata {
  const a = annotations ?? {};
  const get = (key: string): string =>
    Object.hasOwn(a, key) && typeof a[key] === "string" ? a[key] : "";
  const meta: KlausMetadata = { name: get(ANNOTATION_NAME) };
  const description = get(ANNOTATION_DESCRIPTION);
  if (description) meta.description = description;
  const author: Author = {};
  const authorName = get(ANNOTATION_AUTHOR_NAME);
  const authorEmail = get(ANNOTATION_AUTHOR_EMAIL);
  const authorUrl = get(ANNOTATION_AUTHOR_URL);
  if (authorName) author.name = authorName;
  if (authorEmail) author.email = authorEmail;
  if (authorUrl) author.url = authorUrl;
  if (authorName || authorEmail || authorUrl) meta.author = author;
  const homepage = get(ANNOTATION_HOMEPAGE);
  if (homepage) meta.homepage = homepage;
  const repository = get(ANNOTATION_REPOSITORY);
  if (repository) meta.repository = repository;
  const license = get(ANNOTATION_LICENSE);
  if (license) meta.license = license;
  const keywords = get(ANNOTATION_KEYWORDS);
  if (keywords) meta.keywords = keywords.split(",").map(trimSpace);
  return meta;
}
