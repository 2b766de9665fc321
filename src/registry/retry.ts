/**
 * Retry policy: which failures are worth another attempt and how long to
 * wait before it (exponential backoff with full jitter, or the server's
 * `Retry-After`).
 *
 * @module
 */

/**
 * Retries of transient registry failures (HTTP 408, 429 and 5xx, and
 * network errors), with exponential backoff or the server's `Retry-After`:
 * `retry` of {@linkcode ClientOptions}.
 *
 * @example Fail fast: one retry, at most 10 s per request
 * ```ts
 * import { Client, type RetryOptions } from "@klaus/oci";
 * const retry: RetryOptions = { maxRetries: 1, maxElapsedMs: 10_000 };
 * const client = new Client({ retry });
 * await client.close();
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 4; 0 disables retrying). */
  maxRetries?: number;
  /** Backoff before the first retry, doubled each time (ms, default 200). */
  baseDelayMs?: number;
  /** Largest backoff between two attempts (ms, default 5 000). */
  maxDelayMs?: number;
  /**
   * Cap on a server's `Retry-After` (ms, default 30 000): a longer wait is
   * shortened to this.
   */
  maxRetryAfterMs?: number;
  /**
   * Total time budget of one request including waits (ms, default 120 000):
   * no retry is started when its wait would end past the budget.
   */
  maxElapsedMs?: number;
}

/** {@linkcode RetryOptions} with every field set. */
export type RetryPolicy = Required<RetryOptions>;

/**
 * The defaults of {@linkcode RetryOptions}.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  maxElapsedMs: 120_000,
};

/**
 * Whether a response status is transient: 408, 429 and 5xx except the
 * ones that will not change (501 Not Implemented, 505).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 ||
    (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * The wait a `Retry-After` value asks for, in milliseconds: delta seconds
 * or an HTTP date. `undefined` when absent or unparsable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/**
 * Backoff before retry number `retry` (0 for the first retry): a random
 * wait in [d/2, d] with d = base · 2^retry capped at `maxDelayMs`. Half of
 * the wait is fixed so a fleet of clients still spreads out but no retry
 * comes back instantly.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(d / 2 + (d / 2) * random());
}

export { sleep } from "../_sleep.ts";
