import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  DigestMismatchError,
  InvalidArtifactError,
  InvalidReferenceError,
  NotFoundError,
  TooLargeError,
} from "../../src/errors.ts";
import { ANNOTATION_REF_NAME, LayoutStore } from "../../src/layout/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import {
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../../src/oci/media_types.ts";
import type { ProgressEvent } from "../../src/oci/store.ts";
import {
  descriptorOf,
  layoutRepo,
  makeArtifact,
  namesIn,
  pushArtifact,
  readAll,
  withTempDir,
} from "./layout_fixture.ts";

const enc = new TextEncoder();

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

function blobFile(dir: string, digest: string): string {
  return join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

Deno.test("push then read back: layout files, resolve, manifest, blobs, tags", async () => {
  await withTempDir(async (tmp) => {
    const dir = join(tmp, "plugins", "base");
    const store = new LayoutStore();
    const a = await makeArtifact();
    await pushArtifact(store, dir, a, ["v1.0.0", "latest"]);

    deepStrictEqual(await readJson(join(dir, "oci-layout")), {
      imageLayoutVersion: "1.0.0",
    });
    const index = await readJson(join(dir, "index.json"));
    deepStrictEqual(index, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_INDEX,
      manifests: ["v1.0.0", "latest"].map((tag) => ({
        ...a.manifestDesc,
        annotations: { [ANNOTATION_REF_NAME]: tag },
      })),
    });
    deepStrictEqual(await namesIn(dir), ["blobs", "index.json", "oci-layout"]);
    deepStrictEqual(
      await namesIn(join(dir, "blobs", "sha256")),
      [a.configDesc, a.layerDesc, a.manifestDesc].map((d) => d.digest.slice(7))
        .sort(),
    );

    const ref = { ...layoutRepo(dir), tag: "v1.0.0" };
    deepStrictEqual((await store.resolve(ref)).descriptor, a.manifestDesc);
    const fetched = await store.fetchManifest(ref);
    deepStrictEqual(fetched.bytes, a.manifest);
    deepStrictEqual(fetched.descriptor, a.manifestDesc);
    deepStrictEqual(
      await readAll(await store.fetchBlob(layoutRepo(dir), a.configDesc)),
      a.config,
    );
    deepStrictEqual(
      await readAll(await store.fetchBlob(layoutRepo(dir), a.layerDesc)),
      a.layer,
    );
    deepStrictEqual((await store.listTags(layoutRepo(dir))).tags, [
      "v1.0.0",
      "latest",
    ]);
    ok(await store.blobExists(layoutRepo(dir), a.layerDesc));
    ok(
      !(await store.blobExists(
        layoutRepo(dir),
        descriptorOf("x", enc.encode("nope")),
      )),
    );
  });
});

Deno.test("pushing a tag again replaces its descriptor in place and keeps the others", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const a = await makeArtifact("a");
    const b = await makeArtifact("b");
    await pushArtifact(store, dir, a, ["one", "two", "three"]);
    await pushArtifact(store, dir, b, ["two"]);
    const index = await readJson(join(dir, "index.json"));
    const entries = (index.manifests as {
      digest: string;
      annotations: Record<string, string>;
    }[])
      .map((d) => [d.annotations[ANNOTATION_REF_NAME], d.digest]);
    deepStrictEqual(entries, [
      ["one", a.manifestDesc.digest],
      ["two", b.manifestDesc.digest],
      ["three", a.manifestDesc.digest],
    ]);
    const resolved = await store.resolve({ ...layoutRepo(dir), tag: "two" });
    deepStrictEqual(resolved.descriptor.digest, b.manifestDesc.digest);
  });
});

