/**
 * Bodies of bytes in memory keep their length and are not copied
 * (`src/registry/sized_body.ts`): under Node and Bun they go as streams
 * with an explicit `Content-Length`, which those runtimes' `fetch` keeps —
 * proven here against a registry that refuses any body without a length
 * (411), chunked `PATCH`es with a resume, one `PUT`, a monolithic `PUT`,
 * each under Node 22, the system Node's bundle and Bun. Under Deno the
 * same stream bodies would lose their length (Deno's `fetch` sends them
 * chunked): the last test shows the registry refusing them, which is why
 * Deno sends the bytes as they are.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { RegistryError } from "../../src/errors.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { overrideSizedStreams } from "../../src/registry/sized_body.ts";
import { sha256, startFaultyRegistry } from "../harness/faulty_registry.ts";
import { type ScriptRuntime, scriptRuntimes } from "../harness/runtimes.ts";
import { pattern, type SizedUploadReport } from "./sized_upload_main.ts";

const MAIN = new URL("./sized_upload_main.ts", import.meta.url).pathname;

async function uploadUnder(rt: ScriptRuntime): Promise<void> {
  // The second PATCH is cut after 1000 bytes: the resumed one must carry
  // the right length too.
  const reg = startFaultyRegistry({
    requireLength: true,
    partialPatch: (n) => (n === 2 ? 1000 : undefined),
  });
  try {
    const r = await rt.run<SizedUploadReport>(MAIN, [reg.host]);
    equal(r.streams, true, `${r.runtime} sends length-carrying streams`);
    const want = {
      chunked: pattern(100_000, 7),
      onePut: pattern(9_000, 11),
      monolithic: pattern(50_000, 13),
    };
    for (const [k, bytes] of Object.entries(want)) {
      equal(r[k as keyof typeof want], sha256(bytes), k);
      deepStrictEqual(reg.blobs.get(sha256(bytes)), bytes, k);
    }
    // Every body arrived with a length, and the length was the body's.
    const bodies = reg.requests.filter((q) => q.bodyBytes > 0);
    ok(bodies.length >= 7, `${bodies.length} requests with bodies`);
    for (const q of bodies) {
      equal(
        q.headers.get("content-length"),
        String(q.bodyBytes),
        `${q.method} ${q.path}`,
      );
      equal(q.headers.get("transfer-encoding"), null);
    }
    const patches = reg.requests.filter((q) => q.method === "PATCH");
    // 100 000 bytes in 32 KiB chunks: 4 PATCHes, and the rest of the cut
    // one again.
    equal(patches.length, 5);
  } finally {
    await reg.close();
  }
}

for (const rt of scriptRuntimes()) {
  Deno.test({
    name: `sized bodies under ${rt.label}: streams that keep their length`,
    ignore: rt.ignore,
    fn: () => uploadUnder(rt),
  });
}

Deno.test("under Deno a stream body loses its length: the registry that needs one refuses it", async () => {
  const reg = startFaultyRegistry({ requireLength: true });
  const store = new RegistryStore({
    plainHttp: true,
    credentials: () => Promise.resolve(undefined),
    retry: { maxRetries: 0 },
    env: {},
  });
  const bytes = pattern(50_000, 13);
  const desc = { mediaType: "x", digest: sha256(bytes), size: bytes.length };
  const repo = { registry: reg.host, repository: "org/sized" };
  try {
    overrideSizedStreams(true);
    await rejects(
      store.pushBlob(repo, desc, bytes),
      (e) => e instanceof RegistryError && e.status === 411,
    );
    overrideSizedStreams(null);
    await store.pushBlob(repo, desc, bytes);
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
    const put = reg.requests.findLast((q) => q.method === "PUT")!;
    equal(put.headers.get("content-length"), "50000");
  } finally {
    overrideSizedStreams(null);
    await reg.close();
  }
});
