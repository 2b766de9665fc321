/**
 * Request bodies of bytes in memory that keep their length on the wire
 * without being copied. The Fetch standard copies a byte-array body when
 * the request is made; over a 256 MiB upload in 8 MiB chunks those copies
 * were ~90 MiB of a Node push's peak RSS (bench/RESULTS.md). A stream body
 * is not copied, and Node's and Bun's `fetch` send it with the
 * `Content-Length` it is given; Deno's and workerd's drop that header and
 * send it chunked, which length-requiring registries refuse (411), so there
 * the bytes go as they are.
 *
 * @module
 */
import { runtimeKind } from "../_runtime_kind.ts";
import type { RequestBody } from "./transport.ts";

/** Stream pieces: views into the bytes, never copies. */
const PIECE = 256 * 1024;

/** A body and the headers that go with it. */
export interface SizedBody {
  /** The body: the bytes, or a factory of fresh streams over them. */
  body: RequestBody;
  /** `content-length` where the body is a stream. */
  headers: Record<string, string>;
}

let override: boolean | undefined;

/**
 * Whether bodies go as streams with an explicit length (`null`: as the
 * runtime allows — Node and Bun). For tests.
 */
export function overrideSizedStreams(streams: boolean | null): void {
  override = streams ?? undefined;
}

/** `bytes` as a body that carries its length. */
export function sizedBody(bytes: Uint8Array): SizedBody {
  const kind = runtimeKind();
  const streams = override ?? (kind === "node" || kind === "bun");
  if (!streams || bytes.byteLength === 0) return { body: bytes, headers: {} };
  return {
    body: () => {
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.byteLength) {
            controller.close();
            return;
          }
          controller.enqueue(bytes.subarray(offset, offset + PIECE));
          offset += PIECE;
        },
      }, { highWaterMark: 0 });
    },
    headers: { "content-length": String(bytes.byteLength) },
  };
}