Deno.test("a tag held by several descriptors resolves to the last; tags are listed once", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const a = await makeArtifact("a");
    const b = await makeArtifact("b");
    await pushArtifact(store, dir, a, ["x"]);
    await pushArtifact(store, dir, b, ["y"]);
    // As another tool might leave it: "x" twice, unknown top-level fields.
    await Deno.writeTextFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        annotations: { "com.example.keep": "me" },
        manifests: [
          { ...a.manifestDesc, annotations: { [ANNOTATION_REF_NAME]: "x" } },
          { ...b.manifestDesc, annotations: { [ANNOTATION_REF_NAME]: "y" } },
          { ...b.manifestDesc, annotations: { [ANNOTATION_REF_NAME]: "x" } },
          { ...a.manifestDesc },
        ],
      }),
    );
    const repo = layoutRepo(dir);
    deepStrictEqual(
      (await store.resolve({ ...repo, tag: "x" })).descriptor.digest,
      b.manifestDesc.digest,
    );
    deepStrictEqual((await store.listTags(repo)).tags, ["x", "y"]);

    // A push keeps unknown fields and collapses the duplicate tag.
    await store.pushManifest(
      { ...repo, tag: "x" },
      a.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    const index = await readJson(join(dir, "index.json"));
    deepStrictEqual(index.annotations, { "com.example.keep": "me" });
    deepStrictEqual(
      (index.manifests as { annotations?: Record<string, string> }[]).map((d) =>
        d.annotations?.[ANNOTATION_REF_NAME]
      ),
      ["x", "y"],
    );
    deepStrictEqual(
      (await store.resolve({ ...repo, tag: "x" })).descriptor.digest,
      a.manifestDesc.digest,
    );
  });
});

Deno.test("digest references: listed, pushed by digest, referenced by an index, absent", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const a = await makeArtifact("a");
    const b = await makeArtifact("b");
    const c = await makeArtifact("c");
    await pushArtifact(store, dir, a, ["v1"]);

    // Listed under a tag.
    deepStrictEqual(
      (await store.resolve({ ...repo, digest: a.manifestDesc.digest }))
        .descriptor,
      a.manifestDesc,
    );
    // Digest wins over a tag that points elsewhere.
    await pushArtifact(store, dir, b, []);
    await store.pushManifest(
      { ...repo, digest: b.manifestDesc.digest },
      b.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    deepStrictEqual(
      (await store.resolve({
        ...repo,
        tag: "v1",
        digest: b.manifestDesc.digest,
      }))
        .descriptor.digest,
      b.manifestDesc.digest,
    );
    // A second digest push adds no second entry; the untagged entry has no ref.name.
    await store.pushManifest(
      { ...repo, digest: b.manifestDesc.digest },
      b.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    let index = await readJson(join(dir, "index.json"));
    deepStrictEqual(index.manifests, [
      { ...a.manifestDesc, annotations: { [ANNOTATION_REF_NAME]: "v1" } },
      b.manifestDesc,
    ]);
    deepStrictEqual((await store.listTags(repo)).tags, ["v1"]);
    // Tagging it later replaces the untagged entry.
    await store.pushManifest(
      { ...repo, tag: "b" },
      b.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    index = await readJson(join(dir, "index.json"));
    deepStrictEqual((index.manifests as unknown[]).length, 2);

    // Only referenced by an index that is tagged: the child is pushed by
    // digest first (listed untagged), the tagged index then covers it.
    await pushArtifact(store, dir, c, []);
    await store.pushManifest(
      { ...repo, digest: c.manifestDesc.digest },
      c.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    index = await readJson(join(dir, "index.json"));
    deepStrictEqual((index.manifests as unknown[]).length, 3);
    const imageIndex = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_INDEX,
      manifests: [{
        ...c.manifestDesc,
        platform: { os: "linux", architecture: "arm64" },
      }],
    }));
    await store.pushManifest(
      { ...repo, tag: "multi" },
      imageIndex,
      MEDIA_TYPE_OCI_INDEX,
    );
    deepStrictEqual(
      (await store.resolve({ ...repo, tag: "multi" })).descriptor,
      descriptorOf(MEDIA_TYPE_OCI_INDEX, imageIndex),
    );
    index = await readJson(join(dir, "index.json"));
    deepStrictEqual(
      (index.manifests as { digest: string }[]).map((d) => d.digest),
      [a.manifestDesc.digest, b.manifestDesc.digest, digestOf(imageIndex)],
    );
    const child = await store.fetchManifest({
      ...repo,
      digest: c.manifestDesc.digest,
    });
    deepStrictEqual(child.bytes, c.manifest);
    deepStrictEqual(child.descriptor, c.manifestDesc);

    // A blob that exists but is no listed manifest, and a digest with no blob.
    for (const digest of [a.layerDesc.digest, digestOf(enc.encode("absent"))]) {
      await rejects(
        store.resolve({ ...repo, digest }),
        (e: Error) =>
          e instanceof NotFoundError &&
          e.message === `ocidir://${dir}@${digest}: not found`,
      );
    }
    // Listed in index.json but its blob is gone.
    await Deno.remove(blobFile(dir, a.manifestDesc.digest));
    await rejects(store.resolve({ ...repo, tag: "v1" }), NotFoundError);
  });
});

