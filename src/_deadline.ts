/**
 * Whole-operation deadlines. The transport's timeout bounds one response
 * (its headers, each stall of its body); a deadline bounds a whole list,
 * versions, describe, pull or push, however many requests it makes and
 * however slowly each of them trickles. When it runs out, the operation's
 * store calls are aborted and the operation rejects with a
 * {@linkcode TimeoutError} naming the operation and its budget — at once,
 * even if some code under it does not listen to its signal.
 *
 * @module
 */
import { redact } from "./_redact.ts";
import { CallOptionsStore } from "./oci/call_options_store.ts";
import type { OciStore } from "./oci/store.ts";
import { TimeoutError } from "./registry/timeout_error.ts";

/**
 * Budgets of whole operations in milliseconds (`deadlines` of
 * {@linkcode ClientOptions}); `0` or `Infinity` means no deadline. Defaults:
 * list 5 min, versions and describe 2 min, pull 30 min, push 60 min. Past
 * its budget an operation fails with a {@linkcode TimeoutError} and every
 * request it has in flight is aborted.
 *
 * @example
 * ```ts
 * import { Client, type OperationDeadlines } from "@klaus/oci";
 * const deadlines: OperationDeadlines = { list: 60_000, pull: 10 * 60_000 };
 * const client = new Client({ deadlines });
 * await client.close();
 * ```
 */
export interface OperationDeadlines {
  /** Listing the artifacts below a base (catalog and every tag list). */
  list?: number;
  /** Listing the versions of one artifact. */
  versions?: number;
  /** Describing one artifact (resolve, manifest, config). */
  describe?: number;
  /** Pulling one artifact into a directory. */
  pull?: number;
  /** Pushing one artifact. */
  push?: number;
}

/**
 * The default budgets: generous for a person on a slow link, finite so
 * that nothing waits forever (list 5 min, versions and describe 2 min, pull
 * 30 min, push 60 min).
 */
export const DEFAULT_DEADLINES: Readonly<Required<OperationDeadlines>> = {
  list: 5 * 60_000,
  versions: 2 * 60_000,
  describe: 2 * 60_000,
  pull: 30 * 60_000,
  push: 60 * 60_000,
};

/**
 * `deadlines` over {@linkcode DEFAULT_DEADLINES} (undefined, negative and
 * NaN values take the default).
 */
export function resolveDeadlines(
  deadlines: OperationDeadlines = {},
): Required<OperationDeadlines> {
  const out = { ...DEFAULT_DEADLINES };
  for (const key of Object.keys(out) as (keyof OperationDeadlines)[]) {
    const v = deadlines[key];
    if (typeof v === "number" && v >= 0) out[key] = v;
  }
  return out;
}

/**
 * The budget of `operation` in `deadlines`, else its default.
 */
export function budgetOf(
  deadlines: OperationDeadlines | undefined,
  operation: keyof OperationDeadlines,
): number {
  const v = deadlines?.[operation];
  return typeof v === "number" && v >= 0 ? v : DEFAULT_DEADLINES[operation];
}

/**
 * The error of an operation that ran out of its budget:
 * `<operation>: deadline of <budget> exceeded`.
 */
export function deadlineError(
  operation: string,
  budgetMs: number,
): TimeoutError {
  return new TimeoutError(
    redact(`${operation}: deadline of ${formatDuration(budgetMs)} exceeded`),
    { timeoutMs: budgetMs },
  );
}

/**
 * Runs `fn` with a signal that aborts when `budgetMs` has passed (or when
 * `signal` aborts), and settles no later than that: with a
 * {@linkcode deadlineError} when the budget ran out, with the caller's
 * reason when the caller aborted. No budget (`undefined`, `0`, `Infinity`)
 * runs `fn` as it is.
 */
export async function withDeadline<T>(
  operation: string,
  budgetMs: number | undefined,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!hasBudget(budgetMs)) return await fn(signal);
  signal?.throwIfAborted();
  const controller = new AbortController();
  // (Not Promise.withResolvers: Node 20 has none.)
  let reject!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, r) => reject = r);
  const stop = (reason: unknown) => {
    controller.abort(reason);
    reject(reason);
  };
  // The caller's abort reaches the work, which rejects with its reason once
  // it has cleaned up (a pull removes its temporary sibling): waiting for
  // that is what keeps an interrupted pull from leaving data behind.
  // Work that ignores its signal still ends: after a grace period with the
  // caller's reason, and a deadline passing meanwhile reports that reason
  // rather than a timeout.
  let grace: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    controller.abort(signal!.reason);
    grace = setTimeout(() => stop(signal!.reason), ABORT_GRACE_MS);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () =>
      stop(
        signal?.aborted ? signal.reason : deadlineError(operation, budgetMs),
      ),
    budgetMs,
  );
  try {
    const work = fn(controller.signal);
    // Whatever the work does after losing the race must not surface as an
    // unhandled rejection.
    work.catch(() => {});
    return await Promise.race([work, stopped]);
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * How long work aborted by its caller may take to settle (and clean up,
 * as a pull removes its temporary sibling) before it is given up on.
 */
const ABORT_GRACE_MS = 5_000;

/**
 * An object whose `store` passes `signal` to every call (combined with a
 * call's own signal), so that aborting it stops every request of the
 * operation that uses the copy.
 */
export function withStoreSignal<C extends { store: OciStore }>(
  ctx: C,
  signal: AbortSignal | undefined,
): C {
  return signal
    ? { ...ctx, store: new CallOptionsStore(ctx.store, { signal }) }
    : ctx;
}

/**
 * Runs an artifact operation on `ctx` within `budgetMs` (see
 * {@linkcode withDeadline}): its store calls get the deadline's signal.
 */
export function withContextDeadline<C extends { store: OciStore }, T>(
  ctx: C,
  operation: string,
  budgetMs: number | undefined,
  fn: (ctx: C) => Promise<T>,
): Promise<T> {
  if (!hasBudget(budgetMs)) return fn(ctx);
  return withDeadline(
    operation,
    budgetMs,
    (signal) => fn(withStoreSignal(ctx, signal)),
  );
}

function hasBudget(budgetMs: number | undefined): budgetMs is number {
  return typeof budgetMs === "number" && budgetMs > 0 &&
    Number.isFinite(budgetMs);
}

/**
 * `90000` → `1m30s`, `10000` → `10s`, `250` → `250ms`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  if (m === 0) return `${s}s`;
  return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
