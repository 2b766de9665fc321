import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  DeniedError,
  DigestMismatchError,
  NotFoundError,
  RegistryError,
  TooLargeError,
  UnsafeUrlError,
} from "../../src/errors.ts";
import type { ProgressEvent } from "../../src/oci/store.ts";
import { MANIFEST_MEDIA_TYPES } from "../../src/oci/media_types.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import {
  type FaultyRegistry,
  sha256,
  startFaultyRegistry,
  startServer,
} from "../harness/faulty_registry.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 4 };
const MT = "application/vnd.oci.image.manifest.v1+json";
const enc = (s: string) => new TextEncoder().encode(s);
const MANIFEST = enc(
  JSON.stringify({ schemaVersion: 2, mediaType: MT, layers: [] }),
);

function store(extra: ConstructorParameters<typeof RegistryStore>[0] = {}) {
  return new RegistryStore({
    plainHttp: true,
    retry: FAST,
    credentials: () => Promise.resolve(undefined),
    ...extra,
  });
}

async function withRegistry(
  fn: (reg: FaultyRegistry) => Promise<void>,
  options: Parameters<typeof startFaultyRegistry>[0] = {},
) {
  const reg = startFaultyRegistry(options);
  try {
    await fn(reg);
  } finally {
    await reg.close();
  }
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---------------------------------------------------------------- resolve

Deno.test("resolve: one HEAD with the full Accept list; descriptor from headers", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    const c = countingFetch();
    const r = await store({ fetch: c.fetch }).resolve({
      registry: reg.host,
      repository: "org/a",
      tag: "v1",
    });
    deepStrictEqual(r.descriptor, {
      mediaType: MT,
      digest,
      size: MANIFEST.length,
    });
    strictEqual(r.etag, `"${digest}"`);
    deepStrictEqual(c.counts(), { "HEAD manifest": 1 });
    const accept = reg.requests[0].headers.get("accept")!.split(/,\s*/);
    deepStrictEqual(accept, [...MANIFEST_MEDIA_TYPES]);
  });
});

Deno.test("resolve: missing Docker-Content-Digest → GET and hash", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    reg.fault((req) =>
      req.method === "HEAD"
        ? new Response(null, {
          headers: {
            "content-type": MT,
            "content-length": String(MANIFEST.length),
          },
        })
        : undefined
    );
    const c = countingFetch();
    const r = await store({ fetch: c.fetch }).resolve({
      registry: reg.host,
      repository: "org/a",
      tag: "v1",
    });
    deepStrictEqual(r.descriptor, {
      mediaType: MT,
      digest,
      size: MANIFEST.length,
    });
    deepStrictEqual(c.counts(), { "HEAD manifest": 1, "GET manifest": 1 });
  });
});

Deno.test("resolve: unknown tag → NotFoundError 'host/repo:tag: not found'", async () => {
  await withRegistry(async (reg) => {
    reg.addManifest("org/a", "v1", MANIFEST, MT);
    await rejects(
      store().resolve({ registry: reg.host, repository: "org/a", tag: "nope" }),
      (e: unknown) =>
        e instanceof NotFoundError &&
        e.message === `${reg.host}/org/a:nope: not found`,
    );
  });
});

Deno.test("resolve: a conditional probe answered 304 still gives the descriptor", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    const c = countingFetch();
    const r = await store({ fetch: c.fetch }).resolve(
      { registry: reg.host, repository: "org/a", tag: "v1" },
      { ifNoneMatch: `"${digest}"` },
    );
    strictEqual(c.requests[0].status, 304);
    strictEqual(r.descriptor.digest, digest);
    strictEqual(reg.requests[0].headers.get("if-none-match"), `"${digest}"`);
  });
});

Deno.test("resolve: by digest, an announced different digest is a mismatch", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    reg.fault((req) =>
      req.method === "HEAD"
        ? new Response(null, {
          headers: {
            "content-type": MT,
            "content-length": "10",
            "docker-content-digest": sha256(enc("other")),
          },
        })
        : undefined
    );
    await rejects(
      store().resolve({ registry: reg.host, repository: "org/a", digest }),
      DigestMismatchError,
    );
  });
});

