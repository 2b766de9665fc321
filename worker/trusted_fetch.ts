/**
 * The outbound guard: a `fetch` that only reaches the hosts of the
 * configured registry bases, plus the hosts those registries themselves
 * name — the token realm of a `WWW-Authenticate: Bearer` challenge and the
 * target of a redirect (blob storage). Nothing a client of the app sends
 * can add a host.
 *
 * @module
 */
import { UnsafeUrlError } from "../src/errors.ts";

/** Options of {@linkcode trustedFetch}. */
export interface TrustedFetchOptions {
  /** Registry hosts (`host[:port]`) that may always be contacted. */
  hosts: readonly string[];
  /** Called with the URL of every refused request. */
  onRefused?: (url: string) => void;
}

// Learned hosts are bounded so a misbehaving registry cannot grow the set
// without limit over an isolate's life.
const MAX_LEARNED = 64;

function normalHost(host: string): string {
  try {
    return new URL(`http://${host}`).host.toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}

function hostOf(url: string, base?: string): string | undefined {
  try {
    const u = new URL(url, base);
    if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
    return u.host.toLowerCase();
  } catch {
    return undefined;
  }
}

function realmHost(header: string | null, base: string): string | undefined {
  if (!header || !/^\s*bearer\b/i.test(header)) return undefined;
  const m = /realm\s*=\s*"([^"]*)"/i.exec(header) ??
    /realm\s*=\s*([^,\s]+)/i.exec(header);
  return m ? hostOf(m[1], base) : undefined;
}

/**
 * The host part (`host[:port]`) of registry bases; `ocidir://` bases name
 * no host and are skipped.
 *
 * @example
 * ```ts
 * import { hostsOfBases } from "./trusted_fetch.ts";
 * console.log(hostsOfBases(["localhost:5000/a", "ocidir:///srv/oci"])); // ["localhost:5000"]
 * ```
 */
export function hostsOfBases(bases: readonly string[]): string[] {
  const out = new Set<string>();
  for (const b of bases) {
    if (b.startsWith("ocidir://")) continue;
    const host = b.split("/")[0];
    if (host) out.add(normalHost(host));
  }
  return [...out];
}

/**
 * Wraps `inner` so that requests to any other host fail with
 * {@linkcode UnsafeUrlError} before leaving the process.
 *
 * @example
 * ```ts
 * import { trustedFetch } from "./trusted_fetch.ts";
 * const f = trustedFetch(fetch, { hosts: ["registry.example"] });
 * await f("https://elsewhere.example/").catch((e) => console.log(e.name)); // UnsafeUrlError
 * ```
 */
export function trustedFetch(
  inner: typeof fetch,
  options: TrustedFetchOptions,
): typeof fetch {
  const configured = new Set(options.hosts.map(normalHost));
  const learned = new Set<string>();
  const learn = (host: string | undefined) => {
    if (!host || configured.has(host) || learned.has(host)) return;
    if (learned.size >= MAX_LEARNED) {
      learned.delete(learned.values().next().value!);
    }
    learned.add(host);
  };
  const guarded = async (
    input: Request | URL | string,
    init?: RequestInit,
  ): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const host = hostOf(url);
    const trusted = host !== undefined &&
      (configured.has(host) || learned.has(host));
    if (!trusted) {
      options.onRefused?.(url);
      throw new UnsafeUrlError(
        `refusing to contact ${
          host ?? "a non-HTTP URL"
        }: not a configured registry`,
      );
    }
    const res = await inner(input, init);
    // Only the configured registries may introduce further hosts.
    if (configured.has(host)) {
      learn(realmHost(res.headers.get("www-authenticate"), url));
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get("location");
        if (loc) learn(hostOf(loc, url));
      }
    }
    return res;
  };
  return guarded as typeof fetch;
}
