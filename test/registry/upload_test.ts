/**
 * Uploads against registries that need a length on every body: chunked
 * `PATCH`es with `Content-Length` and `Content-Range`, resume from the
 * registry's reported offset, at most one restart, chunk limits.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { DigestMismatchError, RegistryError } from "../../src/errors.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import {
  type FaultyRegistryOptions,
  sha256,
  startFaultyRegistry,
} from "../harness/faulty_registry.ts";

const REPO = "org/a";

function store(extra: ConstructorParameters<typeof RegistryStore>[0] = {}) {
  return new RegistryStore({
    plainHttp: true,
    credentials: () => Promise.resolve(undefined),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  });
}

function data(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => (i * 31 + 7) % 251);
}

/** A stream handing out `bytes` in pieces of `piece` bytes. */
function pieces(bytes: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + piece));
      off += piece;
    },
  });
}

async function withRegistry(
  options: FaultyRegistryOptions,
  fn: (reg: ReturnType<typeof startFaultyRegistry>) => Promise<void>,
) {
  const reg = startFaultyRegistry(options);
  try {
    await fn(reg);
  } finally {
    await reg.close();
  }
}

const CASES: {
  name: string;
  size: number;
  chunkSize: number;
  chunkMinLength?: number;
  piece: number;
  patches: number[];
}[] = [
  // Source pieces smaller, equal and larger than a chunk; sizes on and off
  // a chunk boundary.
  {
    name: "small pieces",
    size: 25,
    chunkSize: 10,
    piece: 3,
    patches: [10, 10, 5],
  },
  {
    name: "on a boundary",
    size: 30,
    chunkSize: 10,
    piece: 7,
    patches: [10, 10, 10],
  },
  {
    name: "large pieces",
    size: 25,
    chunkSize: 10,
    piece: 100,
    patches: [10, 10, 5],
  },
  {
    name: "OCI-Chunk-Min-Length raises the chunk size",
    size: 40,
    chunkSize: 10,
    chunkMinLength: 16,
    piece: 5,
    patches: [16, 16, 8],
  },
];

for (const c of CASES) {
  Deno.test(`pushBlobStream: ${c.name} → PATCH ${c.patches.join("+")} with lengths, then PUT without body`, async () => {
    await withRegistry(
      { requireLength: true, chunkMinLength: c.chunkMinLength },
      async (reg) => {
        const bytes = data(c.size);
        const desc = await store({ chunkSize: c.chunkSize }).pushBlobStream(
          { registry: reg.host, repository: REPO },
          pieces(bytes, c.piece),
        );
        strictEqual(desc.digest, sha256(bytes));
        strictEqual(desc.size, c.size);
        deepStrictEqual(reg.blobs.get(desc.digest), bytes);
        const patches = reg.requests.filter((r) => r.method === "PATCH");
        deepStrictEqual(patches.map((r) => r.bodyBytes), c.patches);
        let start = 0;
        for (const p of patches) {
          strictEqual(p.headers.get("content-length"), String(p.bodyBytes));
          strictEqual(
            p.headers.get("content-range"),
            `${start}-${start + p.bodyBytes - 1}`,
          );
          start += p.bodyBytes;
        }
        const put = reg.requests.at(-1)!;
        strictEqual(put.method, "PUT");
        strictEqual(put.bodyBytes, 0);
        ok(put.path.includes(`digest=${encodeURIComponent(desc.digest)}`));
      },
    );
  });
}

Deno.test("pushBlobStream: content within one chunk is one PUT with a length", async () => {
  await withRegistry({ requireLength: true }, async (reg) => {
    const bytes = data(9);
    const desc = await store({ chunkSize: 10 }).pushBlobStream(
      { registry: reg.host, repository: REPO },
      pieces(bytes, 2),
    );
    deepStrictEqual(reg.requests.map((r) => r.method), ["POST", "PUT"]);
    strictEqual(reg.requests[1].headers.get("content-length"), "9");
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
  });
});

Deno.test("pushBlob: a stream source above the buffer limit is never sent without a length (411 registry)", async () => {
  await withRegistry({ requireLength: true }, async (reg) => {
    const bytes = data(100_000);
    await store({ bufferUploadsUpTo: 1000, chunkSize: 32 * 1024 }).pushBlob(
      { registry: reg.host, repository: REPO },
      { mediaType: "x", digest: sha256(bytes), size: bytes.length },
      () => pieces(bytes, 4096),
    );
    deepStrictEqual(reg.blobs.get(sha256(bytes)), bytes);
    ok(reg.requests.every((r) => r.method !== "PATCH" || r.bodyBytes > 0));
    strictEqual(reg.requests.filter((r) => r.method === "PATCH").length, 4);
  });
});

