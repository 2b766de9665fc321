/**
 * The HTTP layer under the registry client: `fetch` plus the rules a
 * registry client needs and `fetch` does not give — retries with backoff
 * (honouring `Retry-After`), a timeout for the response headers and for
 * every stall of the body (a body must deliver at least
 * {@linkcode MIN_BODY_BYTES_PER_TIMEOUT} bytes per timeout, so a dripping
 * one ends too), redirects followed by hand so `Authorization`
 * never reaches another origin, no https→http downgrade, and request
 * bodies that are replayed only when they can be.
 *
 * @module
 */
import { RegistryError, UnsafeUrlError } from "../errors.ts";
import { discardBody } from "./body.ts";
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryOptions,
  type RetryPolicy,
  sleep,
} from "./retry.ts";
import { TimeoutError } from "./timeout_error.ts";
import { DEFAULT_USER_AGENT } from "./user_agent.ts";
import { displayUrl } from "./url_safety.ts";

/**
 * A request body. A function is a factory returning a fresh stream of the
 * same bytes on each call, so the request can be replayed (retry, redirect,
 * authentication); a bare `ReadableStream` is sent at most once.
 */
export type RequestBody =
  | Uint8Array
  | string
  | URLSearchParams
  | ReadableStream<Uint8Array>
  | (() => ReadableStream<Uint8Array>);

/** Options of {@linkcode Transport}. */
export interface TransportOptions {
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** `User-Agent` header (default `klaus-oci-ts/<version>`). */
  userAgent?: string;
  /** Retry policy. */
  retry?: RetryOptions;
  /**
   * Timeout in milliseconds for the response headers of each request, and
   * for a response body: it must deliver at least
   * {@linkcode MIN_BODY_BYTES_PER_TIMEOUT} bytes per this much waiting
   * (default 60 000).
   */
  timeoutMs?: number;
  /** Most redirects followed for one request (default 10). */
  maxRedirects?: number;
  /** Source of jitter in [0, 1) (tests make it deterministic). */
  random?: () => number;
}

/** One HTTP request. */
export interface HttpRequest {
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: URL;
  /** Request headers. */
  headers?: HeadersInit;
  /** Request body. */
  body?: RequestBody;
  /** Aborts the request (also the body of its response). */
  signal?: AbortSignal;
  /** Send once, never retry. */
  noRetry?: boolean;
  /**
   * How to show the URL in errors (default `url.href`; pass
   * {@linkcode displayUrl} for URLs the server made up).
   */
  display?: string;
}

/** A response and the URL that produced it (after redirects). */
export interface HttpResponse {
  /** The response; its body stream errors when it stalls past the timeout. */
  response: Response;
  /** The URL of the last hop. */
  url: URL;
}

/**
 * Whether a body can be sent again: everything but a bare stream.
 */
