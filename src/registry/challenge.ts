/**
 * Parsing of `WWW-Authenticate` headers (RFC 9110 §11.6.1): one or more
 * challenges, each a scheme followed by comma-separated `key=value` or
 * `key="quoted, value"` parameters, or by a token68.
 *
 * @module
 */

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** The scheme in lower case (`basic`, `bearer`, …). */
  scheme: string;
  /** Parameters with lower-cased keys and unquoted values. */
  params: Record<string, string>;
  /** A token68 credential blob, for schemes that use one. */
  token68?: string;
}

const TOKEN_AND_REST = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)([ \t]*)([\s\S]*)$/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Parses a `WWW-Authenticate` header value into its challenges. Malformed
 * parts are skipped; it never throws.
 */
export function parseChallenges(
  header: string | null | undefined,
): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let current: Challenge | undefined;
  for (const item of splitTopLevel(header)) {
    const m = TOKEN_AND_REST.exec(item);
    if (!m) continue;
    const [, name, ws, rest] = m;
    if (rest.startsWith("=")) {
      if (!current) continue;
      if (/^=+$/.test(rest) && !ws) {
        // `abc==`: token68 padding, not a parameter.
        if (current.token68 === undefined) current.token68 = name + rest;
        continue;
      }
      current.params[name.toLowerCase()] = unquote(rest.slice(1).trim());
      continue;
    }
    if (rest && !ws) continue; // e.g. `a"b`: not a token, skip
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    if (!rest) continue;
    if (TOKEN68.test(rest)) {
      current.token68 = rest;
      continue;
    }
    const p = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*=([\s\S]*)$/.exec(rest);
    if (p) current.params[p[1].toLowerCase()] = unquote(p[2].trim());
  }
  return out;
}

/** Splits at commas that are not inside a quoted string; trims items. */
function splitTopLevel(s: string): string[] {
  const items: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === "\\") i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') {
      inQuote = true;
    } else if (c === ",") {
      items.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(s.slice(start).trim());
  return items.filter((x) => x.length > 0);
}

function unquote(v: string): string {
  if (!v.startsWith('"')) return v;
  let out = "";
  for (let i = 1; i < v.length; i++) {
    const c = v[i];
    if (c === "\\" && i + 1 < v.length) {
      out += v[++i];
    } else if (c === '"') {
      break;
    } else {
      out += c;
    }
  }
  return out;
}
