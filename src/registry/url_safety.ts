/**
 * Checks on URLs the server controls (upload `Location`, pagination `Link`,
 * redirects): they are where credentials leak (oras-go GHSA-jxpm-75mh-9fp7).
 *
 * @module
 */
import { UnsafeUrlError } from "../errors.ts";

/**
 * Resolves `location` against `base` and throws {@linkcode UnsafeUrlError}
 * unless the result has the same origin (scheme, host, port) as `registry`,
 * which also rules out a downgrade from https to http.
 */
export function sameOriginUrl(
  location: string,
  base: URL,
  what: string,
  registry: URL = base,
): URL {
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    throw new UnsafeUrlError(
      `invalid ${what} ${JSON.stringify(clip(location))}`,
    );
  }
  if (url.origin !== registry.origin) {
    throw new UnsafeUrlError(
      `refusing ${what} ${
        JSON.stringify(displayUrl(url))
      }: not on the registry's origin ${registry.origin}`,
    );
  }
  return url;
}

/**
 * A URL for messages: scheme, host and path, without user info and query
 * (server-made URLs may carry signatures or session state there).
 */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