Deno.test("missing tag, missing layout and missing blob are NotFoundError", async () => {
  await withTempDir(async (tmp) => {
    const store = new LayoutStore();
    const dir = join(tmp, "store");
    const a = await makeArtifact();
    await pushArtifact(store, dir, a, ["v1"]);
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        "missing tag",
        () => store.resolve({ ...layoutRepo(dir), tag: "v2" }),
        `ocidir://${dir}:v2: not found`,
      ],
      [
        "missing tag (fetchManifest)",
        () => store.fetchManifest({ ...layoutRepo(dir), tag: "v2" }),
        `ocidir://${dir}:v2: not found`,
      ],
      [
        "missing layout",
        () => store.resolve({ ...layoutRepo(join(tmp, "nope")), tag: "v1" }),
        `ocidir://${join(tmp, "nope")}:v1: not found`,
      ],
      [
        "a file where the layout should be",
        () =>
          store.resolve({ ...layoutRepo(join(dir, "oci-layout")), tag: "v1" }),
        `ocidir://${join(dir, "oci-layout")}:v1: not found`,
      ],
      [
        "tags of a missing layout",
        () => store.listTags(layoutRepo(join(tmp, "nope"))),
        `ocidir://${join(tmp, "nope")}: not found`,
      ],
      [
        "missing blob",
        () =>
          store.fetchBlob(layoutRepo(dir), descriptorOf("x", enc.encode("?"))),
        `ocidir://${dir}@${digestOf(enc.encode("?"))}: not found`,
      ],
      [
        "missing root",
        () => store.listRepositories(`ocidir://${join(tmp, "nope")}`),
        `ocidir://${join(tmp, "nope")}: not found`,
      ],
    ];
    for (const [what, call, message] of cases) {
      await rejects(call, (e: Error) => {
        ok(e instanceof NotFoundError, `${what}: ${e}`);
        deepStrictEqual(e.message, message, what);
        return true;
      });
    }
    await rejects(
      store.resolve(layoutRepo(dir)),
      (e: Error) =>
        e instanceof InvalidReferenceError &&
        e.message ===
          `reference "ocidir://${dir}" must include a tag or digest`,
    );
    await rejects(
      store.resolve({ registry: "localhost:5000", repository: "x", tag: "v1" }),
      InvalidReferenceError,
    );
  });
});

