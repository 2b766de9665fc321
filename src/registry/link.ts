/**
 * The `Link` header (RFC 8288) as registries use it for pagination:
 * `</v2/_catalog?last=b&n=100>; rel="next"`.
 *
 * @module
 */

/**
 * The target of the `rel="next"` link in a `Link` header, as written (the
 * caller resolves it against the request URL). A single link without any
 * `rel` counts as next, as oras-go reads distribution's header.
 *
 * @example
 * ```ts
 * import { nextLink } from "@klaus/oci";
 * console.log(nextLink('</v2/a/tags/list?last=v2&n=2>; rel="next"')); // /v2/a/tags/list?last=v2&n=2
 * ```
 */
export function nextLink(
  header: string | null | undefined,
): string | undefined {
  if (!header) return undefined;
  const links: { target: string; rels: string[] | undefined }[] = [];
  const re = /<([^>]*)>((?:\s*;\s*[^;,]*(?:"[^"]*")?[^;,]*)*)/g;
  for (const m of header.matchAll(re)) {
    let rels: string[] | undefined;
    for (const param of m[2].split(";")) {
      const p = /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(param);
      if (p) rels = p[1].toLowerCase().split(/\s+/).filter(Boolean);
    }
    links.push({ target: m[1].trim(), rels });
  }
  const next = links.find((l) => l.rels?.includes("next"));
  if (next) return next.target;
  if (links.length === 1 && links[0].rels === undefined) return links[0].target;
  return undefined;
}