// ---------------------------------------------------------- fetchManifest

Deno.test("fetchManifest: verified bytes; media type without parameters", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest(
      "org/a",
      "v1",
      MANIFEST,
      `${MT}; charset=utf-8`,
    );
    const m = await store().fetchManifest({
      registry: reg.host,
      repository: "org/a",
      tag: "v1",
    });
    deepStrictEqual(m.bytes, MANIFEST);
    deepStrictEqual(m.descriptor, {
      mediaType: MT,
      digest,
      size: MANIFEST.length,
    });
  });
});

Deno.test("fetchManifest: body not matching Docker-Content-Digest → DigestMismatchError", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    reg.fault((req) =>
      req.method === "GET" && req.url.includes("/manifests/")
        ? new Response(enc('{"schemaVersion":2,"evil":true}'), {
          headers: { "content-type": MT, "docker-content-digest": digest },
        })
        : undefined
    );
    await rejects(
      store().fetchManifest({
        registry: reg.host,
        repository: "org/a",
        tag: "v1",
      }),
      DigestMismatchError,
    );
  });
});

Deno.test("fetchManifest: by digest, the body must match the requested digest", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addManifest("org/a", "v1", MANIFEST, MT);
    const evil = enc('{"schemaVersion":2}');
    // The server even announces the evil body's digest: the request wins.
    reg.fault((req) =>
      req.method === "GET" && req.url.includes("/manifests/")
        ? new Response(evil, {
          headers: {
            "content-type": MT,
            "docker-content-digest": sha256(evil),
          },
        })
        : undefined
    );
    await rejects(
      store().fetchManifest({
        registry: reg.host,
        repository: "org/a",
        digest,
      }),
      DigestMismatchError,
    );
  });
});

Deno.test("fetchManifest: no Docker-Content-Digest → the body is hashed", async () => {
  await withRegistry(async (reg) => {
    reg.fault((req) =>
      req.url.includes("/manifests/")
        ? new Response(MANIFEST, { headers: { "content-type": MT } })
        : undefined
    );
    const m = await store().fetchManifest({
      registry: reg.host,
      repository: "org/a",
      tag: "v1",
    });
    strictEqual(m.descriptor.digest, sha256(MANIFEST));
  });
});

Deno.test("fetchManifest: more than 4 MiB → TooLargeError (declared or streamed)", async () => {
  await withRegistry(async (reg) => {
    const big = new Uint8Array(4 * 1024 * 1024 + 1).fill(32);
    let chunked = false;
    reg.fault((req) => {
      if (!req.url.includes("/manifests/")) return undefined;
      if (!chunked) {
        return new Response(big, { headers: { "content-type": MT } });
      }
      // No Content-Length: the limit must hold while reading.
      return new Response(new Blob([big]).stream(), {
        headers: { "content-type": MT },
      });
    });
    const ref = { registry: reg.host, repository: "org/a", tag: "v1" };
    await rejects(store().fetchManifest(ref), TooLargeError);
    chunked = true;
    await rejects(store().fetchManifest(ref), TooLargeError);
  });
});

Deno.test("fetchManifest: Content-Type contradicting the document's mediaType is refused", async () => {
  await withRegistry(async (reg) => {
    reg.addManifest(
      "org/a",
      "v1",
      MANIFEST,
      "application/vnd.oci.image.index.v1+json",
    );
    await rejects(
      store().fetchManifest({
        registry: reg.host,
        repository: "org/a",
        tag: "v1",
      }),
      (e: unknown) =>
        e instanceof RegistryError && /does not match/.test(e.message),
    );
  });
});

Deno.test("fetchManifest: generic Content-Type → the document's mediaType", async () => {
  await withRegistry(async (reg) => {
    reg.addManifest("org/a", "v1", MANIFEST, "application/json");
    const m = await store().fetchManifest({
      registry: reg.host,
      repository: "org/a",
      tag: "v1",
    });
    strictEqual(m.descriptor.mediaType, MT);
  });
});

// -------------------------------------------------------------- fetchBlob

