/**
 * The `Link` header (RFC 8288) as registries write it for pagination. The
 * standard form is `</v2/_catalog?last=b&n=100>; rel="next"`; Quay and
 * Workers-based registries send the target bare
 * (`http://host/v2/…?last=b; rel=next`), some quote it. All are read.
 *
 * @module
 */

interface LinkValue {
  target: string;
  rels: string[] | undefined;
}

/**
 * The target of the `rel="next"` link in a `Link` header, as written (the
 * caller resolves it). The target may be in angle brackets, quoted or bare;
 * `rel` quoted or not. A single link without any `rel` counts as next, as
 * oras-go reads distribution's header.
 */
export function nextLink(
  header: string | null | undefined,
): string | undefined {
  if (!header) return undefined;
  const links = parseLinks(header);
  const next = links.find((l) => l.rels?.includes("next"));
  if (next) return next.target;
  if (links.length === 1 && links[0].rels === undefined) return links[0].target;
  return undefined;
}

function parseLinks(header: string): LinkValue[] {
  const links: LinkValue[] = [];
  for (const value of splitOutside(header, ",")) {
    const [first, ...params] = splitOutside(value, ";");
    const target = unwrap(first.trim());
    if (!target) continue;
    let rels: string[] | undefined;
    for (const param of params) {
      const p = /^\s*rel\s*=\s*(.*?)\s*$/i.exec(param);
      if (p) {
        rels = unwrap(p[1]).toLowerCase().split(/\s+/).filter(Boolean);
      }
    }
    links.push({ target, rels });
  }
  return links;
}

/** Splits at `sep` where it is outside `<…>` and `"…"`. */
function splitOutside(s: string, sep: string): string[] {
  const parts: string[] = [];
  let angle = false;
  let quote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === '"') quote = false;
    } else if (angle) {
      if (c === ">") angle = false;
    } else if (c === '"') quote = true;
    else if (c === "<") angle = true;
    else if (c === sep) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function unwrap(s: string): string {
  const t = s.trim();
  if (
    t.length >= 2 &&
    (t[0] === "<" && t.at(-1) === ">" || t[0] === '"' && t.at(-1) === '"')
  ) {
    return t.slice(1, -1).trim();
  }
  return t;
}
