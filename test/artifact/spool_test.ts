/**
 * The push's layer spool (`src/artifact/spool.ts`): one pass that hashes,
 * then uploads that reproduce the hashed bytes, from memory, from a second
 * pass over the files, or from the kept deflated chunks in a temporary file.
 */
import { openFilesUnder } from "../harness/open_files.ts";
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { packDirectory } from "../../src/archive/mod.ts";
import { overrideZlib } from "../../src/archive/node_zlib.ts";
import {
  fileStream,
  spool,
  type SpooledBlob,
  spoolLayer,
  UPLOAD_SLICE,
} from "../../src/artifact/spool.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { withTempDir, writeTree } from "./_fs_helpers.ts";
import { clientFor } from "./fixtures_ops.ts";

const MiB = 1024 * 1024;

function random(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  }
  return b;
}

function hexText(n: number): Uint8Array<ArrayBuffer> {
  const hex = new TextEncoder().encode("0123456789abcdef\n");
  const b = random(n);
  for (let i = 0; i < n; i++) b[i] = hex[b[i] % hex.length];
  return b;
}

function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** The bytes of one upload of `blob`, and the largest chunk `fetch` would get. */
async function upload(
  blob: SpooledBlob,
): Promise<{ bytes: Uint8Array; largest: number }> {
  if (blob.source instanceof Uint8Array) {
    return { bytes: blob.source, largest: blob.source.length };
  }
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let largest = 0;
  for await (const c of blob.source()) {
    parts.push(c.slice());
    largest = Math.max(largest, c.length);
  }
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  return { bytes, largest };
}

/**
 * Runs `fn` with a fresh directory it can inspect, passed to the spool as
 * its temporary root (not through TMPDIR: the environment is shared with
 * the test files running in parallel).
 */
async function withTmpdir(
  fn: (tmp: string) => Promise<void>,
): Promise<void> {
  await withTempDir(fn);
}

Deno.test("a small layer is kept in memory, byte-equal to packDirectory's stream", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, {
      "a.md": "# hello\n".repeat(1000),
      "b.bin": random(3000),
    });
    const packed = await packDirectory(dir);
    const blob = await spoolLayer(packed);
    ok(blob.source instanceof Uint8Array);
    const bytes = new Uint8Array(
      await new Response(packed.stream()).arrayBuffer(),
    );
    deepStrictEqual(blob.source, bytes);
    strictEqual(blob.digest, sha256(bytes));
    deepStrictEqual(await packed.digest(), {
      digest: blob.digest,
      size: blob.size,
    });
    await blob.cleanup();
  });
});

Deno.test("a large layer is uploaded from a second pass: same bytes every time, small chunks, no temporary file", async () => {
  await withTmpdir(async (tmp) => {
    const src = join(tmp, "src");
    await writeTree(src, {
      "big.bin": random(5 * MiB + 123),
      "notes.txt": hexText(MiB),
    });
    const packed = await packDirectory(src);
    const blob = await spoolLayer(packed, 2 * MiB, undefined, tmp);
    strictEqual(typeof blob.source, "function");
    deepStrictEqual(await readdir(tmp), ["src"]);
    const first = await upload(blob);
    const second = await upload(blob);
    strictEqual(sha256(first.bytes), blob.digest);
    strictEqual(first.bytes.length, blob.size);
    deepStrictEqual(second.bytes, first.bytes);
    ok(first.largest <= UPLOAD_SLICE, `largest chunk ${first.largest}`);
    deepStrictEqual(await packed.digest(), {
      digest: blob.digest,
      size: blob.size,
    });
    await blob.cleanup();
  });
});

Deno.test("deflated chunks beyond the memory limit go to a temporary file, removed by cleanup", async () => {
  await withTmpdir(async (tmp) => {
    const src = join(tmp, "src");
    // Compressible: every chunk is deflated (~0.6 MiB each).
    await writeTree(src, { "a.txt": hexText(4 * MiB), "b.bin": random(MiB) });
    const packed = await packDirectory(src);
    const blob = await spoolLayer(packed, MiB, undefined, tmp);
    const spilled = (await readdir(tmp)).filter((n) => n !== "src");
    strictEqual(spilled.length, 1);
    ok(spilled[0].startsWith("klaus-oci-push-"));
    const { bytes } = await upload(blob);
    strictEqual(sha256(bytes), blob.digest);
    deepStrictEqual((await upload(blob)).bytes, bytes);
    // An abandoned upload closes the files it was reading (source and spool).
    const before = await openFilesUnder(tmp);
    const reader = (blob.source as () => ReadableStream<Uint8Array>)()
      .getReader();
    // Past the first deflated chunk (kept in memory) into the spilled ones.
    for (let n = 0; n < 1.5 * MiB;) n += (await reader.read()).value!.length;
    strictEqual(await openFilesUnder(tmp), before + 2);
    await reader.cancel();
    strictEqual(await openFilesUnder(tmp), before);
    await blob.cleanup();
    deepStrictEqual(await readdir(tmp), ["src"]);
  });
});