Deno.test("fetchBlob: streams verified content with progress", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    const digest = reg.addBlob("org/a", bytes);
    const events: ProgressEvent[] = [];
    const stream = await store().fetchBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "application/octet-stream", digest, size: bytes.length },
      { onProgress: (e) => events.push(e) },
    );
    deepStrictEqual(await readAll(stream), bytes);
    ok(events.length >= 2);
    deepStrictEqual(events.at(-1), {
      direction: "pull",
      digest,
      mediaType: "application/octet-stream",
      transferred: bytes.length,
      total: bytes.length,
      done: true,
    });
    ok(events.slice(0, -1).every((e) => !e.done));
  });
});

Deno.test("fetchBlob: wrong content of the right size errors at the end", async () => {
  await withRegistry(async (reg) => {
    const bytes = enc("hello world");
    const digest = sha256(bytes);
    reg.fault((req) =>
      req.url.includes("/blobs/") ? new Response(enc("HELLO WORLD")) : undefined
    );
    const stream = await store().fetchBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
    );
    await rejects(readAll(stream), DigestMismatchError);
  });
});

Deno.test("fetchBlob: a truncated body (no Content-Length) errors at the end", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(1000).fill(7);
    const digest = sha256(bytes);
    reg.fault((req) =>
      req.url.includes("/blobs/")
        ? new Response(new Blob([bytes.subarray(0, 600)]).stream())
        : undefined
    );
    const stream = await store().fetchBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
    );
    await rejects(
      readAll(stream),
      (e: unknown) =>
        e instanceof DigestMismatchError &&
        /600 bytes, want 1000/.test(e.message),
    );
  });
});

Deno.test("fetchBlob: a Content-Length other than the descriptor size fails early", async () => {
  await withRegistry(async (reg) => {
    const bytes = enc("0123456789");
    const digest = reg.addBlob("org/a", bytes);
    await rejects(
      store().fetchBlob(
        { registry: reg.host, repository: "org/a" },
        { mediaType: "x", digest, size: 11 },
      ),
      (e: unknown) =>
        e instanceof DigestMismatchError &&
        /content length 10, want 11/.test(e.message),
    );
  });
});

Deno.test("fetchBlob: redirect to storage on another origin without Authorization", async () => {
  const bytes = enc("layer bytes");
  const digest = sha256(bytes);
  const storage = startServer(() => new Response(bytes));
  const reg = startFaultyRegistry({
    auth: { kind: "basic", username: "u", password: "p" },
  });
  try {
    reg.fault((req, url) => {
      if (!url.pathname.includes("/blobs/")) return undefined;
      if (!req.headers.get("authorization")) return undefined; // let auth challenge
      return new Response(null, {
        status: 307,
        headers: { location: `${storage.origin}/bucket/${digest}?X-Sig=abc` },
      });
    });
    const s = store({
      credentials: () => Promise.resolve({ username: "u", password: "p" }),
    });
    const stream = await s.fetchBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
    );
    deepStrictEqual(await readAll(stream), bytes);
    strictEqual(storage.requests.length, 1);
    strictEqual(storage.requests[0].headers.get("authorization"), null);
    ok(reg.requests.at(-1)!.headers.get("authorization")?.startsWith("Basic "));
  } finally {
    await reg.close();
    await storage.close();
  }
});

Deno.test("fetchBlob: unknown blob → NotFoundError '<digest>: not found'", async () => {
  await withRegistry(async (reg) => {
    const digest = sha256(enc("nope"));
    await rejects(
      store().fetchBlob(
        { registry: reg.host, repository: "org/a" },
        { mediaType: "x", digest, size: 4 },
      ),
      (e: unknown) =>
        e instanceof NotFoundError && e.message === `${digest}: not found`,
    );
  });
});

Deno.test("blobExists: HEAD → true / false", async () => {
  await withRegistry(async (reg) => {
    const digest = reg.addBlob("org/a", enc("x"));
    const s = store();
    const repo = { registry: reg.host, repository: "org/a" };
    strictEqual(
      await s.blobExists(repo, { mediaType: "x", digest, size: 1 }),
      true,
    );
    strictEqual(
      await s.blobExists(repo, {
        mediaType: "x",
        digest: sha256(enc("y")),
        size: 1,
      }),
      false,
    );
    deepStrictEqual(reg.requests.map((r) => r.method), ["HEAD", "HEAD"]);
  });
});

