/**
 * Blob uploads (OCI distribution "push"): monolithic `POST` + `PUT` for
 * content of known digest, chunked `POST` + `PATCH`… + `PUT` for content of
 * unknown length. The upload body only ever goes to the session URL the
 * `POST` returned, so it is sent with authentication already in place, and
 * that URL must stay on the registry's origin.
 *
 * @module
 */
import { DigestMismatchError, RegistryError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { Digester, isValidDigest } from "../oci/digest.ts";
import type {
  BlobSource,
  ProgressEvent,
  TransferOptions,
} from "../oci/store.ts";
import type { AuthRequest } from "./auth.ts";
import { discardBody } from "./body.ts";
import { responseError } from "./http_error.ts";
import type { HttpResponse, RequestBody } from "./transport.ts";
import { displayUrl, sameOriginUrl } from "./url_safety.ts";

/** What an upload needs from the store. */
export interface UploadContext {
  /** Sends an authenticated request. */
  send(request: AuthRequest): Promise<HttpResponse>;
  /** `…/v2/<repo>/blobs/uploads/`. */
  uploadsUrl: URL;
  /** Scopes for pushing to the repository. */
  scopes: string[];
  /** Buffer limit for stream sources (see the store options). */
  bufferUpTo: number;
}

interface Session {
  location: URL;
  minChunk: number;
}

const OCTET_STREAM = "application/octet-stream";

/**
 * `POST` + `PUT <location>&digest=`: the most widely supported upload.
 * A stream factory is called again when the `PUT` must be replayed.
 */
export async function uploadMonolithic(
  ctx: UploadContext,
  descriptor: Descriptor,
  source: BlobSource,
  options: TransferOptions,
): Promise<void> {
  const session = await startUpload(ctx, options.signal);
  const put = withDigest(session.location, descriptor.digest);
  const progress = options.onProgress;
  const event = (transferred: number, done: boolean): ProgressEvent => ({
    direction: "push",
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    transferred,
    total: descriptor.size,
    done,
  });
  const headers = new Headers({ "content-type": OCTET_STREAM });
  let body: RequestBody;
  if (typeof source === "function") {
    // Declared for runtimes that send it; Deno streams chunked regardless.
    headers.set("content-length", String(descriptor.size));
    body = () =>
      progress
        ? source().pipeThrough(countingStream((n) => progress(event(n, false))))
        : source();
  } else {
    body = source;
  }
  const { response } = await ctx.send({
    method: "PUT",
    url: put,
    headers,
    body,
    scopes: ctx.scopes,
    signal: options.signal,
    display: displayUrl(put),
  });
  await finishUpload(put, response, descriptor.digest);
  progress?.(event(descriptor.size, true));
}

/**
 * `POST`, `PATCH` chunks of `chunkSize` bytes (at least the registry's
 * `OCI-Chunk-Min-Length`), `PUT ?digest=`; a source shorter than one chunk
 * is sent in one `PUT`. Returns the descriptor of what was uploaded.
 */
export async function uploadChunked(
  ctx: UploadContext,
  stream: ReadableStream<Uint8Array>,
  chunkSize: number,
  options: TransferOptions & { mediaType?: string },
): Promise<Descriptor> {
  const reader = stream.getReader();
  try {
    const session = await startUpload(ctx, options.signal);
    const size = Math.max(chunkSize, session.minChunk, 1);
    const buf = new Uint8Array(size);
    const digester = new Digester();
    let pending: Uint8Array | undefined;
    let eof = false;
    const fill = async (): Promise<number> => {
      let filled = 0;
      while (filled < size) {
        if (!pending) {
          if (eof) break;
          const { done, value } = await reader.read();
          if (done) {
            eof = true;
            break;
          }
          pending = value;
          continue;
        }
        const take = Math.min(pending.byteLength, size - filled);
        buf.set(pending.subarray(0, take), filled);
        filled += take;
        pending = take < pending.byteLength
          ? pending.subarray(take)
          : undefined;
      }
      return filled;
    };
    const progress = options.onProgress;
    const event = (
      transferred: number,
      digest: string,
      done: boolean,
    ): ProgressEvent => ({
      direction: "push",
      digest,
      mediaType: options.mediaType,
      transferred,
      total: 0,
      done,
    });

    let location = session.location;
    let offset = 0;
    let filled = await fill();
    if (eof && !pending) {
      // Everything fits in one chunk: a plain monolithic PUT.
      const bytes = buf.slice(0, filled);
      digester.update(bytes);
      const digest = digester.digest();
      const put = withDigest(location, digest);
      const { response } = await ctx.send({
        method: "PUT",
        url: put,
        headers: { "content-type": OCTET_STREAM },
        body: bytes,
        scopes: ctx.scopes,
        signal: options.signal,
        display: displayUrl(put),
      });
      await finishUpload(put, response, digest);
      progress?.(event(filled, digest, true));
      return {
        mediaType: options.mediaType ?? OCTET_STREAM,
        digest,
        size: filled,
      };
    }
    while (filled > 0) {
      const chunk = buf.subarray(0, filled);
      digester.update(chunk);
      const end = offset + filled - 1;
      const { response, url } = await ctx.send({
        method: "PATCH",
        url: location,
        headers: {
          "content-type": OCTET_STREAM,
          "content-range": `${offset}-${end}`,
        },
        body: chunk,
        scopes: ctx.scopes,
        signal: options.signal,
        display: displayUrl(location),
      });
      if (response.status !== 202) {
        throw await responseError("PATCH", displayUrl(location), response);
      }
      await discardBody(response);
      const range = response.headers.get("range");
      const m = range ? /(\d+)-(\d+)\s*$/.exec(range) : null;
      if (m && Number(m[2]) !== end) {
        throw new RegistryError(
          `PATCH "${displayUrl(location)}": registry acknowledged range ${
            m[1]
          }-${m[2]}, sent up to ${end}`,
          { status: response.status },
        );
      }
      location = nextLocation(response, url, ctx.uploadsUrl) ?? location;
      offset = end + 1;
      progress?.(event(offset, "", false));
      filled = await fill();
    }
    const digest = digester.digest();
    const put = withDigest(location, digest);
    const { response } = await ctx.send({
      method: "PUT",
      url: put,
      headers: { "content-type": OCTET_STREAM },
      body: new Uint8Array(0),
      scopes: ctx.scopes,
      signal: options.signal,
      display: displayUrl(put),
    });
    await finishUpload(put, response, digest);
    progress?.(event(offset, digest, true));
    return {
      mediaType: options.mediaType ?? OCTET_STREAM,
      digest,
      size: offset,
    };
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
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
  const location = nextLocation(response, url, ctx.uploadsUrl);
  if (!location) {
    throw new RegistryError(
      `POST "${ctx.uploadsUrl.href}": upload session without Location`,
      { status: response.status },
    );
  }
  const min = Number(response.headers.get("oci-chunk-min-length") ?? 0);
  return {
    location,
    minChunk: Number.isSafeInteger(min) && min > 0 ? min : 0,
  };
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

async function finishUpload(
  put: URL,
  response: Response,
  digest: string,
): Promise<void> {
  if (response.status < 200 || response.status > 299) {
    throw await responseError("PUT", displayUrl(put), response);
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

/** The session URL with `digest=` added, its own query kept byte for byte. */
function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  const param = `digest=${encodeURIComponent(digest)}`;
  url.search = url.search ? `${url.search}&${param}` : `?${param}`;
  return url;
}

function countingStream(
  onBytes: (n: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  let n = 0;
  return new TransformStream({
    transform(chunk, controller) {
      n += chunk.byteLength;
      onBytes(n);
      controller.enqueue(chunk);
    },
  });
}
