/**
 * The freshness state machine of index entries, as the Go cache's: fresh →
 * answered; stale → answered and revalidated in the background (or, with
 * background refresh off, revalidated first and answered stale only if the
 * registry fails); expired or missing → refetched. Refetches of one entry
 * share one request; a 404 drops the entry.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { CallOptions } from "../oci/store.ts";
import type { IndexKind, IndexRecord } from "./backend.ts";
import type { GuardedBackend } from "./guarded_backend.ts";
import type { BackgroundScheduler } from "./scheduler.ts";
import { Singleflight } from "./singleflight.ts";
import { isStaleIfErrorEligible } from "./stale_if_error.ts";
import type {
  CacheCallOptions,
  CacheStatus,
  CacheStatusDetail,
} from "./status.ts";

// Failed revalidations remembered (for backoff and status details).
const FAILURE_MEMORY = 1000;

/** An entry and how it was obtained. */
export interface Lookup<R extends IndexRecord> {
  /** The entry answering. */
  record: R;
  /** How it was obtained. */
  status: CacheStatus;
  /** Details for the status report. */
  detail: CacheStatusDetail;
}

/**
 * Fetches an entry's answer anew: conditionally when `previous` (a stale or
 * expired entry) has an ETag.
 */
export type Refetch<R extends IndexRecord> = (
  previous: R | undefined,
  signal: AbortSignal,
) => Promise<R>;

/** What one kind of lookup needs. */
export interface LookupSpec<R extends IndexRecord> {
  /** Entry kind. */
  kind: R["kind"];
  /** Entry key. */
  key: string;
  /** End of the stale window, as an age. */
  staleTtlMs: number;
  /** Time budget of a background revalidation. */
  timeoutMs: number;
  /** The network side. */
  refetch: Refetch<R>;
}

/** Settings of {@linkcode IndexCache}. */
export interface IndexCacheOptions {
  /** Age below which entries answer without network. */
  freshTtlMs: number;
  /** Revalidate stale entries after answering (else before). */
  backgroundRefresh: boolean;
  /** Where background revalidations run. */
  scheduler: BackgroundScheduler;
  /** Clock. */
  now: () => number;
}

/** Index entries with stale-while-revalidate and stale-if-error. */
export class IndexCache {
  readonly #backend: GuardedBackend;
  readonly #o: IndexCacheOptions;
  #flights = new Singleflight();
  #pending = new Set<Promise<void>>();
  #failures = new Map<string, { at: number; error: unknown }>();
  #closed = false;

  /** Entries in `backend`, handled as `options` say. */
  constructor(backend: GuardedBackend, options: IndexCacheOptions) {
    this.#backend = backend;
    this.#o = options;
  }

  /** Stops new background work; waits for running work. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
    await this.#o.scheduler.drain();
  }

  /** The entry for `spec`, fetched, revalidated or answered as it is. */
  async lookup<R extends IndexRecord>(
    spec: LookupSpec<R>,
    options: CallOptions & CacheCallOptions,
  ): Promise<Lookup<R>> {
    const { kind, key } = spec;
    const entry = await this.#backend.getIndex(kind, key) as R | undefined;
    if (entry) {
      const ageMs = this.#o.now() - entry.fetchedAt;
      const detail: CacheStatusDetail = { entry: kind, key, ageMs };
      if (ageMs < this.#o.freshTtlMs) {
        return { record: entry, status: "fresh", detail };
      }
      if (ageMs < spec.staleTtlMs) {
        if (this.#o.backgroundRefresh) {
          if (!this.#closed) this.#revalidate(spec, entry, options);
          const failure = this.#failures.get(`${kind}:${key}`);
          if (failure) detail.error = failure.error;
          return { record: entry, status: "stale", detail };
        }
        try {
          const record = await this.#refresh(spec, entry, options.signal);
          return { record, status: "miss", detail: { entry: kind, key } };
        } catch (e) {
          if (options.signal?.aborted || !isStaleIfErrorEligible(e)) throw e;
          return {
            record: entry,
            status: "stale",
            detail: { ...detail, error: e },
          };
        }
      }
    }
    const record = await this.#refresh(spec, entry, options.signal);
    return { record, status: "miss", detail: { entry: kind, key } };
  }

  #refresh<R extends IndexRecord>(
    spec: LookupSpec<R>,
    previous: R | undefined,
    signal?: AbortSignal,
  ): Promise<R> {
    const { kind, key } = spec;
    const id = `${kind}:${key}`;
    return this.#flights.do(id, async (shared) => {
      let record: R;
      try {
        record = await spec.refetch(previous, shared);
      } catch (e) {
        if (e instanceof NotFoundError) {
          await this.#backend.deleteIndex(kind as IndexKind, key);
        }
        throw e;
      }
      this.#failures.delete(id);
      await this.#backend.putIndex(record);
      return record;
    }, signal);
  }

  #revalidate<R extends IndexRecord>(
    spec: LookupSpec<R>,
    previous: R,
    options: CacheCallOptions,
  ): void {
    const id = `${spec.kind}:${spec.key}`;
    if (this.#flights.has(id)) return;
    // A registry that just failed is not asked again within the fresh TTL.
    const failure = this.#failures.get(id);
    if (failure && this.#o.now() - failure.at < this.#o.freshTtlMs) return;
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new DOMException("cache revalidation timed out", "TimeoutError"),
        ),
      spec.timeoutMs,
    );
    const task: Promise<void> = this.#refresh(spec, previous, timeout.signal)
      .then(() => {}, (error) => {
        if (!(error instanceof NotFoundError)) this.#remember(id, error);
      })
      .finally(() => {
        clearTimeout(timer);
        this.#pending.delete(task);
      });
    this.#pending.add(task);
    (options.scheduler ?? this.#o.scheduler).schedule(task);
  }

  #remember(id: string, error: unknown): void {
    this.#failures.delete(id);
    this.#failures.set(id, { at: this.#o.now(), error });
    for (const old of this.#failures.keys()) {
      if (this.#failures.size <= FAILURE_MEMORY) break;
      this.#failures.delete(old);
    }
  }
}
