/**
 * Bounded reading of response bodies: a hostile or broken server must not
 * make the client buffer without limit.
 *
 * @module
 */
import { readStreamLimited } from "../_bytes.ts";
import { TooLargeError } from "../errors.ts";

/**
 * Reads `response`'s body into memory, at most `limit` bytes; more throws
 * {@linkcode TooLargeError} (and cancels the rest of the body).
 */
export async function readBodyLimited(
  response: Response,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  const body = response.body;
  if (!body) return new Uint8Array(0);
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await body.cancel().catch(() => {});
    throw new TooLargeError(
      `${what}: content length ${declared} exceeds limit ${limit}`,
    );
  }
  return await readStreamLimited(
    body,
    limit,
    () => new TooLargeError(`${what}: exceeds size limit ${limit}`),
  );
}

/**
 * Reads at most `limit` bytes of `response`'s body and discards the rest;
 * for error bodies, which are only ever looked at, never echoed.
 */
export async function readBodyPrefix(
  response: Response,
  limit: number,
): Promise<Uint8Array> {
  const body = response.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const out = new Uint8Array(limit);
  let n = 0;
  try {
    while (n < limit) {
      const { done, value } = await reader.read();
      if (done) return out.subarray(0, n);
      const take = Math.min(value.byteLength, limit - n);
      out.set(value.subarray(0, take), n);
      n += take;
    }
    await reader.cancel().catch(() => {});
  } catch {
    // A broken error body only loses detail.
    await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
  return out.subarray(0, n);
}

/**
 * Discards a response body without reading it (frees the connection).
 */
export async function discardBody(response: Response): Promise<void> {
  if (response.body && !response.bodyUsed) {
    await response.body.cancel().catch(() => {});
  }
}
