/**
 * Child process of `ops_push_record_test.ts`: one `pushPlugin` with a file
 * cache, printing as one JSON line the bytes the process read meanwhile
 * (`rchar` of `/proc/self/io`: every read(2), files and sockets alike) and
 * the requests it made. A process of its own, because parallel test files
 * share one process and its counters.
 *
 * Usage: `deno run -A fixtures_push_read_child.ts <cacheDir> <sourceDir> <ref>`.
 */
import { Client } from "../../src/client.ts";
import { countingFetch } from "../harness/counting_fetch.ts";

const [cacheDir, sourceDir, ref] = Deno.args;

function bytesRead(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/^rchar:\s*(\d+)/m.exec(io)![1]);
}

const counter = countingFetch();
const client = new Client({
  plainHttp: true,
  env: {},
  fetch: counter.fetch,
  cache: { dir: cacheDir },
});
// Load the push code first: module loading is not the push's reading.
await import("../../src/artifact/push.ts");
const before = bytesRead();
const result = await client.pushPlugin(sourceDir, ref, {
  name: "big",
  commands: ["hello"],
});
const read = bytesRead() - before;
await client.close();
console.log(JSON.stringify({
  digest: result.digest,
  read,
  counts: counter.counts(),
  requests: counter.requests.map((r) => ({
    method: r.method,
    url: r.url,
    status: r.status,
  })),
}));