// ---------------------------------------------------------------- pushBlob

Deno.test("pushBlob: POST then PUT <location>&digest= keeping the session query", async () => {
  await withRegistry(async (reg) => {
    const bytes = enc("config blob");
    const digest = sha256(bytes);
    await store().pushBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
      bytes,
    );
    deepStrictEqual(reg.blobs.get(digest), bytes);
    const [post, put] = reg.requests;
    strictEqual(post.method, "POST");
    strictEqual(post.path, "/v2/org/a/blobs/uploads/");
    strictEqual(put.method, "PUT");
    strictEqual(
      put.path,
      `/v2/org/a/blobs/uploads/u1?_state=s%3Du1&digest=${
        encodeURIComponent(digest)
      }`,
    );
    strictEqual(put.headers.get("content-type"), "application/octet-stream");
    strictEqual(put.headers.get("content-length"), String(bytes.length));
  });
});

Deno.test("pushBlob: a small stream source is buffered (Content-Length set)", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(100_000).fill(3);
    const digest = sha256(bytes);
    const events: ProgressEvent[] = [];
    await store().pushBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
      () => new Blob([bytes]).stream(),
      { onProgress: (e) => events.push(e) },
    );
    deepStrictEqual(reg.blobs.get(digest), bytes);
    strictEqual(
      reg.requests[1].headers.get("content-length"),
      String(bytes.length),
    );
    deepStrictEqual(events.at(-1), {
      direction: "push",
      digest,
      mediaType: "x",
      transferred: bytes.length,
      total: bytes.length,
      done: true,
    });
  });
});

Deno.test("pushBlob: a large stream source goes up in chunks read once; a 503 on the commit is retried", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(300_000).map((_, i) => i % 13);
    const digest = sha256(bytes);
    let puts = 0;
    reg.fault((req) =>
      req.method === "PUT" && ++puts === 1
        ? new Response(null, { status: 503 })
        : undefined
    );
    let calls = 0;
    await store({ bufferUploadsUpTo: 0, chunkSize: 128 * 1024 }).pushBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest, size: bytes.length },
      () => {
        calls++;
        return new Blob([bytes]).stream();
      },
    );
    strictEqual(calls, 1);
    deepStrictEqual(reg.blobs.get(digest), bytes);
    deepStrictEqual(reg.requests.map((r) => r.method), [
      "POST",
      "PATCH",
      "PATCH",
      "PATCH",
      "PUT",
      "PUT",
    ]);
  }, { requireLength: true });
});

Deno.test("pushBlob: a Location on another origin is refused; nothing is sent there", async () => {
  const evil = startServer(() => new Response(null, { status: 201 }));
  const reg = startFaultyRegistry({
    auth: { kind: "basic", username: "u", password: "p" },
  });
  try {
    reg.fault((req) =>
      req.method === "POST" && req.headers.get("authorization")
        ? new Response(null, {
          status: 202,
          headers: { location: `${evil.origin}/steal?x=1` },
        })
        : undefined
    );
    const bytes = enc("x");
    await rejects(
      store({
        credentials: () => Promise.resolve({ username: "u", password: "p" }),
      })
        .pushBlob(
          { registry: reg.host, repository: "org/a" },
          { mediaType: "x", digest: sha256(bytes), size: 1 },
          bytes,
        ),
      (e: unknown) =>
        e instanceof UnsafeUrlError && /upload location/.test(e.message),
    );
    strictEqual(evil.requests.length, 0);
  } finally {
    await reg.close();
    await evil.close();
  }
});

