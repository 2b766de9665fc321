/**
 * Blob uploads (OCI distribution "push"). Every request body has a known
 * length, because registries and proxies that need one answer 411 or fail
 * on `Transfer-Encoding: chunked` (and Deno's and workerd's `fetch` send
 * every stream body that way, whatever `Content-Length` the caller set):
 *
 * - bytes in memory go up monolithically: `POST`, then `PUT ?digest=` with
 *   the body;
 * - streams go up in chunks: `POST`, one `PATCH` per chunk carrying
 *   `Content-Range` and a byte-array body (so `fetch` sends its length),
 *   the next chunk read while the current one is on the wire, then
 *   `PUT ?digest=` without a body.
 *
 * A failed chunk is resumed from the offset the registry reports (upload
 * status `GET`), not resent from the start; a replayable source restarts
 * from its beginning at most once, when the registry lost the session.
 * Upload URLs the registry hands out must stay on its origin.
 *
 * @module
 */
import { sizedBody } from "./sized_body.ts";
import { DigestMismatchError, RegistryError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { Digester, isValidDigest } from "../oci/digest.ts";
import type { ProgressEvent, TransferOptions } from "../oci/store.ts";
import type { AuthRequest } from "./auth.ts";
import { discardBody } from "./body.ts";
import { responseError } from "./http_error.ts";
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableStatus,
  sleep,
} from "./retry.ts";
import type { HttpResponse } from "./transport.ts";
import { displayUrl, sameOriginUrl } from "./url_safety.ts";

/** What an upload needs from the store. */
export interface UploadContext {
  /** Sends an authenticated request. */
  send(request: AuthRequest): Promise<HttpResponse>;
  /** `…/v2/<repo>/blobs/uploads/`. */
  uploadsUrl: URL;
  /** Scopes for pushing to the repository. */
  scopes: string[];
  /** Preferred chunk size (bounded by the registry's announced limits). */
  chunkSize: number;
  /** Attempts to resume one chunk after a failure (default 3). */
  chunkRetries?: number;
}

/** Options of a streamed upload. */
export interface StreamUploadOptions extends TransferOptions {
  /** Media type of the returned descriptor (default `application/octet-stream`). */
  mediaType?: string;
}

/** An upload session the registry opened. */
export interface Session {
  location: URL;
  minChunk: number;
  maxChunk: number;
}

const OCTET_STREAM = "application/octet-stream";

/** The registry lost the upload session: only a new one can continue. */
class SessionLost extends RegistryError {}

/**
 * `POST` + `PUT <location>&digest=` with the bytes as body: the most widely
 * supported upload, for content already in memory.
 */
export async function uploadBytes(
  ctx: UploadContext,
  descriptor: Descriptor,
  bytes: Uint8Array,
  options: TransferOptions = {},
  started?: Session,
): Promise<void> {
  const session = started ?? await startUpload(ctx, options.signal);
  const put = withDigest(session.location, descriptor.digest);
  const sized = sizedBody(bytes);
  const { response } = await ctx.send({
    method: "PUT",
    url: put,
    headers: { "content-type": OCTET_STREAM, ...sized.headers },
    body: sized.body,
    scopes: ctx.scopes,
    signal: options.signal,
    display: displayUrl(put),
  });
  await finishUpload(ctx, put, response, descriptor.digest, options.signal);
  options.onProgress?.(
    pushEvent(descriptor.digest, descriptor.mediaType, bytes.byteLength, {
      total: descriptor.size,
      done: true,
    }),
  );
}

/**
 * Uploads content whose digest and size are known from a factory of fresh
 * streams, in chunks. The content is checked against `descriptor` before
 * the upload is committed. When the registry loses the session midway, the
 * upload starts over once with a fresh stream.
 */