Deno.test("a corrupted blob errors the stream at its end, after the content flowed", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore({ chunkSize: 64 });
    const a = await makeArtifact();
    await pushArtifact(store, dir, a, ["v1"]);
    const path = blobFile(dir, a.layerDesc.digest);
    const corrupted = a.layer.slice();
    corrupted[corrupted.length - 1] ^= 0xff;
    await Deno.writeFile(path, corrupted);

    const events: ProgressEvent[] = [];
    const reader = (await store.fetchBlob(layoutRepo(dir), a.layerDesc, {
      onProgress: (e) => events.push(e),
    })).getReader();
    let received = 0;
    await rejects(
      async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
        }
      },
      (e: Error) =>
        e instanceof DigestMismatchError &&
        e.message.startsWith("digest mismatch: got "),
    );
    deepStrictEqual(received, a.layer.byteLength);
    ok(
      events.length > 1 && events.every((e) => !e.done),
      "no done event for bad content",
    );

    // Truncated and over-long files fail on size.
    for (
      const bytes of [
        a.layer.subarray(0, 10),
        new Uint8Array([...a.layer, 1, 2, 3]),
      ]
    ) {
      await Deno.writeFile(path, bytes);
      await rejects(
        readAll(await store.fetchBlob(layoutRepo(dir), a.layerDesc)),
        (e: Error) =>
          e instanceof DigestMismatchError &&
          e.message.startsWith("size mismatch"),
      );
    }

    // The manifest is checked as a whole.
    const mpath = blobFile(dir, a.manifestDesc.digest);
    const m = a.manifest.slice();
    m[10] = 0x20;
    await Deno.writeFile(mpath, m);
    await rejects(
      store.fetchManifest({ ...layoutRepo(dir), tag: "v1" }),
      DigestMismatchError,
    );
  });
});

Deno.test("fetchBlob reports progress ending with one verified done event", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore({ chunkSize: 100 });
    const a = await makeArtifact();
    await pushArtifact(store, dir, a, ["v1"]);
    const events: ProgressEvent[] = [];
    const got = await readAll(
      await store.fetchBlob(layoutRepo(dir), a.layerDesc, {
        onProgress: (e) => events.push(e),
      }),
    );
    deepStrictEqual(got, a.layer);
    const last = events.at(-1)!;
    deepStrictEqual(last, {
      direction: "pull",
      digest: a.layerDesc.digest,
      mediaType: a.layerDesc.mediaType,
      transferred: a.layer.byteLength,
      total: a.layer.byteLength,
      done: true,
    });
    deepStrictEqual(events.filter((e) => e.done).length, 1);
    deepStrictEqual(events.length, Math.ceil(a.layer.byteLength / 100) + 1);
  });
});

Deno.test("pushBlob verifies while writing and leaves nothing behind on mismatch", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const good = enc.encode("good content");
    const desc = descriptorOf("application/octet-stream", good);
    const wrong = enc.encode("evil content");
    const longer = enc.encode("good content, and more");
    const sources = [
      wrong,
      () => new Blob([wrong]).stream(),
      () => new Blob([longer]).stream(),
      () => new Blob([good.subarray(0, 4)]).stream(),
    ];
    for (const source of sources) {
      await rejects(store.pushBlob(repo, desc, source), DigestMismatchError);
      ok(!(await store.blobExists(repo, desc)));
    }
    // Only the layout skeleton exists: no temp files.
    deepStrictEqual(await namesIn(dir), ["blobs", "index.json", "oci-layout"]);
    deepStrictEqual(await namesIn(join(dir, "blobs")), []);

    const events: ProgressEvent[] = [];
    await store.pushBlob(repo, desc, () => new Blob([good]).stream(), {
      onProgress: (e) => events.push(e),
    });
    deepStrictEqual(events.at(-1), {
      direction: "push",
      digest: desc.digest,
      mediaType: desc.mediaType,
      transferred: good.byteLength,
      total: good.byteLength,
      done: true,
    });
    events.length = 0;
    let called = false;
    await store.pushBlob(repo, desc, () => {
      called = true;
      return new Blob([good]).stream();
    }, { onProgress: (e) => events.push(e) });
    ok(!called, "an existing blob is not read again");
    deepStrictEqual(events, [{
      direction: "push",
      digest: desc.digest,
      mediaType: desc.mediaType,
      transferred: good.byteLength,
      total: good.byteLength,
      done: true,
      skipped: true,
    }]);
  });
});

