import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { CallOptionsStore } from "../../src/oci/call_options_store.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import type { OciStore } from "../../src/oci/store.ts";
import type { Reference } from "../../src/ref/reference_type.ts";

// A pure wrapper over the interface: a recording store shows what reaches
// the store underneath, which no real registry could report.
type Call = { method: keyof OciStore; args: unknown[]; options: unknown };

function recordingStore(calls: Call[]): OciStore {
  const record =
    (method: keyof OciStore) => (...args: unknown[]): Promise<never> => {
      calls.push({ method, args: args.slice(0, -1), options: args.at(-1) });
      return Promise.resolve(`${method} result` as never);
    };
  return {
    resolve: record("resolve"),
    fetchManifest: record("fetchManifest"),
    fetchBlob: record("fetchBlob"),
    blobExists: record("blobExists"),
    pushBlob: record("pushBlob"),
    pushBlobStream: record("pushBlobStream"),
    listReferrers: record("listReferrers"),
    pushManifest: record("pushManifest"),
    listTags: record("listTags"),
    listRepositories: record("listRepositories"),
  };
}

const REF: Reference = { registry: "r.test", repository: "p/base", tag: "v1" };
const REPO = { registry: "r.test", repository: "p/base" };
const DESC: Descriptor = {
  mediaType: "application/octet-stream",
  digest: `sha256:${"0".repeat(64)}`,
  size: 0,
};
const BYTES = new Uint8Array([1]);

/** Each method, called with the given options as its last argument. */
const CALLS: [keyof OciStore, (s: OciStore, o?: object) => Promise<unknown>][] =
  [
    ["resolve", (s, o) => s.resolve(REF, o)],
    ["fetchManifest", (s, o) => s.fetchManifest(REF, o)],
    ["fetchBlob", (s, o) => s.fetchBlob(REPO, DESC, o)],
    ["blobExists", (s, o) => s.blobExists(REPO, DESC, o)],
    ["pushBlob", (s, o) => s.pushBlob(REPO, DESC, BYTES, o)],
    ["pushManifest", (s, o) => s.pushManifest(REF, BYTES, "x/y", o)],
    ["listTags", (s, o) => s.listTags(REPO, o)],
    ["listRepositories", (s, o) => s.listRepositories("r.test/p", o)],
  ];

Deno.test("CallOptionsStore: every method passes the extra options on", async () => {
  const onCacheStatus = () => {};
  const signal = new AbortController().signal;
  for (const [method, call] of CALLS) {
    const calls: Call[] = [];
    const store = new CallOptionsStore(recordingStore(calls), {
      onCacheStatus,
    });
    // Without options of its own, and with some: both get the extra.
    strictEqual(await call(store), `${method} result`, method);
    const own = { signal };
    await call(store, own);
    deepStrictEqual(calls.map((c) => c.method), [method, method]);
    deepStrictEqual(calls[0].options, { onCacheStatus }, method);
    deepStrictEqual(calls[1].options, { signal, onCacheStatus }, method);
    deepStrictEqual(own, { signal }, `${method}: caller's object untouched`);
  }
});

Deno.test("CallOptionsStore: arguments reach the inner store unchanged", async () => {
  const calls: Call[] = [];
  const store = new CallOptionsStore(recordingStore(calls), { tag: 1 });
  for (const [, call] of CALLS) await call(store);
  deepStrictEqual(calls.map((c) => c.args), [
    [REF],
    [REF],
    [REPO, DESC],
    [REPO, DESC],
    [REPO, DESC, BYTES],
    [REF, BYTES, "x/y"],
    [REPO],
    ["r.test/p"],
  ]);
});

Deno.test("CallOptionsStore: the extra options win over a call's own; signals add up", async () => {
  const calls: Call[] = [];
  const fixed = new AbortController();
  const own = new AbortController();
  const store = new CallOptionsStore(recordingStore(calls), {
    signal: fixed.signal,
    ifNoneMatch: '"extra"',
  });
  await store.listTags(REPO, { signal: own.signal, ifNoneMatch: '"e1"' });
  const passed = calls[0].options as {
    signal: AbortSignal;
    ifNoneMatch: string;
  };
  strictEqual(passed.ifNoneMatch, '"extra"');
  // Either signal aborts the call.
  strictEqual(passed.signal.aborted, false);
  own.abort(new Error("caller"));
  strictEqual(passed.signal.aborted, true);
  strictEqual((passed.signal.reason as Error).message, "caller");
  // A call without a signal of its own gets the extra one as it is.
  await store.listTags(REPO, {});
  strictEqual(
    (calls[1].options as { signal: AbortSignal }).signal,
    fixed.signal,
  );
});

Deno.test("CallOptionsStore: failures of the inner store pass through", async () => {
  const boom = new Error("boom");
  const inner = recordingStore([]);
  inner.resolve = () => Promise.reject(boom);
  const store = new CallOptionsStore(inner, {});
  let caught: unknown;
  await store.resolve(REF).catch((e) => caught = e);
  strictEqual(caught, boom);
});