Deno.test("pushBlob: an https registry's Location downgraded to http is refused", async () => {
  const seen: string[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    seen.push(`${init?.method} ${input}`);
    return Promise.resolve(
      new Response(null, {
        status: 202,
        headers: { location: "http://reg.example/v2/a/blobs/uploads/1" },
      }),
    );
  };
  const bytes = enc("x");
  await rejects(
    new RegistryStore({
      fetch: fakeFetch,
      retry: FAST,
      credentials: () => Promise.resolve(undefined),
    })
      .pushBlob(
        { registry: "reg.example", repository: "a" },
        { mediaType: "x", digest: sha256(bytes), size: 1 },
        bytes,
      ),
    UnsafeUrlError,
  );
  deepStrictEqual(seen, ["POST https://reg.example/v2/a/blobs/uploads/"]);
});

Deno.test("pushBlob: an absolute same-origin Location is followed", async () => {
  await withRegistry(async (reg) => {
    reg.fault((req) => {
      if (req.method !== "POST") return undefined;
      return new Response(null, {
        status: 202,
        headers: { location: `${reg.origin}/v2/org/a/blobs/uploads/abs?k=v` },
      });
    });
    reg.fault((req, url, ctx) =>
      req.method === "PUT" && url.pathname.endsWith("/abs")
        ? (reg.blobs.set(url.searchParams.get("digest")!, ctx.body),
          new Response(null, { status: 201 }))
        : undefined
    );
    const bytes = enc("abs");
    await store().pushBlob(
      { registry: reg.host, repository: "org/a" },
      { mediaType: "x", digest: sha256(bytes), size: 3 },
      bytes,
    );
    strictEqual(
      reg.requests[1].path,
      `/v2/org/a/blobs/uploads/abs?k=v&digest=${
        encodeURIComponent(sha256(bytes))
      }`,
    );
  });
});

Deno.test("pushBlob: bytes of another size than the descriptor are refused up front", async () => {
  const c = countingFetch();
  await rejects(
    store({ fetch: c.fetch }).pushBlob(
      { registry: "reg.example", repository: "a" },
      { mediaType: "x", digest: sha256(enc("abc")), size: 4 },
      enc("abc"),
    ),
    DigestMismatchError,
  );
  strictEqual(c.count(), 0);
});

Deno.test("pushBlob: a stream source of the wrong size is refused before upload", async () => {
  await withRegistry(async (reg) => {
    await rejects(
      store().pushBlob(
        { registry: reg.host, repository: "org/a" },
        { mediaType: "x", digest: sha256(enc("abcd")), size: 4 },
        () => new Blob(["abcdef"]).stream(),
      ),
      DigestMismatchError,
    );
    deepStrictEqual(reg.requests.map((r) => r.method), []);
  });
});

// ---------------------------------------------------------- pushBlobStream

Deno.test("pushBlobStream: PATCH chunks with Content-Range, then PUT ?digest=", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(35).map((_, i) => i);
    const desc = await store({ chunkSize: 10 }).pushBlobStream(
      { registry: reg.host, repository: "org/a" },
      new Blob([bytes.subarray(0, 7), bytes.subarray(7)]).stream(),
      { mediaType: "application/x-test" },
    );
    deepStrictEqual(desc, {
      mediaType: "application/x-test",
      digest: sha256(bytes),
      size: 35,
    });
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
    deepStrictEqual(
      reg.requests.map((
        r,
      ) => [r.method, r.headers.get("content-range"), r.bodyBytes]),
      [
        ["POST", null, 0],
        ["PATCH", "0-9", 10],
        ["PATCH", "10-19", 10],
        ["PATCH", "20-29", 10],
        ["PATCH", "30-34", 5],
        ["PUT", null, 0],
      ],
    );
    ok(
      reg.requests[5].path.includes(
        `digest=${encodeURIComponent(desc.digest)}`,
      ),
    );
  });
});

Deno.test("pushBlobStream: honours OCI-Chunk-Min-Length", async () => {
  await withRegistry(async (reg) => {
    const bytes = new Uint8Array(40).fill(9);
    const desc = await store({ chunkSize: 10 }).pushBlobStream(
      { registry: reg.host, repository: "org/a" },
      new Blob([bytes]).stream(),
    );
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
    deepStrictEqual(
      reg.requests.filter((r) => r.method === "PATCH").map((r) => r.bodyBytes),
      [16, 16, 8],
    );
  }, { chunkMinLength: 16 });
});

