/**
 * What a registry says about its rate limit, for the message of a 429 the
 * client gave up on: Docker Hub's `RateLimit-Limit: 100;w=21600`, the IETF
 * draft's `RateLimit-*` and combined `RateLimit:` fields, GitHub-style
 * `X-RateLimit-*` (reset as a Unix time), and `Retry-After`.
 *
 * @module
 */
import { parseRetryAfter } from "./retry.ts";

/** A rate limit as announced by a response. */
export interface RateLimit {
  /** Requests allowed per window. */
  limit?: number;
  /** Window length in seconds (`;w=`), when given. */
  windowSeconds?: number;
  /** Requests left in the window. */
  remaining?: number;
  /** Seconds until the window resets (or the server asks to retry). */
  resetSeconds?: number;
}

/**
 * Reads the rate-limit fields of `headers`; `undefined` when there are none.
 */
export function parseRateLimit(
  headers: Headers,
  now: number = Date.now(),
): RateLimit | undefined {
  const out: RateLimit = {};
  const combined = headers.get("ratelimit");
  if (combined) {
    for (const part of combined.split(/[,;]/)) {
      const m = /^\s*(limit|remaining|reset|r|t)\s*=\s*(\d+)/i.exec(part);
      if (!m) continue;
      const key = m[1].toLowerCase();
      const n = Number(m[2]);
      if (key === "limit") out.limit = n;
      if (key === "remaining" || key === "r") out.remaining = n;
      if (key === "reset" || key === "t") out.resetSeconds = n;
    }
  }
  for (const prefix of ["ratelimit-", "x-ratelimit-"]) {
    const limit = field(headers.get(`${prefix}limit`));
    if (limit && out.limit === undefined) {
      out.limit = limit.value;
      if (limit.window !== undefined) out.windowSeconds = limit.window;
    }
    const remaining = field(headers.get(`${prefix}remaining`));
    if (remaining && out.remaining === undefined) {
      out.remaining = remaining.value;
    }
    const reset = field(headers.get(`${prefix}reset`));
    if (reset && out.resetSeconds === undefined) {
      // A large number is a Unix time (GitHub), a small one delta seconds.
      out.resetSeconds = reset.value > 1_000_000_000
        ? Math.max(0, Math.round(reset.value - now / 1000))
        : reset.value;
    }
  }
  if (out.resetSeconds === undefined) {
    const after = parseRetryAfter(headers.get("retry-after"), now);
    if (after !== undefined) out.resetSeconds = Math.ceil(after / 1000);
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The rate limit as message text, e.g. `rate limit 100 requests per 21600 s,
 * 0 remaining, resets in 3600 s`; `""` when the response names none.
 */
export function describeRateLimit(
  headers: Headers,
  now: number = Date.now(),
): string {
  const r = parseRateLimit(headers, now);
  if (!r) return "";
  const parts: string[] = [];
  if (r.limit !== undefined) {
    parts.push(
      `rate limit ${r.limit} requests${
        r.windowSeconds !== undefined ? ` per ${r.windowSeconds} s` : ""
      }`,
    );
  }
  if (r.remaining !== undefined) parts.push(`${r.remaining} remaining`);
  if (r.resetSeconds !== undefined) {
    const at = new Date(now + r.resetSeconds * 1000).toISOString()
      .replace(/\.\d+Z$/, "Z");
    parts.push(`resets in ${r.resetSeconds} s (${at})`);
  }
  return parts.join(", ");
}

function field(
  value: string | null,
): { value: number; window?: number } | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/i.exec(value);
  if (!m) return undefined;
  return { value: Number(m[1]), window: m[2] ? Number(m[2]) : undefined };
}
