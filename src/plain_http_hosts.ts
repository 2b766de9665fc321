/**
 * Which registries `plainHttp` applies to: only the ones the user named —
 * the host of a reference passed to the client, a registry base passed to
 * a list, the configured bases. A host reached indirectly (a personality's
 * toolchain on another registry, say) stays https, so one loopback
 * registry in a test or a CI job never sends a real registry's traffic,
 * credentials included, in clear text.
 *
 * @module
 */

/** The hosts named so far, and whether plain HTTP applies to each. */
export class PlainHttpHosts {
  #named = new Set<string>();
  #enabled: boolean;

  /**
   * `plainHttp: true` applies to hosts as they are named; a list applies to
   * exactly those hosts.
   */
  constructor(plainHttp: boolean | readonly string[] | undefined) {
    this.#enabled = plainHttp === true;
    if (Array.isArray(plainHttp)) {
      for (const host of plainHttp) this.#named.add(host.toLowerCase());
    }
  }

  /** Records the registry of a reference or repository the user gave. */
  name(ref: string | undefined): void {
    if (!this.#enabled || !ref) return;
    const host = hostOf(ref);
    if (host) this.#named.add(host);
  }

  /** Records the registry of a base (`host[/prefix]`) the user gave. */
  nameBase(base: string | undefined): void {
    if (!this.#enabled || !base || base.startsWith("ocidir://")) return;
    const host = base.trim().split("/")[0];
    if (host) this.#named.add(host.toLowerCase());
  }

  /** Whether `host` is spoken to over plain HTTP. */
  plain = (host: string): boolean => this.#named.has(host.toLowerCase());
}

/**
 * The registry host of a reference or base, or `undefined` when it has none
 * (a short name, an `ocidir://` path). A first component followed by more
 * names a host when it has a `.` or `:` or is `localhost`, as Docker reads
 * references.
 */
export function hostOf(refOrBase: string): string | undefined {
  const s = refOrBase.trim();
  if (s.startsWith("ocidir://")) return undefined;
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  let first = s.slice(0, slash);
  // `user:password@host/…`: the host follows the user-info.
  const at = first.lastIndexOf("@");
  if (at >= 0) first = first.slice(at + 1);
  if (!/[.:]/.test(first) && first !== "localhost") return undefined;
  return first.toLowerCase();
}