Deno.test("pushBlobStream: content smaller than a chunk is one PUT", async () => {
  await withRegistry(async (reg) => {
    const bytes = enc("tiny");
    const desc = await store().pushBlobStream(
      { registry: reg.host, repository: "org/a" },
      new Blob([bytes]).stream(),
    );
    strictEqual(desc.digest, sha256(bytes));
    deepStrictEqual(reg.requests.map((r) => r.method), ["POST", "PUT"]);
    strictEqual(reg.requests[1].bodyBytes, 4);
  });
});

Deno.test("pushBlobStream: a PATCH failing with 5xx is resent (chunks are buffered)", async () => {
  await withRegistry(async (reg) => {
    let patches = 0;
    reg.fault((req) =>
      req.method === "PATCH" && ++patches === 2
        ? new Response(null, { status: 500 })
        : undefined
    );
    const bytes = new Uint8Array(25).fill(1);
    const desc = await store({ chunkSize: 10 }).pushBlobStream(
      { registry: reg.host, repository: "org/a" },
      new Blob([bytes]).stream(),
    );
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
  });
});

// ------------------------------------------------------------ pushManifest

Deno.test("pushManifest: PUT to the tag with Content-Type = mediaType", async () => {
  await withRegistry(async (reg) => {
    const desc = await store().pushManifest(
      { registry: reg.host, repository: "org/a", tag: "v1.0.0" },
      MANIFEST,
      MT,
    );
    deepStrictEqual(desc, {
      mediaType: MT,
      digest: sha256(MANIFEST),
      size: MANIFEST.length,
    });
    strictEqual(reg.requests[0].path, "/v2/org/a/manifests/v1.0.0");
    strictEqual(reg.requests[0].headers.get("content-type"), MT);
    deepStrictEqual(reg.manifest("org/a", "v1.0.0"), MANIFEST);
  });
});

Deno.test("pushManifest: a registry storing another digest is reported", async () => {
  await withRegistry(async (reg) => {
    reg.fault((req) =>
      req.method === "PUT"
        ? new Response(null, {
          status: 201,
          headers: { "docker-content-digest": sha256(enc("other")) },
        })
        : undefined
    );
    await rejects(
      store().pushManifest(
        { registry: reg.host, repository: "org/a", tag: "v1" },
        MANIFEST,
        MT,
      ),
      DigestMismatchError,
    );
  });
});

// ---------------------------------------------------------------- listTags

Deno.test("listTags: follows Link rel=next across pages", async () => {
  await withRegistry(async (reg) => {
    for (const t of ["v1", "v2", "v3", "v4", "v5"]) {
      reg.addManifest("org/a", t, MANIFEST, MT);
    }
    const c = countingFetch();
    const r = await store({ fetch: c.fetch }).listTags({
      registry: reg.host,
      repository: "org/a",
    });
    deepStrictEqual(r.tags, ["v1", "v2", "v3", "v4", "v5"]);
    strictEqual(c.count({ kind: "tags" }), 3);
    ok(r.etag);
  }, { tagPageSize: 2 });
});

Deno.test("listTags: conditional first page → notModified on 304", async () => {
  await withRegistry(async (reg) => {
    reg.addManifest("org/a", "v1", MANIFEST, MT);
    const s = store();
    const repo = { registry: reg.host, repository: "org/a" };
    const first = await s.listTags(repo);
    const again = await s.listTags(repo, { ifNoneMatch: first.etag });
    deepStrictEqual(again, { tags: [], etag: first.etag, notModified: true });
    strictEqual(reg.requests[1].headers.get("if-none-match"), first.etag);
    reg.addManifest("org/a", "v2", MANIFEST, MT);
    const changed = await s.listTags(repo, { ifNoneMatch: first.etag });
    deepStrictEqual(changed.tags, ["v1", "v2"]);
    ok(!changed.notModified);
  });
});