export async function uploadKnownStream(
  ctx: UploadContext,
  descriptor: Descriptor,
  source: () => ReadableStream<Uint8Array>,
  options: TransferOptions = {},
  started?: Session,
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await uploadStream(
        ctx,
        source(),
        {
          ...options,
          mediaType: descriptor.mediaType,
        },
        descriptor,
        attempt === 0 ? started : undefined,
      );
      return;
    } catch (e) {
      if (!(e instanceof SessionLost) || attempt > 0) throw e;
    }
  }
}

/**
 * Uploads a stream of unknown digest and length in chunks of
 * `ctx.chunkSize` (at least the registry's `OCI-Chunk-Min-Length`, at most
 * its `OCI-Chunk-Max-Length`), hashing on the way; content that fits in
 * one chunk goes up in a single `PUT`. Returns the blob's descriptor.
 */
export function uploadChunked(
  ctx: UploadContext,
  stream: ReadableStream<Uint8Array>,
  options: StreamUploadOptions = {},
): Promise<Descriptor> {
  return uploadStream(ctx, stream, options, undefined);
}

/**
 * Cross-repository mount (`POST …/blobs/uploads/?mount=<digest>&from=<repo>`):
 * `true` when the registry now has the blob in the repository (201); the
 * upload session it opened instead (202) otherwise, for the upload to use.
 */
export async function mountBlob(
  ctx: UploadContext,
  descriptor: Descriptor,
  from: string,
  fromScope: string,
  signal: AbortSignal | undefined,
): Promise<true | Session> {
  const url = new URL(ctx.uploadsUrl);
  url.searchParams.set("mount", descriptor.digest);
  url.searchParams.set("from", from);
  const { response, url: answered } = await ctx.send({
    method: "POST",
    url,
    scopes: [...ctx.scopes, fromScope],
    signal,
  });
  if (response.status === 201) {
    await discardBody(response);
    const header = response.headers.get("docker-content-digest");
    if (header && isValidDigest(header) && header !== descriptor.digest) {
      throw new DigestMismatchError(
        `POST "${
          displayUrl(url)
        }": registry mounted digest ${header}, want ${descriptor.digest}`,
      );
    }
    return true;
  }
  if (response.status !== 202) {
    throw await responseError("POST", displayUrl(url), response);
  }
  await discardBody(response);
  return sessionOf(response, answered, ctx.uploadsUrl);
}

async function uploadStream(
  ctx: UploadContext,
  stream: ReadableStream<Uint8Array>,
  options: StreamUploadOptions,
  expected: Descriptor | undefined,
  started?: Session,
): Promise<Descriptor> {
  const signal = options.signal;
  const mediaType = options.mediaType ?? OCTET_STREAM;
  const reader = stream.getReader();
  let session: Session | undefined;
  let committed = false;
  try {
    session = started ?? await startUpload(ctx, signal);
    const size = Math.min(
      Math.max(ctx.chunkSize, session.minChunk, 1),
      session.maxChunk,
    );
    const chunks = new ChunkReader(reader, size);
    const digester = new Digester();
    const progress = options.onProgress;
    const total = expected?.size ?? 0;
    // Two buffers: one on the wire, the next one filling from the source.
    const buffers = [new Uint8Array(size), new Uint8Array(size)];
    let current = 0;
    let filled = await chunks.fill(buffers[0]);

    if (chunks.eof) {
      const bytes = buffers[0].subarray(0, filled);
      digester.update(bytes);
      const desc = checked(digester, mediaType, expected);
      const put = withDigest(session.location, desc.digest);
      const sized = sizedBody(bytes);
      const { response } = await ctx.send({
        method: "PUT",
        url: put,
        headers: { "content-type": OCTET_STREAM, ...sized.headers },
        body: sized.body,
        scopes: ctx.scopes,
        signal,
        display: displayUrl(put),
      });
      committed = true;
      await finishUpload(ctx, put, response, desc.digest, signal);
      progress?.(
        pushEvent(desc.digest, mediaType, filled, {
          total: desc.size,
          done: true,
        }),
      );
      return desc;
    }

    const state: ChunkState = {
      location: session.location,
      maxPiece: size,
      minPiece: Math.max(session.minChunk, 1),
    };
    let offset = 0;
    while (filled > 0) {
      const chunk = buffers[current].subarray(0, filled);
      digester.update(chunk);
      const next = chunks.eof
        ? Promise.resolve(0)
        : chunks.fill(buffers[1 - current]);
      // Observed below; until then a source failure must not go unhandled.
      next.catch(() => {});
      await sendChunk(ctx, state, chunk, offset, signal);
      offset += filled;
      progress?.(
        pushEvent(expected?.digest ?? "", mediaType, offset, {
          total,
          done: false,
        }),
      );
      filled = await next;
      current = 1 - current;
    }
    const desc = checked(digester, mediaType, expected);
    const put = withDigest(state.location, desc.digest);
    const { response } = await ctx.send({
      method: "PUT",
      url: put,
      headers: { "content-type": OCTET_STREAM },
      body: new Uint8Array(0),
      scopes: ctx.scopes,
      signal,
      display: displayUrl(put),
    });
    committed = true;
    await finishUpload(ctx, put, response, desc.digest, signal);
    progress?.(
      pushEvent(desc.digest, mediaType, offset, {
        total: desc.size,
        done: true,
      }),
    );
    return desc;
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    // Also after an abort: the session is given back on a signal of its own.
    if (session && !committed) await cancelUpload(ctx, session.location);
    throw e;
  } finally {
    reader.releaseLock();
  }
}

