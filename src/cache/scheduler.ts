/**
 * Where background revalidations run. A process keeps them in a tracked
 * set and waits for them on close; a Worker hands them to
 * `ctx.waitUntil` so they outlive the response.
 *
 * @module
 */

/**
 * Takes background work.
 *
 * @example
 * ```ts
 * import type { BackgroundScheduler } from "@klaus/oci";
 * const inline: BackgroundScheduler = { schedule: () => {}, drain: () => Promise.resolve() };
 * inline.schedule(Promise.resolve());
 * await inline.drain();
 * ```
 */
export interface BackgroundScheduler {
  /** Keeps `work` alive until it settles. It never rejects. */
  schedule(work: Promise<unknown>): void;
  /** Resolves when every scheduled work has settled. */
  drain(): Promise<void>;
}

/**
 * The default scheduler: a set of pending promises that
 * {@linkcode TrackedScheduler.drain} waits for.
 */
export class TrackedScheduler implements BackgroundScheduler {
  #pending = new Set<Promise<unknown>>();

  /** Number of works not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Tracks `work` until it settles. */
  schedule(work: Promise<unknown>): void {
    const tracked = work.then(() => {}, () => {}).finally(() =>
      this.#pending.delete(tracked)
    );
    this.#pending.add(tracked);
  }

  /** Waits for everything scheduled, including work scheduled meanwhile. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
  }
}

/**
 * A scheduler for Cloudflare Workers: each work goes to `waitUntil` (pass
 * `ctx.waitUntil.bind(ctx)`), which keeps the isolate alive after the
 * response; there is nothing to drain.
 */
export function waitUntilScheduler(
  waitUntil: (work: Promise<unknown>) => void,
): BackgroundScheduler {
  return {
    schedule: (work) => waitUntil(work),
    drain: () => Promise.resolve(),
  };
}