Deno.test("listTags: a Link to another origin is followed on the registry's own origin only", async () => {
  const evil = startServer(() => new Response('{"tags":["x"]}'));
  try {
    await withRegistry(async (reg) => {
      reg.addManifest("org/a", "v1", MANIFEST, MT);
      reg.addManifest("org/a", "v2", MANIFEST, MT);
      reg.fault((_req, url) =>
        url.pathname.endsWith("/tags/list") && !url.searchParams.has("last")
          ? new Response('{"tags":["v1"]}', {
            headers: {
              link: `<${evil.origin}/v2/org/a/tags/list?last=v1>; rel="next"`,
            },
          })
          : undefined
      );
      const creds = () => Promise.resolve({ username: "u", password: "p" });
      const r = await store({ credentials: creds }).listTags({
        registry: reg.host,
        repository: "org/a",
      });
      deepStrictEqual(r.tags, ["v1", "v2"]);
      strictEqual(evil.requests.length, 0);
      strictEqual(reg.requests[1].path, "/v2/org/a/tags/list?last=v1&n=100");
    });
  } finally {
    await evil.close();
  }
});

Deno.test("listTags: a Link outside the registry API is refused", async () => {
  await withRegistry(async (reg) => {
    reg.fault((_req, url) =>
      url.pathname.endsWith("/tags/list")
        ? new Response('{"tags":["v1"]}', {
          headers: { link: `</token?scope=x>; rel="next"` },
        })
        : undefined
    );
    await rejects(
      store().listTags({ registry: reg.host, repository: "org/a" }),
      (e: unknown) =>
        e instanceof UnsafeUrlError && /pagination link/.test(e.message),
    );
    strictEqual(reg.requests.length, 1);
  });
});

Deno.test("listTags: a Link pointing back at itself ends the list", async () => {
  await withRegistry(async (reg) => {
    reg.fault((_req, url) =>
      url.pathname.endsWith("/tags/list")
        ? new Response('{"tags":["v1"]}', {
          headers: { link: `<${url.pathname}?n=100>; rel="next"` },
        })
        : undefined
    );
    const r = await store().listTags({
      registry: reg.host,
      repository: "org/a",
    });
    deepStrictEqual(r.tags, ["v1"]);
    strictEqual(reg.requests.length, 1);
  });
});

Deno.test("listTags: unknown repository → NotFoundError with the oras wording", async () => {
  await withRegistry(async (reg) => {
    await rejects(
      store().listTags({ registry: reg.host, repository: "org/none" }),
      (e: unknown) =>
        e instanceof NotFoundError &&
        e.message ===
          `GET "http://${reg.host}/v2/org/none/tags/list": response status code 404: name unknown: repository name not known to registry`,
    );
  });
});

// ------------------------------------------------------------------ errors

Deno.test("errors: 403 → DeniedError, 5xx → RegistryError{status}; bodies never echoed", async () => {
  await withRegistry(async (reg) => {
    let status = 403;
    reg.fault(() =>
      new Response(
        JSON.stringify({
          errors: [{
            code: "DENIED",
            message: "requested access to the resource is denied",
          }],
        }),
        { status },
      )
    );
    const s = store({ retry: { maxRetries: 0 } });
    const repo = { registry: reg.host, repository: "org/a" };
    await rejects(s.listTags(repo), (e: unknown) =>
      e instanceof DeniedError &&
      e.message.endsWith(
        "response status code 403: denied: requested access to the resource is denied",
      ));
    status = 500;
    await rejects(
      s.listTags(repo),
      (e: unknown) =>
        e instanceof RegistryError && e.status === 500 &&
        e.message.length < 400,
    );
    reg.clearFaults();
    reg.fault(() =>
      new Response("<html>" + "x".repeat(100_000), { status: 502 })
    );
    await rejects(
      s.listTags(repo),
      (e: unknown) =>
        e instanceof RegistryError && e.status === 502 &&
        e.message.endsWith("response status code 502: Bad Gateway"),
    );
  });
});

Deno.test("errors: invalid names never reach the network", async () => {
  const c = countingFetch();
  const s = store({ fetch: c.fetch });
  await rejects(s.listTags({ registry: "h", repository: "../x" }));
  await rejects(s.resolve({ registry: "h", repository: "a", tag: "bad tag" }));
  await rejects(s.resolve({ registry: "h/evil", repository: "a", tag: "v1" }));
  strictEqual(c.count(), 0);
});