/** Fills fixed-size buffers from a stream of arbitrarily sized pieces. */
class ChunkReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #size: number;
  #pending: Uint8Array | undefined;
  eof = false;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, size: number) {
    this.#reader = reader;
    this.#size = size;
  }

  /** Fills `buf` up to the chunk size; fewer bytes only at the end. */
  async fill(buf: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < this.#size) {
      if (!this.#pending) {
        if (this.eof) break;
        const { done, value } = await this.#reader.read();
        if (done) {
          this.eof = true;
          break;
        }
        if (value.byteLength > 0) this.#pending = value;
        continue;
      }
      const take = Math.min(this.#pending.byteLength, this.#size - filled);
      buf.set(this.#pending.subarray(0, take), filled);
      filled += take;
      this.#pending = take < this.#pending.byteLength
        ? this.#pending.subarray(take)
        : undefined;
    }
    // A source that ends exactly on a chunk boundary is only known to have
    // ended after one more read; peeking now saves an empty round trip.
    if (!this.#pending && !this.eof && filled === this.#size) {
      const { done, value } = await this.#reader.read();
      if (done) this.eof = true;
      else if (value.byteLength > 0) this.#pending = value;
    }
    return filled;
  }
}

/** Where a chunked upload stands between `PATCH`es. */
interface ChunkState {
  /** The session URL to send to next. */
  location: URL;
  /** Largest body sent in one `PATCH` (lowered when the registry refuses). */
  maxPiece: number;
  /** Smallest body the registry accepts before the last (`OCI-Chunk-Min-Length`). */
  minPiece: number;
}

/**
 * `PATCH`es `chunk` (which starts at byte `start` of the blob). A failure is
 * followed by an upload status `GET`, and the part the registry does not
 * have yet is sent again. A registry that refuses the size of a body (413,
 * or 416 without taking a byte: GHCR caps bodies at 4 MiB) gets the rest in
 * halves, down to its minimum chunk length.
 */
