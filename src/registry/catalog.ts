/**
 * Prefix filtering of a registry catalog (the Go module's
 * `listRepositories`) with trailing-slash
 * semantics: the base `host/org/plugins` lists `org/plugins/a` but neither
 * `org/plugins-extra/b` nor a repository named exactly `org/plugins`.
 *
 * @module
 */
import { compareUtf8 } from "../_bytes.ts";

/** A registry base split into its host and repository prefix. */
export interface CatalogBase {
  /** `host[:port]`. */
  host: string;
  /** Repository prefix ending in `/`, or `""` for the whole registry. */
  prefix: string;
}

/**
 * Splits `host[/prefix…]` at the first `/`; the prefix gets exactly one
 * trailing `/` (none when empty).
 */
export function splitCatalogBase(base: string): CatalogBase {
  const slash = base.indexOf("/");
  if (slash < 0) return { host: base, prefix: "" };
  const rest = base.slice(slash + 1).replace(/\/+$/, "");
  return { host: base.slice(0, slash), prefix: rest ? `${rest}/` : "" };
}

/** What to do with one catalog page. */
export interface CatalogStep {
  /** Matching names, as `host/name`, in registry order. */
  keep: string[];
  /** True when a name sorts past the prefix: no later page can match. */
  stop: boolean;
}

/**
 * Keeps the names below `prefix` and stops at the first name that sorts
 * after it (byte-wise; the catalog is sorted), skipping the names before.
 * `-` (0x2D) sorts before `/` (0x2F), so a sibling `plugins-extra/…` is
 * skipped, not a stop.
 */
export function filterCatalogPage(
  names: readonly string[],
  host: string,
  prefix: string,
): CatalogStep {
  const keep: string[] = [];
  for (const name of names) {
    if (name.startsWith(prefix)) keep.push(`${host}/${name}`);
    else if (compareBytes(name, prefix) > 0) return { keep, stop: true };
  }
  return { keep, stop: false };
}

/**
 * Compares two strings in UTF-8 byte order (the order registries sort
 * catalogs by).
 */
export const compareBytes: (a: string, b: string) => number = compareUtf8;