export function isReplayable(body: RequestBody | undefined): boolean {
  return !(body instanceof ReadableStream);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

// The abort reason of a timed-out attempt; `send` turns it into a
// TimeoutError once no retry is left.
class AttemptTimeout extends Error {}

/**
 * Sends HTTP requests with the registry client's rules (see module docs).
 */
export class Transport {
  #fetch: typeof fetch;
  #userAgent: string;
  #retry: RetryPolicy;
  #timeoutMs: number;
  #maxRedirects: number;
  #random: () => number;

  /** Creates a transport. */
  constructor(options: TransportOptions = {}) {
    this.#fetch = options.fetch ??
      ((input, init) => globalThis.fetch(input, init));
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#retry = { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) };
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Sends `request`, retrying transient failures, and returns the final
   * response whatever its status (a transient status is returned once the
   * retries are spent). Throws {@linkcode RegistryError} (no status) when
   * the server cannot be reached — a {@linkcode TimeoutError} when it did
   * not answer in time —, {@linkcode UnsafeUrlError} for a refused
   * redirect, and the signal's reason when aborted.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const policy = this.#retry;
    const display = request.display ?? request.url.href;
    let streamUsed = false;
    for (let attempt = 0;; attempt++) {
      if (request.body instanceof ReadableStream) {
        if (streamUsed) {
          throw new RegistryError(
            `${request.method} "${display}": cannot resend a streamed request body`,
          );
        }
        streamUsed = true;
      }
      const canRetry = !request.noRetry && attempt < policy.maxRetries &&
        isReplayable(request.body);
      let result: HttpResponse;
      try {
        result = await this.#follow(request, display);
      } catch (e) {
        if (request.signal?.aborted) throw request.signal.reason;
        if (e instanceof UnsafeUrlError || e instanceof RegistryError) throw e;
        const delay = backoffDelay(attempt, policy, this.#random);
        if (!canRetry || Date.now() - started + delay > policy.maxElapsedMs) {
          throw networkError(request.method, display, e, this.#timeoutMs);
        }
        await sleep(delay, request.signal);
        continue;
      }
      const { response } = result;
      if (!isRetryableStatus(response.status) || !canRetry) return result;
      let delay = backoffDelay(attempt, policy, this.#random);
      const after = parseRetryAfter(response.headers.get("retry-after"));
      if (after !== undefined) delay = Math.min(after, policy.maxRetryAfterMs);
      if (Date.now() - started + delay > policy.maxElapsedMs) return result;
      await discardBody(response);
      await sleep(delay, request.signal);
    }
  }

  /** One attempt: the request and the redirects it leads to. */
  async #follow(request: HttpRequest, display: string): Promise<HttpResponse> {
    const origin = request.url.origin;
    let url = request.url;
    let method = request.method;
    const headers = new Headers(request.headers);
    headers.set("user-agent", this.#userAgent);
    let bodySource: RequestBody | undefined = request.body;
    for (let hop = 0;; hop++) {
      const hopHeaders = new Headers(headers);
      // Credentials belong to the registry: a redirect to storage on
      // another origin (S3, a CDN) must not see them.
      if (url.origin !== origin) hopHeaders.delete("authorization");
      const response = await this.#hop(
        url,
        {
          method,
          headers: hopHeaders,
          body: materialize(bodySource),
        },
        request.signal,
        `${request.method} "${display}"`,
      );
      if (!REDIRECTS.has(response.status)) return { response, url };
      const location = response.headers.get("location");
      if (location === null) return { response, url };
      await discardBody(response);
      if (hop >= this.#maxRedirects) {
        throw new UnsafeUrlError(
          `${request.method} "${display}": stopped after ${this.#maxRedirects} redirects`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new UnsafeUrlError(
          `${request.method} "${display}": invalid redirect location`,
        );
      }
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw new UnsafeUrlError(
          `${request.method} "${display}": refusing redirect to a ${next.protocol} URL`,
        );
      }
      if (url.protocol === "https:" && next.protocol === "http:") {
        throw new UnsafeUrlError(
          `${request.method} "${display}": refusing redirect from https to http (${
            displayUrl(next)
          })`,
        );
      }
      if (
        response.status === 303 && method !== "HEAD" ||
        (response.status === 301 || response.status === 302) &&
          method === "POST"
      ) {
        method = "GET";
        bodySource = undefined;
        hopHeaders.delete("content-type");
        headers.delete("content-type");
        headers.delete("content-length");
      } else if (bodySource instanceof ReadableStream) {
        throw new RegistryError(
          `${request.method} "${display}": cannot follow a redirect with a streamed request body`,
        );
      }
      url = next;
    }
  }

  /** One fetch with the header timeout and a stall-guarded body. */
  async #hop(
    url: URL,
    init: { method: string; headers: Headers; body?: BodyInit },
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Response> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const release = () => signal?.removeEventListener("abort", onAbort);
    const timeout = new AttemptTimeout("timeout");
    const requestInit: RequestInit & { duplex?: string } = {
      ...init,
      redirect: "manual",
      signal: controller.signal,
    };
    // Node's fetch refuses a stream body without it.
    if (init.body instanceof ReadableStream) requestInit.duplex = "half";
    const pending = this.#fetch(url, requestInit);
    // The timer and the caller's abort settle the wait themselves: a fetch
    // that ignores its signal (an injected one, a stuck connection) must
    // not hold the request past its timeout.
    // (Not Promise.withResolvers: Node 20 has none.)
    let stop!: (reason: unknown) => void;
    const stopped = new Promise<never>((_, reject) => stop = reject);
    const timer = setTimeout(() => {
      stop(timeout);
      controller.abort(timeout);
    }, this.#timeoutMs);
    const onCallerAbort = () => stop(signal!.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    let response: Response;
    try {
      response = await Promise.race([pending, stopped]);
    } catch (e) {
      release();
      // A response arriving after all is nobody's: free its connection.
      pending.then((r) => r.body?.cancel().catch(() => {}), () => {});
      if (controller.signal.reason === timeout) throw timeout;
      throw e;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
    if (
      !response.body || init.method === "HEAD" || NULL_BODY.has(response.status)
    ) {
      if (response.body) await response.body.cancel().catch(() => {});
      release();
      return NULL_BODY.has(response.status) || !response.body
        ? response
        : new Response(null, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
    }
    const body = guardBody(response.body, {
      timeoutMs: this.#timeoutMs,
      abort: () => controller.abort(timeout),
      release,
      what,
      signal,
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}

/**
 * Least bytes a response body must deliver per `timeoutMs` of waiting for
 * it. Below that it is stalled, or dripping — one byte every few seconds
 * never trips a plain "no data" timer and would hold the client forever.
 */
export const MIN_BODY_BYTES_PER_TIMEOUT = 1024;

interface GuardOptions {
  timeoutMs: number;
  /** Aborts the request (frees the connection where the runtime can). */
  abort: () => void;
  /** Detaches from the caller's signal. */
  release: () => void;
  what: string;
  signal: AbortSignal | undefined;
}

type Outcome =
  | { kind: "read"; result: ReadableStreamReadResult<Uint8Array> }
  | { kind: "window" };

/**
 * Wraps a response body so that it fails with a {@linkcode TimeoutError}
 * when it delivers less than {@linkcode MIN_BODY_BYTES_PER_TIMEOUT} bytes
 * in `timeoutMs` of waiting, and with the caller's reason when the caller
 * aborts. Only time spent waiting for the server counts, so a slow
 * consumer is not mistaken for a slow server.
 *
 * Both end the wait themselves — the pending read is raced, not relied on
 * to reject — and cancel the body through its reader. Aborting the fetch's
 * controller alone is not enough: once the original `Response` object has
 * been garbage collected, some runtimes no longer route that abort to the
 * body (Deno holds the response weakly), and the read waits forever.
 */
function guardBody(
  body: ReadableStream<Uint8Array>,
  o: GuardOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let waited = 0;
  let received = 0;
  let finished = false;
  let out!: ReadableStreamDefaultController<Uint8Array>;
  const onAbort = () => fail(o.signal!.reason);
  const detach = () => o.signal?.removeEventListener("abort", onAbort);
  const fail = (error: unknown) => {
    if (finished) return;
    finished = true;
    detach();
    o.release();
    o.abort();
    // Not awaited: cancelling a stuck body must not become the next hang.
    reader.cancel(error).catch(() => {});
    out.error(error);
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // Waiting since the last chunk: tells a stall from a drip.
  let sinceChunk = 0;
  const windowError = () =>
    new TimeoutError(
      sinceChunk >= o.timeoutMs
        ? `${o.what}: reading response body: no data for ${o.timeoutMs} ms`
        : `${o.what}: reading response body: ${received} bytes in ${o.timeoutMs} ms, less than ${MIN_BODY_BYTES_PER_TIMEOUT} (dripping)`,
      { timeoutMs: o.timeoutMs },
    );
  const waitFor = async (
    read: Promise<ReadableStreamReadResult<Uint8Array>>,
  ): Promise<Outcome> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    try {
      return await Promise.race([
        read.then((result): Outcome => ({ kind: "read", result })),
        new Promise<Outcome>((resolve) => {
          timer = setTimeout(
            () => resolve({ kind: "window" }),
            Math.max(0, o.timeoutMs - waited),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      waited += Date.now() - started;
      sinceChunk += Date.now() - started;
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      out = controller;
      if (o.signal?.aborted) onAbort();
    },
    async pull(controller) {
      if (finished) return;
      const read = reader.read();
      read.catch(() => {});
      try {
        for (;;) {
          const outcome = await waitFor(read);
          if (finished) return;
          if (outcome.kind === "window") {
            if (received < MIN_BODY_BYTES_PER_TIMEOUT) {
              fail(windowError());
              return;
            }
            waited = 0;
            received = 0;
            continue;
          }
          const { done, value } = outcome.result;
          if (done) {
            finished = true;
            detach();
            o.release();
            controller.close();
            return;
          }
          received += value.byteLength;
          sinceChunk = 0;
          if (waited >= o.timeoutMs) {
            if (received < MIN_BODY_BYTES_PER_TIMEOUT) {
              fail(windowError());
              return;
            }
            waited = 0;
            received = 0;
          }
          controller.enqueue(value);
          return;
        }
      } catch (e) {
        detach();
        // A user abort keeps its own reason; anything else is the server's
        // fault and gets the request in its message.
        fail(
          o.signal?.aborted ? o.signal.reason : new RegistryError(
            `${o.what}: reading response body: ${
              e instanceof Error ? e.message : String(e)
            }`,
            { cause: e },
          ),
        );
      }
    },
    async cancel(reason) {
      finished = true;
      detach();
      o.release();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

function materialize(body: RequestBody | undefined): BodyInit | undefined {
  if (body === undefined) return undefined;
  if (typeof body === "function") return body();
  return body as BodyInit;
}

function networkError(
  method: string,
  display: string,
  cause: unknown,
  timeoutMs: number,
): RegistryError {
  if (cause instanceof AttemptTimeout) {
    return new TimeoutError(
      `${method} "${display}": no response within ${timeoutMs} ms`,
      { timeoutMs },
    );
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RegistryError(`${method} "${display}": ${reason}`, { cause });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