async function sendChunk(
  ctx: UploadContext,
  state: ChunkState,
  chunk: Uint8Array,
  start: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const end = start + chunk.byteLength - 1;
  const retries = ctx.chunkRetries ?? 3;
  let from = start;
  let attempt = 0;
  while (from <= end) {
    const url = state.location;
    const last = Math.min(end, from + state.maxPiece - 1);
    let failure: unknown;
    let tooLarge = false;
    try {
      const sized = sizedBody(chunk.subarray(from - start, last - start + 1));
      const { response, url: answered } = await ctx.send({
        method: "PATCH",
        url,
        headers: {
          "content-type": OCTET_STREAM,
          "content-range": `${from}-${last}`,
          ...sized.headers,
        },
        body: sized.body,
        scopes: ctx.scopes,
        signal,
        display: displayUrl(url),
        // Resumed below from what the registry has, never blindly resent.
        noRetry: true,
      });
      if (response.status === 202) {
        await discardBody(response);
        state.location = nextLocation(response, answered, ctx.uploadsUrl) ??
          url;
        const acked = rangeEnd(response.headers.get("range")) ?? last;
        if (acked > last || acked < from - 1) {
          throw new RegistryError(
            `PATCH "${
              displayUrl(url)
            }": registry acknowledged bytes up to ${acked}, sent ${from}-${last}`,
            { status: response.status },
          );
        }
        // Fewer bytes taken than sent: the loop continues with the rest.
        from = acked + 1;
        attempt = 0;
        continue;
      }
      failure = await responseError("PATCH", displayUrl(url), response);
      if (response.status === 404) {
        throw new SessionLost((failure as Error).message, {
          status: 404,
          cause: failure,
        });
      }
      tooLarge = response.status === 413 || response.status === 416;
      if (!isRetryableStatus(response.status) && !tooLarge) throw failure;
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      // Only a lost connection or a timeout (no status) is worth a resume.
      if (!(e instanceof RegistryError) || e.status !== undefined) throw e;
      failure = e;
    }
    if (attempt++ >= retries) throw failure;
    if (!tooLarge) {
      await sleep(backoffDelay(attempt - 1, DEFAULT_RETRY), signal);
    }
    const status = await uploadStatus(ctx, url, signal);
    if (status.offset < start || status.offset > end + 1) {
      throw new SessionLost(
        `PATCH "${displayUrl(url)}": registry has ${status.offset} bytes ` +
          `of the upload, cannot resume at ${from}`,
      );
    }
    if (tooLarge && status.offset === from) {
      const half = Math.max(state.minPiece, Math.floor(state.maxPiece / 2));
      if (half >= last - from + 1) throw failure;
      state.maxPiece = half;
      // Not a failure of the connection: the smaller body gets its own tries.
      attempt--;
    }
    state.location = status.location;
    from = status.offset;
  }
}

/** Upload status: where the registry stands (`GET <location>`). */
async function uploadStatus(
  ctx: UploadContext,
  location: URL,
  signal: AbortSignal | undefined,
): Promise<{ offset: number; location: URL }> {
  const { response, url } = await ctx.send({
    method: "GET",
    url: location,
    scopes: ctx.scopes,
    signal,
    display: displayUrl(location),
  });
  if (response.status === 404) {
    const e = await responseError("GET", displayUrl(location), response);
    throw new SessionLost(e.message, { status: 404, cause: e });
  }
  if (response.status !== 204 && response.status !== 200) {
    throw await responseError("GET", displayUrl(location), response);
  }
  await discardBody(response);
  const end = rangeEnd(response.headers.get("range"));
  // distribution writes `0-0` for an empty upload as well as for one byte;
  // chunks are never a single byte, so it means nothing is there yet.
  const offset = end === undefined || end === 0 ? 0 : end + 1;
  return {
    offset,
    location: nextLocation(response, url, ctx.uploadsUrl) ?? location,
  };
}

/** Best effort: tells the registry an unfinished session can go. */
async function cancelUpload(ctx: UploadContext, location: URL): Promise<void> {
  try {
    const { response } = await ctx.send({
      method: "DELETE",
      url: location,
      scopes: ctx.scopes,
      display: displayUrl(location),
      noRetry: true,
      signal: AbortSignal.timeout(5_000),
    });
    await discardBody(response);
  } catch {
    // The registry expires abandoned sessions on its own.
  }
}