Deno.test("pushBlobStream hashes content of unknown length", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const parts = Array.from(
      { length: 50 },
      (_, i) => enc.encode(`chunk ${i};`),
    );
    const all = new Uint8Array(await new Blob(parts).arrayBuffer());
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i < parts.length) c.enqueue(parts[i++]);
        else c.close();
      },
    });
    const events: ProgressEvent[] = [];
    const d = await store.pushBlobStream(repo, stream, {
      mediaType: "text/plain",
      onProgress: (e) => events.push(e),
    });
    deepStrictEqual(d, descriptorOf("text/plain", all));
    deepStrictEqual(await Deno.readFile(blobFile(dir, d.digest)), all);
    deepStrictEqual(events.at(-1)?.done, true);
    deepStrictEqual(events.at(-1)?.digest, d.digest);
    deepStrictEqual(await namesIn(dir), ["blobs", "index.json", "oci-layout"]);

    // Same content again: same descriptor, one file.
    const again = await store.pushBlobStream(repo, new Blob([all]).stream());
    deepStrictEqual(again.digest, d.digest);
    deepStrictEqual(again.mediaType, "application/octet-stream");
    deepStrictEqual((await namesIn(join(dir, "blobs", "sha256"))).length, 1);
  });
});

Deno.test("pushManifest refuses bad input", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const a = await makeArtifact();
    // Referenced blobs missing.
    await rejects(
      store.pushManifest(
        { ...repo, tag: "v1" },
        a.manifest,
        MEDIA_TYPE_OCI_MANIFEST,
      ),
      (e: Error) =>
        e instanceof NotFoundError && e.message.includes(a.configDesc.digest),
    );
    await pushArtifact(store, dir, a, []);
    await rejects(
      store.pushManifest(
        { ...repo, digest: a.configDesc.digest },
        a.manifest,
        MEDIA_TYPE_OCI_MANIFEST,
      ),
      DigestMismatchError,
    );
    await rejects(
      store.pushManifest(repo, a.manifest, MEDIA_TYPE_OCI_MANIFEST),
      InvalidReferenceError,
    );
    await rejects(
      store.pushManifest(
        { ...repo, tag: "v1" },
        enc.encode("not json"),
        MEDIA_TYPE_OCI_MANIFEST,
      ),
      InvalidArtifactError,
    );
    const huge = enc.encode(
      JSON.stringify({ schemaVersion: 2, pad: "x".repeat(4 * 1024 * 1024) }),
    );
    await rejects(
      store.pushManifest({ ...repo, tag: "v1" }, huge, MEDIA_TYPE_OCI_MANIFEST),
      TooLargeError,
    );
    deepStrictEqual((await store.listTags(repo)).tags, []);
  });
});

Deno.test("fetchManifest refuses manifests over 4 MiB before reading them", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const huge = enc.encode(
      JSON.stringify({ schemaVersion: 2, pad: "x".repeat(4 * 1024 * 1024) }),
    );
    const d = await store.pushBlobStream(repo, new Blob([huge]).stream(), {
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
    });
    await Deno.writeTextFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...d, annotations: { [ANNOTATION_REF_NAME]: "big" } }],
      }),
    );
    await rejects(store.fetchManifest({ ...repo, tag: "big" }), TooLargeError);
    // A lying size in index.json is caught too.
    await Deno.writeTextFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{
          ...d,
          size: 100,
          annotations: { [ANNOTATION_REF_NAME]: "big" },
        }],
      }),
    );
    await rejects(
      store.fetchManifest({ ...repo, tag: "big" }),
      DigestMismatchError,
    );
  });
});

Deno.test("concurrent pushes of different tags keep every tag", async () => {
  await withTempDir(async (dir) => {
    const artifacts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => makeArtifact(`p${i % 3}`)),
    );
    // One store per pusher, as separate clients would be.
    await Promise.all(
      artifacts.map((a, i) =>
        pushArtifact(new LayoutStore(), dir, a, [`t${i}`])
      ),
    );
    const tags = (await new LayoutStore().listTags(layoutRepo(dir))).tags;
    deepStrictEqual(tags.sort(), artifacts.map((_, i) => `t${i}`).sort());
    deepStrictEqual(await namesIn(dir), ["blobs", "index.json", "oci-layout"]);
  });
});