Deno.test("pushBlobStream: a chunk cut off midway resumes from the registry's offset, sending only the rest", async () => {
  await withRegistry(
    { requireLength: true, partialPatch: (n) => (n === 2 ? 4 : undefined) },
    async (reg) => {
      const bytes = data(30);
      const desc = await store({ chunkSize: 10 }).pushBlobStream(
        { registry: reg.host, repository: REPO },
        pieces(bytes, 10),
      );
      deepStrictEqual(reg.blobs.get(desc.digest), bytes);
      deepStrictEqual(
        reg.requests.map((r) =>
          `${r.method} ${r.headers.get("content-range") ?? ""}`.trim()
        ),
        [
          "POST",
          "PATCH 0-9",
          "PATCH 10-19",
          "GET",
          "PATCH 14-19",
          "PATCH 20-29",
          "PUT",
        ],
      );
    },
  );
});

Deno.test("pushBlobStream: a 5xx before any byte arrived resends the chunk after a status check", async () => {
  await withRegistry({}, async (reg) => {
    let patches = 0;
    reg.fault((req) =>
      req.method === "PATCH" && ++patches === 2
        ? new Response(null, { status: 500 })
        : undefined
    );
    const bytes = new Uint8Array(25).fill(1);
    const desc = await store({ chunkSize: 10 }).pushBlobStream(
      { registry: reg.host, repository: REPO },
      new Blob([bytes]).stream(),
    );
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
    deepStrictEqual(reg.requests.map((r) => r.method), [
      "POST",
      "PATCH",
      "PATCH",
      "GET",
      "PATCH",
      "PATCH",
      "PUT",
    ]);
  });
});

Deno.test("pushBlobStream: a chunk that keeps failing gives up after its retries", async () => {
  await withRegistry({}, async (reg) => {
    reg.fault((req) =>
      req.method === "PATCH" ? new Response(null, { status: 503 }) : undefined
    );
    await rejects(
      store({ chunkSize: 10 }).pushBlobStream(
        { registry: reg.host, repository: REPO },
        new Blob([data(25)]).stream(),
      ),
      (e: unknown) => e instanceof RegistryError && e.status === 503,
    );
    strictEqual(reg.requests.filter((r) => r.method === "PATCH").length, 4);
    // The abandoned session is given back.
    strictEqual(reg.requests.at(-1)!.method, "DELETE");
  });
});

Deno.test("pushBlob: a lost session restarts from the source once, never twice", async () => {
  for (const losses of [1, 2]) {
    await withRegistry({ requireLength: true }, async (reg) => {
      let lost = 0;
      let patches = 0;
      reg.fault((req) =>
        req.method === "PATCH" && ++patches % 2 === 0 && lost++ < losses
          ? new Response(
            '{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"upload unknown"}]}',
            { status: 404 },
          )
          : undefined
      );
      const bytes = data(25);
      let calls = 0;
      const push = store({ bufferUploadsUpTo: 0, chunkSize: 10 }).pushBlob(
        { registry: reg.host, repository: REPO },
        { mediaType: "x", digest: sha256(bytes), size: bytes.length },
        () => {
          calls++;
          return new Blob([bytes]).stream();
        },
      );
      if (losses === 1) {
        await push;
        deepStrictEqual(reg.blobs.get(sha256(bytes)), bytes);
      } else {
        await rejects(push, /upload unknown/);
      }
      strictEqual(calls, 2);
      strictEqual(reg.requests.filter((r) => r.method === "POST").length, 2);
    });
  }
});

Deno.test("pushBlob: a source that does not match its descriptor is not committed", async () => {
  await withRegistry({}, async (reg) => {
    const bytes = data(25);
    await rejects(
      store({ bufferUploadsUpTo: 0, chunkSize: 10 }).pushBlob(
        { registry: reg.host, repository: REPO },
        { mediaType: "x", digest: sha256(data(24)), size: 25 },
        () => new Blob([bytes]).stream(),
      ),
      DigestMismatchError,
    );
    strictEqual(reg.blobs.size, 0);
    ok(!reg.requests.some((r) => r.method === "PUT"));
    strictEqual(reg.requests.at(-1)!.method, "DELETE");
  });
});

Deno.test("pushBlobStream: a registry refusing large bodies (416, as GHCR over 4 MiB) gets them in halves", async () => {
  await withRegistry({ requireLength: true, maxPatchBytes: 5 }, async (reg) => {
    const bytes = data(40);
    const desc = await store({ chunkSize: 16 }).pushBlobStream(
      { registry: reg.host, repository: REPO },
      pieces(bytes, 16),
    );
    deepStrictEqual(reg.blobs.get(desc.digest), bytes);
    const accepted = reg.requests.filter((r) =>
      r.method === "PATCH" && r.bodyBytes <= 5
    );
    strictEqual(accepted.reduce((n, r) => n + r.bodyBytes, 0), 40);
    // 16 refused, 8 refused, then 4-byte bodies for the rest of the upload.
    strictEqual(
      reg.requests.filter((r) => r.method === "PATCH" && r.bodyBytes > 5)
        .length,
      2,
    );
  });
});