async function startUpload(
  ctx: UploadContext,
  signal: AbortSignal | undefined,
): Promise<Session> {
  const { response, url } = await ctx.send({
    method: "POST",
    url: ctx.uploadsUrl,
    scopes: ctx.scopes,
    signal,
  });
  if (response.status !== 202) {
    throw await responseError("POST", ctx.uploadsUrl.href, response);
  }
  await discardBody(response);
  return sessionOf(response, url, ctx.uploadsUrl);
}

function sessionOf(response: Response, url: URL, uploadsUrl: URL): Session {
  const location = nextLocation(response, url, uploadsUrl);
  if (!location) {
    throw new RegistryError(
      `POST "${uploadsUrl.href}": upload session without Location`,
      { status: response.status },
    );
  }
  return {
    location,
    minChunk: positiveHeader(response, "oci-chunk-min-length") ?? 0,
    maxChunk: positiveHeader(response, "oci-chunk-max-length") ??
      Number.MAX_SAFE_INTEGER,
  };
}

function positiveHeader(response: Response, name: string): number | undefined {
  const n = Number(response.headers.get(name) ?? NaN);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function nextLocation(
  response: Response,
  responseUrl: URL,
  registry: URL,
): URL | undefined {
  const location = response.headers.get("location");
  if (!location) return undefined;
  return sameOriginUrl(location, responseUrl, "upload location", registry);
}

/** The last byte offset of a `Range: [bytes=]0-<end>` header. */
function rangeEnd(header: string | null): number | undefined {
  const m = header ? /(\d+)\s*-\s*(\d+)\s*$/.exec(header) : null;
  if (!m) return undefined;
  const end = Number(m[2]);
  return Number.isSafeInteger(end) ? end : undefined;
}

async function finishUpload(
  ctx: UploadContext,
  put: URL,
  response: Response,
  digest: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (response.status < 200 || response.status > 299) {
    const error = await responseError("PUT", displayUrl(put), response);
    // A commit whose answer was lost and then retried finds its session
    // gone: the blob being there is the answer.
    if (response.status === 404 && await blobThere(ctx, digest, signal)) {
      return;
    }
    throw error;
  }
  await discardBody(response);
  const header = response.headers.get("docker-content-digest");
  if (
    header && isValidDigest(header) &&
    header.split(":")[0] === digest.split(":")[0] && header !== digest
  ) {
    throw new DigestMismatchError(
      `PUT "${
        displayUrl(put)
      }": registry stored digest ${header}, want ${digest}`,
    );
  }
}

async function blobThere(
  ctx: UploadContext,
  digest: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    const url = new URL(`../${digest}`, ctx.uploadsUrl);
    const { response } = await ctx.send({
      method: "HEAD",
      url,
      scopes: ctx.scopes,
      signal,
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The descriptor of what was read, checked against what was promised. */
function checked(
  digester: Digester,
  mediaType: string,
  expected: Descriptor | undefined,
): Descriptor {
  const digest = digester.digest();
  const size = digester.size;
  const comparable = expected?.digest.startsWith("sha256:") ?? false;
  if (
    expected &&
    (expected.size !== size || comparable && expected.digest !== digest)
  ) {
    throw new DigestMismatchError(
      `upload of ${expected.digest}: source gave ${size} bytes with digest ${digest}, want ${expected.size} bytes`,
    );
  }
  return { mediaType, digest: expected?.digest ?? digest, size };
}

/** The session URL with `digest=` added, its own query kept byte for byte. */
function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  const param = `digest=${encodeURIComponent(digest)}`;
  url.search = url.search ? `${url.search}&${param}` : `?${param}`;
  return url;
}

function pushEvent(
  digest: string,
  mediaType: string | undefined,
  transferred: number,
  o: { total: number; done: boolean },
): ProgressEvent {
  return {
    direction: "push",
    digest,
    mediaType,
    transferred,
    total: o.total,
    done: o.done,
  };
}