Deno.test("relative layout paths are taken from cwd", async () => {
  await withTempDir(async (tmp) => {
    const store = new LayoutStore({ cwd: tmp });
    const a = await makeArtifact();
    await pushArtifact(store, "rel/base", a, ["v1"]);
    ok((await Deno.stat(join(tmp, "rel", "base", "index.json"))).isFile);
    deepStrictEqual(
      store.layoutPath(layoutRepo("./rel/base")),
      join(tmp, "rel", "base"),
    );
    const fetched = await store.fetchManifest({
      ...layoutRepo("./rel/base"),
      tag: "v1",
    });
    deepStrictEqual(fetched.bytes, a.manifest);
    deepStrictEqual(await store.listRepositories("ocidir://rel"), [
      "ocidir://rel/base",
    ]);
    deepStrictEqual(await store.listRepositories("ocidir://./rel/"), [
      "ocidir://./rel/base",
    ]);
  });
});

Deno.test("listRepositories finds nested layouts, skips blobs/, sorts byte-wise", async () => {
  await withTempDir(async (root) => {
    const store = new LayoutStore();
    const a = await makeArtifact();
    const layouts = [
      "b/c",
      "a",
      "a/nested",
      "B",
      "ä",
      "\u{1F600}",
      "\uFF5E",
      "a-b",
      "x/y/z",
    ];
    for (const rel of layouts) {
      await pushArtifact(store, join(root, rel), a, ["v1"]);
    }
    // The root itself is a layout: not listed.
    await pushArtifact(store, root, a, ["v1"]);
    // Decoys: an oci-layout inside blobs/, a directory without marker, a
    // symlink to a layout (not followed), a file named like a layout.
    await Deno.mkdir(join(root, "a", "blobs", "fake"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "a", "blobs", "fake", "oci-layout"),
      "{}",
    );
    await Deno.mkdir(join(root, "empty", "deeper"), { recursive: true });
    await Deno.symlink(join(root, "a"), join(root, "link"));
    await Deno.writeTextFile(join(root, "file"), "x");

    const expected = [
      "B",
      "a",
      "a-b",
      "a/nested",
      "b/c",
      "x/y/z",
      "ä",
      "\uFF5E",
      "\u{1F600}", // above U+FFFF: after U+FF5E in UTF-8, before it in UTF-16
    ].map((rel) => `ocidir://${root}/${rel}`);
    deepStrictEqual(await store.listRepositories(`ocidir://${root}`), expected);
    deepStrictEqual(
      await store.listRepositories(`ocidir://${root}/`),
      expected,
    );
    deepStrictEqual(await store.listRepositories(`ocidir://${root}/x`), [
      `ocidir://${root}/x/y/z`,
    ]);
    await rejects(store.listRepositories(root), InvalidReferenceError);
  });
});

Deno.test("listTags gives an ETag and honours ifNoneMatch", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    const repo = layoutRepo(dir);
    const a = await makeArtifact();
    await pushArtifact(store, dir, a, ["v1"]);
    const first = await store.listTags(repo);
    ok(first.etag);
    deepStrictEqual(await store.listTags(repo, { ifNoneMatch: first.etag }), {
      tags: [],
      etag: first.etag,
      notModified: true,
    });
    await pushArtifact(store, dir, a, ["v2"]);
    const second = await store.listTags(repo, { ifNoneMatch: first.etag });
    deepStrictEqual(second.tags, ["v1", "v2"]);
    ok(!second.notModified && second.etag !== first.etag);
  });
});

Deno.test("a corrupt index.json is an InvalidArtifactError", async () => {
  await withTempDir(async (dir) => {
    const store = new LayoutStore();
    for (
      const text of [
        "{",
        "[]",
        '{"manifests":{}}',
        '{"manifests":[{"digest":1}]}',
      ]
    ) {
      await Deno.writeTextFile(join(dir, "index.json"), text);
      await rejects(
        store.listTags(layoutRepo(dir)),
        InvalidArtifactError,
        text,
      );
    }
    await Deno.writeTextFile(
      join(dir, "index.json"),
      '{"schemaVersion":2,"manifests":null}',
    );
    deepStrictEqual((await store.listTags(layoutRepo(dir))).tags, []);
  });
});
