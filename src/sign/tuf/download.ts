/**
 * Bounded downloads from a TUF mirror: every request has a deadline
 * (headers and body together), every body a byte bound, and the call
 * settles by the deadline even when the transport ignores its signal.
 *
 * @module
 */
import { readStreamLimited } from "../../_bytes.ts";
import { tufError } from "./errors.ts";

/** How downloads are made. */
export interface DownloadOptions {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Deadline of one request, headers and body, in milliseconds. */
  timeoutMs: number;
  /** Aborts the download. */
  signal?: AbortSignal;
}

/** `undefined` for 404 and 403 (there is no such file). */
export type Downloaded = Uint8Array | undefined;

const RETRIES = 1;
const RETRY_DELAY_MS = 200;

/**
 * The body at `url` (named `file` in errors), at most `maxBytes` long.
 * `undefined` when the mirror answers 404 or 403; a `TufError` otherwise
 * for another status, a network failure (`unavailable`, after one retry
 * for a network failure or 5xx), a body over `maxBytes` (`too-large`) or
 * the deadline passing (`timeout`). The caller's abort rejects with its
 * reason.
 */
export async function download(
  url: string,
  file: string,
  maxBytes: number,
  options: DownloadOptions,
): Promise<Downloaded> {
  for (let attempt = 0;; attempt++) {
    try {
      return await downloadOnce(url, file, maxBytes, options);
    } catch (e) {
      const retry = (e as { retryable?: boolean }).retryable === true;
      if (!retry || attempt >= RETRIES) throw e;
      options.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
}

function retryable<E extends Error>(e: E): E {
  (e as unknown as { retryable: boolean }).retryable = true;
  return e;
}

async function downloadOnce(
  url: string,
  file: string,
  maxBytes: number,
  options: DownloadOptions,
): Promise<Downloaded> {
  const { signal, timeoutMs } = options;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const timedOut = tufError(
    file,
    "timeout",
    `no complete answer from ${url} within ${timeoutMs}ms`,
  );
  let reject!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, r) => reject = r);
  const stop = (reason: unknown) => {
    controller.abort(reason);
    reject(reason);
  };
  const timer = setTimeout(() => stop(timedOut), timeoutMs);
  const onAbort = () => stop(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const work = fetchBody(url, file, maxBytes, options.fetch, controller.signal);
  work.catch(() => {});
  try {
    return await Promise.race([work, stopped]);
  } catch (e) {
    if (e === timedOut || (signal?.aborted && e === signal.reason)) throw e;
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

async function fetchBody(
  url: string,
  file: string,
  maxBytes: number,
  fetchFn: typeof fetch,
  signal: AbortSignal,
): Promise<Downloaded> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal, redirect: "follow" });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw retryable(
      tufError(
        file,
        "unavailable",
        `fetching ${url}: ${(e as Error).message}`,
        e,
      ),
    );
  }
  if (res.status === 404 || res.status === 403) {
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    const e = tufError(
      file,
      "unavailable",
      `fetching ${url}: status ${res.status}`,
    );
    throw res.status >= 500 ? retryable(e) : e;
  }
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tufError(
      file,
      "too-large",
      `${declared} bytes announced, at most ${maxBytes} allowed`,
    );
  }
  if (!res.body) return new Uint8Array(0);
  try {
    return await readStreamLimited(
      res.body,
      maxBytes,
      () =>
        tufError(file, "too-large", `over ${maxBytes} bytes, the most allowed`),
    );
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if ((e as { name?: string }).name === "TufError") throw e;
    throw retryable(
      tufError(
        file,
        "unavailable",
        `reading ${url}: ${(e as Error).message}`,
        e,
      ),
    );
  }
}
