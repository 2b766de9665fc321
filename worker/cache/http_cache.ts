/**
 * HTTP caching headers of API answers: `ETag`, `Cache-Control` that
 * matches how fresh the answer is, `Age`, `X-Klaus-Cache`, and
 * `If-None-Match` → 304.
 *
 * @module
 */
import type { CacheStatus } from "../../src/cache/status.ts";
import { digestOf } from "../../src/oci/digest.ts";

/** Freshness windows the headers advertise. */
export interface FreshnessWindows {
  /** How long an answer is fresh, in ms. */
  freshTtlMs: number;
  /** How long past that it may be served stale, in ms. */
  staleTtlMs: number;
}

/** How an answer was produced, as the headers report it. */
export interface AnswerState {
  /** Cache status of the answer. */
  status: CacheStatus;
  /** Age of the cached entry that decided the status. */
  ageMs?: number;
  /** A stale entry answered because the registry failed. */
  staleIfError?: boolean;
}

/**
 * A strong ETag: the manifest digest when there is one, else a digest of
 * the body.
 *
 * @example
 * ```ts
 * import { etagFor } from "./http_cache.ts";
 * console.log(etagFor("{}", "sha256:" + "a".repeat(64)));
 * ```
 */
export function etagFor(body: string, digest?: string): string {
  if (digest) return `"${digest}"`;
  return `"${digestOf(new TextEncoder().encode(body)).slice(0, 7 + 32)}"`;
}

/**
 * The `Cache-Control` value for an answer: fresh answers may be reused for
 * the rest of their fresh window, misses for a whole window, stale ones
 * not without revalidation; all allow stale-while-revalidate and
 * stale-if-error for the stale window.
 *
 * @example
 * ```ts
 * import { cacheControl } from "./http_cache.ts";
 * console.log(cacheControl({ status: "fresh", ageMs: 10_000 }, { freshTtlMs: 30_000, staleTtlMs: 86_400_000 }));
 * // public, max-age=20, stale-while-revalidate=86400, stale-if-error=86400
 * ```
 */
export function cacheControl(state: AnswerState, w: FreshnessWindows): string {
  const fresh = Math.floor(w.freshTtlMs / 1000);
  const stale = Math.floor(w.staleTtlMs / 1000);
  let maxAge: number;
  if (state.status === "fresh") {
    maxAge = Math.max(
      0,
      Math.floor((w.freshTtlMs - (state.ageMs ?? 0)) / 1000),
    );
  } else if (state.status === "miss") {
    maxAge = fresh;
  } else {
    maxAge = 0;
  }
  return `public, max-age=${maxAge}, stale-while-revalidate=${stale}, stale-if-error=${stale}`;
}

/**
 * The caching headers of an answer.
 *
 * @example
 * ```ts
 * import { cachingHeaders } from "./http_cache.ts";
 * const h = cachingHeaders('"x"', { status: "miss" }, { freshTtlMs: 30_000, staleTtlMs: 60_000 });
 * console.log(h["X-Klaus-Cache"]); // miss
 * ```
 */
export function cachingHeaders(
  etag: string,
  state: AnswerState,
  w: FreshnessWindows,
): Record<string, string> {
  const h: Record<string, string> = {
    "ETag": etag,
    "Cache-Control": cacheControl(state, w),
    "X-Klaus-Cache": state.status,
  };
  if (state.status !== "miss" && state.ageMs !== undefined) {
    h["Age"] = String(Math.max(0, Math.floor(state.ageMs / 1000)));
  }
  if (state.staleIfError) h["Warning"] = '111 - "Revalidation Failed"';
  return h;
}

/**
 * Whether an `If-None-Match` header matches `etag` (weak comparison, `*`
 * matches anything).
 *
 * @example
 * ```ts
 * import { ifNoneMatchHits } from "./http_cache.ts";
 * console.log(ifNoneMatchHits('W/"a", "b"', '"b"')); // true
 * ```
 */
export function ifNoneMatchHits(
  header: string | undefined,
  etag: string,
): boolean {
  if (!header) return false;
  const want = etag.replace(/^W\//, "");
  return header.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag.replace(/^W\//, "") === want;
  });
}
