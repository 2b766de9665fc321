/**
 * One-off measurement (session 4): 256 MiB of random data uploaded to a
 * distribution registry three ways with bare `fetch`, alternating, 3 runs:
 * 32 `PATCH`es of 8 MiB with `Content-Length` + `Content-Range` (what
 * `RegistryStore` sends), the same 32 `PATCH`es as stream bodies (Deno sends
 * them chunked, without a length), and one streamed `PATCH` — each followed
 * by `PUT ?digest=`. Separates what the chunk count costs from what the
 * framing costs.
 *
 *   docker-registry serve <config with http.addr 127.0.0.1:5099, delete on>
 *   deno run -A bench/experiments/upload_framing.ts http://127.0.0.1:5099
 */
import { createHash } from "node:crypto";

const origin = Deno.args[0] ?? "http://127.0.0.1:5099";
const SIZE = 256 << 20;
const CHUNK = 8 << 20;
const data = new Uint8Array(SIZE);
for (let o = 0; o < SIZE; o += 65536) {
  crypto.getRandomValues(data.subarray(o, o + 65536));
}
const digest = "sha256:" + createHash("sha256").update(data).digest("hex");
const base = `${origin}/v2/exp/up`;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(o, o + 65536));
      o += 65536;
    },
  });
}

async function send(url: string, init: RequestInit, want: number) {
  const r = await fetch(url, init);
  await r.body?.cancel();
  if (r.status !== want) throw new Error(`${init.method} ${r.status}`);
  return new URL(r.headers.get("location") ?? url, base).href;
}

async function upload(pieces: number, framing: "length" | "stream") {
  let loc = await send(`${base}/blobs/uploads/`, { method: "POST" }, 202);
  const size = SIZE / pieces;
  for (let off = 0; off < SIZE; off += size) {
    const piece = data.subarray(off, off + size);
    loc = await send(loc, {
      method: "PATCH",
      body: framing === "length" ? piece : streamOf(piece),
      headers: {
        "content-type": "application/octet-stream",
        ...(pieces > 1
          ? { "content-range": `${off}-${off + piece.length - 1}` }
          : {}),
      },
    }, 202);
  }
  const put = new URL(loc);
  put.searchParams.set("digest", digest);
  await send(put.href, { method: "PUT" }, 201);
}

const modes: [string, () => Promise<void>][] = [
  ["32 PATCHes of 8 MiB, Content-Length", () => upload(SIZE / CHUNK, "length")],
  ["32 PATCHes of 8 MiB, streamed", () => upload(SIZE / CHUNK, "stream")],
  ["1 streamed PATCH", () => upload(1, "stream")],
];
for (let i = 0; i < 3; i++) {
  for (const [name, run] of modes) {
    const t0 = performance.now();
    await run();
    console.log(`${name}: ${Math.round(performance.now() - t0)} ms`);
    await send(`${base}/blobs/${digest}`, { method: "DELETE" }, 202);
  }
}
