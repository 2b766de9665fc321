/**
 * Coalesces concurrent identical work (per process, like the Go cache's
 * singleflight). The shared work gets its own abort signal, which fires
 * only when every caller waiting for it has given up — so one impatient
 * caller cannot fail the others, and nobody waiting means no work.
 *
 * @module
 */

interface Flight {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

/**
 * Runs at most one `fn` per key at a time; later callers share its result.
 */
export class Singleflight {
  #flights = new Map<string, Flight>();

  /** Whether work for `key` is running. */
  has(key: string): boolean {
    return this.#flights.has(key);
  }

  /**
   * Joins the running work for `key`, or starts `fn`. `signal` aborts this
   * caller's wait; the work itself is aborted when no caller waits anymore.
   */
  do<T>(
    key: string,
    fn: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight = {
        controller,
        waiters: 0,
        promise: Promise.resolve().then(() => fn(controller.signal)),
      };
      started.promise.catch(() => {}).finally(() => {
        if (this.#flights.get(key) === started) this.#flights.delete(key);
      });
      this.#flights.set(key, started);
      flight = started;
    }
    const joined = flight;
    joined.waiters++;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        signal?.removeEventListener("abort", onAbort);
        joined.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (joined.waiters === 0) joined.controller.abort(signal?.reason);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      joined.promise.then(
        (v) => leave() && resolve(v as T),
        (e) => leave() && reject(e),
      );
    });
  }
}
