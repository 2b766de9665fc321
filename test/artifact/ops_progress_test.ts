/**
 * `onProgress` (`ClientOptions.onProgress`): per blob, the bytes moved grow monotonically up
 * to the total and end with one `done` event; a re-push reports the blobs
 * it skipped; pulls report the content layer. For registries and
 * `ocidir://` layouts alike.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { ProgressEvent } from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { clientFor, MT, withTempDir, writeTree } from "./fixtures_ops.ts";

const MiB = 1024 * 1024;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

/**
 * Events grouped by digest, in order. A one-pass upload learns its digest
 * at its end: its earlier events (digest `""`) belong to the next event of
 * the same media type that names one.
 */
function byBlob(events: ProgressEvent[]): Map<string, ProgressEvent[]> {
  const m = new Map<string, ProgressEvent[]>();
  const pending = new Map<string | undefined, ProgressEvent[]>();
  for (const e of events) {
    if (e.digest === "") {
      const p = pending.get(e.mediaType) ?? [];
      p.push(e);
      pending.set(e.mediaType, p);
      continue;
    }
    const list = m.get(e.digest) ?? [...(pending.get(e.mediaType) ?? [])];
    pending.delete(e.mediaType);
    list.push(e);
    m.set(e.digest, list);
  }
  strictEqual(pending.size, 0, "events without a digest at the end");
  return m;
}

/** Monotonic, bounded by the total, exactly one final `done` event. */
function checkBlob(digest: string, list: ProgressEvent[]): void {
  let last = -1;
  list.forEach((e, i) => {
    ok(e.transferred >= last, `${digest}: not monotonic at ${i}`);
    ok(e.total === 0 || e.transferred <= e.total, `${digest}: past total`);
    strictEqual(e.done, i === list.length - 1, `${digest}: done at ${i}`);
    last = e.transferred;
  });
  const end = list[list.length - 1];
  strictEqual(end.transferred, end.total, `${digest}: final bytes`);
}

Deno.test({
  name: "onProgress for push and pull (registry and ocidir://)",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const events: ProgressEvent[] = [];
    const cacheDir = await Deno.makeTempDir({ prefix: "klaus-progress-" });
    // With a cache directory, push records let a re-push skip the layer
    // without reading the files.
    const client = clientFor(reg, {
      onProgress: (e) => events.push(e),
      cache: { dir: cacheDir },
    });
    try {
      await withTempDir(async (tmp) => {
        const src = `${tmp}/src`;
        await writeTree(src, {
          "commands/hello.md": "hello",
          "data.bin": random(20 * MiB),
        });
        for (
          const [where, base] of [
            ["registry", `${reg.host}/progress`],
            ["ocidir", `ocidir://${tmp}/layouts`],
          ]
        ) {
          await t.step(`${where}: push reports every blob`, async () => {
            events.length = 0;
            await client.pushPlugin(src, `${base}/p:v1`, {
              name: "p",
              commands: ["hello"],
            });
            ok(events.every((e) => e.direction === "push"));
            const blobs = byBlob(events);
            strictEqual(blobs.size, 2, [...blobs.keys()].join(" "));
            for (const [d, list] of blobs) checkBlob(d, list);
            const types = [...blobs.values()].map((l) => l[0].mediaType).sort();
            deepStrictEqual(types, [MT.pluginConfig, MT.pluginContent]);
            const layer = [...blobs.values()].find((l) =>
              l[0].mediaType === MT.pluginContent
            )!;
            ok(layer[layer.length - 1].total > 20 * MiB);
            ok(layer.every((e) => !e.skipped));
            // Large enough to go up in chunks while it is packed: the upload
            // reports as it goes, not only at its end.
            ok(layer.length > 2, `only ${layer.length} layer events`);
          });

          await t.step(
            `${where}: a re-push reports skipped blobs`,
            async () => {
              events.length = 0;
              await client.pushPlugin(src, `${base}/p:v2`, {
                name: "p",
                commands: ["hello"],
              });
              strictEqual(events.length, 2, JSON.stringify(events));
              for (const e of events) {
                strictEqual(e.skipped, true);
                strictEqual(e.done, true);
                strictEqual(e.transferred, e.total);
                strictEqual(e.direction, "push");
              }
            },
          );

          await t.step(`${where}: pull reports the layer`, async () => {
            events.length = 0;
            const p = await client.pullPlugin(
              `${base}/p:v1`,
              `${tmp}/out-${where}`,
            );
            strictEqual(p.cached, false);
            ok(events.length > 0);
            ok(events.every((e) => e.direction === "pull"));
            const blobs = byBlob(events);
            for (const [d, list] of blobs) checkBlob(d, list);
            const layer = [...blobs.values()].find((l) =>
              l[l.length - 1].total > 20 * MiB
            );
            ok(layer, "the layer is reported");
            // An up-to-date pull moves nothing and reports nothing.
            events.length = 0;
            await client.pullPlugin(`${base}/p:v1`, `${tmp}/out-${where}`);
            deepStrictEqual(events, []);
          });
        }
      });
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});