Deno.test("a file changed between hashing and upload errors the upload before its last bytes", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "big.bin": random(3 * MiB) });
    const blob = await spoolLayer(await packDirectory(dir), MiB);
    const f = await Deno.open(join(dir, "big.bin"), { write: true });
    await f.write(new Uint8Array([1, 2, 3]));
    f.close();
    await rejects(upload(blob), /content changed while it was being pushed/);
    await blob.cleanup();
  });
});

Deno.test("an abort stops the pass and leaves no temporary file", async () => {
  await withTmpdir(async (tmp) => {
    const src = join(tmp, "src");
    await writeTree(src, { "a.txt": hexText(8 * MiB) });
    const packed = await packDirectory(src);
    const ac = new AbortController();
    const reason = new Error("stop");
    // Deflating 8 MiB takes ~120 ms; the kept chunks go to a file after 2.
    const timer = setTimeout(() => ac.abort(reason), 60);
    const started = performance.now();
    const e = await spoolLayer(packed, MiB, ac.signal, tmp).catch((e) => e);
    clearTimeout(timer);
    strictEqual(e, reason, `${performance.now() - started} ms`);
    deepStrictEqual(await readdir(tmp), ["src"]);
  });
});

Deno.test("without node:zlib the layer is spooled from CompressionStream as before", async () => {
  await withTmpdir(async (tmp) => {
    const src = join(tmp, "src");
    await writeTree(src, { "big.bin": random(3 * MiB) });
    overrideZlib(undefined);
    try {
      const packed = await packDirectory(src);
      const blob = await spoolLayer(packed, MiB, undefined, tmp);
      strictEqual(typeof blob.source, "function");
      strictEqual((await readdir(tmp)).length, 2); // the spool file's dir
      const { bytes, largest } = await upload(blob);
      strictEqual(sha256(bytes), blob.digest);
      deepStrictEqual(await packed.digest(), {
        digest: blob.digest,
        size: blob.size,
      });
      ok(largest <= UPLOAD_SLICE);
      await blob.cleanup();
      deepStrictEqual(await readdir(tmp), ["src"]);
    } finally {
      overrideZlib(null);
    }
  });
});

Deno.test("spool and fileStream: memory below the limit, a file above, chunks of at most UPLOAD_SLICE", async () => {
  const data = random(3 * MiB + 5);
  const small = await spool(new Blob([data.slice(0, 1000)]).stream());
  deepStrictEqual(small.source, data.subarray(0, 1000));
  const big = await spool(new Blob([data]).stream(), MiB);
  strictEqual(big.digest, sha256(data));
  const { bytes, largest } = await upload(big);
  deepStrictEqual(bytes, data);
  ok(largest <= UPLOAD_SLICE);
  await big.cleanup();
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "f"), data);
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for await (const c of fileStream(join(dir, "f"))) parts.push(c.slice());
    deepStrictEqual(new Uint8Array(await new Blob(parts).arrayBuffer()), data);
  });
});

Deno.test({
  name:
    "a push whose file changes during the upload reports that, not the registry's complaint",
  ignore: missing("docker-registry"),
  async fn() {
    const reg = await startRegistry({ mode: "open" });
    try {
      await withTempDir(async (dir) => {
        const file = join(dir, "big.bin");
        await writeTree(dir, { "big.bin": random(20 * MiB) });
        let changed = false;
        const client = clientFor(reg, {
          onProgress(p) {
            if (!changed && p.transferred > 5 * MiB) {
              changed = true;
              Deno.writeFileSync(file, random(20 * MiB));
            }
          },
        });
        try {
          await rejects(
            client.pushPlugin(
              dir,
              reg.ref("giantswarm/klaus-plugins/changing", "v1"),
              {
                name: "changing",
              },
            ),
            /^KlausOciError: pushing content layer: the content changed while it was being pushed/,
          );
          ok(changed);
        } finally {
          await client.close();
        }
      });
    } finally {
      await reg.stop();
    }
  },
});
