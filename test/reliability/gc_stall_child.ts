/**
 * Child process of `timeouts_test.ts` (run with `--v8-flags=--expose-gc`):
 * reads a body that stalls after its first bytes through the transport
 * with a short timeout, collecting garbage all the while — the original
 * `Response` is gone long before the timer fires. Prints one JSON line:
 * how the read ended and after how long.
 *
 * Usage: `deno run -A --v8-flags=--expose-gc gc_stall_child.ts <url> <timeoutMs>`
 *
 * @module
 */
import { Transport } from "../../src/registry/transport.ts";

const [url, timeout] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc;
const collector = setInterval(() => gc?.(), 20);
const started = Date.now();
let outcome: Record<string, unknown>;
try {
  const transport = new Transport({
    timeoutMs: Number(timeout),
    retry: { maxRetries: 0 },
  });
  const { response } = await transport.send({
    method: "GET",
    url: new URL(url),
  });
  // Only the wrapped body is kept: nothing else holds the Response.
  const reader = response.body!.getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  outcome = { ended: "done" };
} catch (e) {
  outcome = { ended: "error", name: (e as Error).name, message: String(e) };
}
clearInterval(collector);
console.log(
  JSON.stringify({ ...outcome, elapsedMs: Date.now() - started, gc: !!gc }),
);
