/**
 * One request's view of the library cache: where its background
 * revalidations go, and how fresh the answer turned out — the least fresh
 * of every cached part the client consulted (`miss` > `stale` > `fresh`).
 *
 * @module
 */
import type { BackgroundScheduler } from "../../src/cache/scheduler.ts";
import type { CacheStatus, CacheStatusDetail } from "../../src/cache/status.ts";
import { worstCacheStatus } from "../../src/cache/status.ts";

/**
 * Collects the cache statuses one request's client calls report.
 *
 * @example
 * ```ts
 * import { RequestScope } from "./scope.ts";
 * const scope = new RequestScope({ schedule: () => {}, drain: () => Promise.resolve() });
 * scope.report("fresh", { entry: "tags", key: "k", ageMs: 5 });
 * scope.report("stale", { entry: "refs", key: "k2", ageMs: 40_000 });
 * console.log(scope.status, scope.ageMs); // stale 40000
 * ```
 */
export class RequestScope {
  /** Where background revalidations of this request go. */
  readonly scheduler: BackgroundScheduler;
  #status: CacheStatus | undefined;
  #ageMs: number | undefined;
  #staleError = false;

  /** Creates a scope that schedules background work on `scheduler`. */
  constructor(scheduler: BackgroundScheduler) {
    this.scheduler = scheduler;
  }

  /** The `onCacheStatus` callback to hand to the library. */
  readonly report = (status: CacheStatus, detail?: CacheStatusDetail): void => {
    const worst = this.#status === undefined
      ? status
      : worstCacheStatus(this.#status, status);
    if (worst !== this.#status) {
      this.#status = worst;
      this.#ageMs = undefined;
    }
    if (status === worst && detail?.ageMs !== undefined) {
      this.#ageMs = Math.max(this.#ageMs ?? 0, detail.ageMs);
    }
    if (status === "stale" && detail?.error !== undefined) {
      this.#staleError = true;
    }
  };

  /**
   * The answer's status; `miss` when nothing was reported (no cache, or
   * the answer needed no cached part).
   */
  get status(): CacheStatus {
    return this.#status ?? "miss";
  }

  /** Age in ms of the entry that decided the status, when known. */
  get ageMs(): number | undefined {
    return this.#ageMs;
  }

  /** Whether a stale entry stood in because the registry failed. */
  get staleIfError(): boolean {
    return this.#staleError;
  }
}
