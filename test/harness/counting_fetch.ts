/**
 * A `fetch` wrapper that counts (and optionally logs) requests by method
 * and kind of registry endpoint, for tests asserting round trips per
 * operation.
 *
 * @module
 */

/** The registry endpoint a request went to. */
export type RequestKind =
  | "ping"
  | "manifest"
  | "blob"
  | "upload"
  | "tags"
  | "catalog"
  | "referrers"
  | "token"
  | "other";

/** One request seen by {@linkcode countingFetch}. */
export interface CountedRequest {
  /** HTTP method. */
  method: string;
  /** Endpoint kind. */
  kind: RequestKind;
  /** The full URL. */
  url: string;
  /** Response status, or 0 when the request failed. */
  status: number;
}

/** A counting fetch and its counters. */
export interface CountingFetch {
  /** Pass this as the client's `fetch`. */
  fetch: typeof fetch;
  /** Every request, in order. */
  requests: CountedRequest[];
  /** Number of requests matching `method` and/or `kind` (all when omitted). */
  count(filter?: { method?: string; kind?: RequestKind }): number;
  /** Counts by `"<METHOD> <kind>"`. */
  counts(): Record<string, number>;
  /** Forgets what was counted. */
  reset(): void;
}

/**
 * Classifies a URL by registry endpoint: `/v2/` → ping,
 * `/v2/<repo>/manifests/…` → manifest, `/blobs/uploads/…` → upload,
 * `/blobs/…` → blob, `/tags/list` → tags, `/v2/_catalog` → catalog,
 * `/referrers/` → referrers, anything outside `/v2/` → token.
 */
export function requestKind(url: string | URL): RequestKind {
  const path = new URL(url).pathname;
  if (!path.startsWith("/v2/")) return "token";
  if (path === "/v2/" || path === "/v2") return "ping";
  if (path.startsWith("/v2/_catalog")) return "catalog";
  if (path.includes("/blobs/uploads")) return "upload";
  if (path.includes("/blobs/")) return "blob";
  if (path.includes("/manifests/")) return "manifest";
  if (path.endsWith("/tags/list")) return "tags";
  if (path.includes("/referrers/")) return "referrers";
  return "other";
}

/**
 * Wraps `inner` (default `globalThis.fetch`) and records every request.
 * With `log: true` each request is printed to stderr as it completes.
 *
 * @example
 * const c = countingFetch();
 * const store = new RegistryStore({ fetch: c.fetch, plainHttp: true });
 * await store.listTags({ registry: host, repository: "a" });
 * assertEquals(c.count({ kind: "tags" }), 1);
 */
export function countingFetch(
  inner: typeof fetch = (input, init) => globalThis.fetch(input, init),
  options: { log?: boolean } = {},
): CountingFetch {
  const requests: CountedRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ??
      (input instanceof Request ? input.method : "GET")).toUpperCase();
    const entry: CountedRequest = {
      method,
      kind: requestKind(url),
      url,
      status: 0,
    };
    requests.push(entry);
    try {
      const response = await inner(input, init);
      entry.status = response.status;
      return response;
    } finally {
      if (options.log) {
        console.error(`${entry.method} ${entry.url} -> ${entry.status}`);
      }
    }
  };
  return {
    fetch: wrapped,
    requests,
    count(filter = {}) {
      return requests.filter((r) =>
        (filter.method === undefined || r.method === filter.method) &&
        (filter.kind === undefined || r.kind === filter.kind)
      ).length;
    },
    counts() {
      const out: Record<string, number> = {};
      for (const r of requests) {
        const key = `${r.method} ${r.kind}`;
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
    reset() {
      requests.length = 0;
    },
  };
}
