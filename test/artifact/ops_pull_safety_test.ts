/**
 * Pull safety (README, "Reliability and security"): every failing pull — bytes
 * that do not match their digest, a descriptor lying about the size, a
 * hostile or oversized layer, an invalid config, the registry going away
 * before or while the layer streams, an abort, a config that is JSON but
 * no plugin config (parsed before the swap since issue 11) — leaves the
 * previous copy exactly as it was (tree, modes and contents compared before
 * and after) and no `<dir>.tmp-*` / `.old-*` / `.del-*` sibling behind.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type Client,
  DigestMismatchError,
  InvalidArtifactError,
  isCached,
  TooLargeError,
  UnsafeArchiveError,
} from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import { gzip, tarGz } from "../harness/seed.ts";
import { rawTar } from "../archive/raw_tar.ts";
import {
  clientFor,
  errorOf,
  MT,
  rawPush,
  type RawPushed,
  snapshotTree,
  straySiblings,
} from "./fixtures_ops.ts";

const REPO = "giantswarm/klaus-plugins/safety";

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

async function pushLayer(
  reg: RegistryHandle,
  tag: string,
  layer: Uint8Array,
  extra: { size?: number; config?: string } = {},
): Promise<RawPushed> {
  return await rawPush(reg, REPO, [tag], {
    config: extra.config ?? `{"commands":["${tag}"]}`,
    configMediaType: MT.pluginConfig,
    layers: [{ mediaType: MT.pluginContent, bytes: layer, size: extra.size }],
  });
}

function blobPath(reg: RegistryHandle, digest: string): string {
  const hex = digest.slice("sha256:".length);
  return `${reg.dir}/storage/docker/registry/v2/blobs/sha256/${
    hex.slice(0, 2)
  }/${hex}/data`;
}

Deno.test({
  name: "pull safety: a failed pull leaves the previous copy intact",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    // Hooks into the client's fetch, to act at the layer download.
    let beforeLayerGet: (() => Promise<void>) | undefined;
    let afterLayerGet: ((res: Response) => Promise<Response>) | undefined;
    let layerDigest = "";
    let requests = 0;
    const hooked: typeof fetch = async (input, init) => {
      requests++;
      const url = input instanceof Request ? input.url : String(input);
      const isLayer = (init?.method ?? "GET") === "GET" &&
        layerDigest !== "" && url.includes(`/blobs/${layerDigest}`);
      if (!isLayer) return await fetch(input, init);
      const before = beforeLayerGet;
      const after = afterLayerGet;
      beforeLayerGet = afterLayerGet = undefined;
      await before?.();
      const res = await fetch(input, init);
      return after ? await after(res) : res;
    };
    const client: Client = clientFor(reg, { fetch: hooked });
    const tmp = await Deno.makeTempDir({ prefix: "klaus-pull-safety-" });
    const dest = `${tmp}/plugins/safety`;
    try {
      const good = await pushLayer(
        reg,
        "v1",
        await tarGz({
          "commands/v1.md": "version one\n",
          "skills/a/SKILL.md": "# a",
          "README.md": "readme",
        }),
      );
      await client.pullPlugin(reg.ref(REPO, "v1"), dest);
      await Deno.chmod(`${dest}/README.md`, 0o600);
      const before = await snapshotTree(dest);
      ok(Object.keys(before).length >= 6);

      const assertIntact = async (what: string) => {
        deepStrictEqual(await snapshotTree(dest), before, what);
        deepStrictEqual(await straySiblings(dest), [], what);
        deepStrictEqual(
          [...Deno.readDirSync(`${tmp}/plugins`)].filter((e) =>
            e.name.startsWith("safety.del-")
          ),
          [],
          what,
        );
        strictEqual(await isCached(dest, good.digest), true, what);
        // Nothing escaped next to the destination.
        deepStrictEqual(
          [...Deno.readDirSync(`${tmp}/plugins`)].map((e) => e.name),
          ["safety"],
          what,
        );
      };
      const failPull = async (tag: string, options = {}) =>
        await errorOf(client.pullPlugin(reg.ref(REPO, tag), dest, options));

      await t.step(
        "bytes that do not match the digest (corrupted blob)",
        async () => {
          const layer = await tarGz({ "commands/v2.md": "version two\n" });
          const p = await pushLayer(reg, "corrupt", layer);
          // The registry now serves other bytes of the same size for it.
          const bad = new Uint8Array(layer);
          bad[bad.length - 10] ^= 0xff;
          const m = JSON.parse(new TextDecoder().decode(p.manifest));
          await Deno.writeFile(blobPath(reg, m.layers[0].digest), bad);
          const e = await failPull("corrupt");
          // The flipped byte breaks the deflate stream before the digest is
          // complete: either error may surface first, the swap never happens.
          ok(
            e instanceof DigestMismatchError || /gzip|deflate/.test(e.message),
            `${e}`,
          );
          ok(
            e.message.startsWith(
              `extracting content for ${reg.ref(REPO, "corrupt")}: `,
            ),
            e.message,
          );
          await assertIntact("corrupted blob");
        },
      );

      await t.step(
        "another blob of the same size under the digest",
        async () => {
          // The layer descriptor names blob A, the registry holds blob B's
          // bytes (a different, valid archive of the same size) under it.
          const a = await tarGz({ "a.txt": "AAAA" });
          const b = await tarGz({ "a.txt": "BBBB" });
          strictEqual(a.length, b.length);
          const p = await pushLayer(reg, "swapped", a);
          const m = JSON.parse(new TextDecoder().decode(p.manifest));
          await Deno.writeFile(blobPath(reg, m.layers[0].digest), b);
          const e = await failPull("swapped");
          ok(e instanceof DigestMismatchError, `${e}`);
          await assertIntact("same-size blob");
        },
      );

      await t.step("a descriptor that lies about the size", async () => {
        const layer = await tarGz({ "commands/v3.md": "version three\n" });
        for (const delta of [-1, 1]) {
          await pushLayer(reg, `size${delta}`, layer, {
            size: layer.length + delta,
          });
          const e = await failPull(`size${delta}`);
          ok(
            e instanceof DigestMismatchError || e instanceof TooLargeError,
            `size ${delta}: ${e}`,
          );
          await assertIntact(`size ${delta}`);
        }
      });

      await t.step("a hostile layer with ../x", async () => {
        const layer = await gzip(rawTar([
          { name: "commands/ok.md", data: "fine" },
          { name: "../x", data: "escaped" },
        ]));
        await pushLayer(reg, "hostile", layer);
        const e = await failPull("hostile");
        ok(e instanceof UnsafeArchiveError, `${e}`);
        ok(e.message.includes("../x"), e.message);
        await assertIntact("../x");
        const e2 = await errorOf(Deno.lstat(`${tmp}/x`));
        ok(e2 instanceof Deno.errors.NotFound);
      });

      await t.step("layers over the configured limits", async () => {
        await pushLayer(
          reg,
          "big",
          await tarGz({
            "a.txt": "x".repeat(3000),
            "b.txt": "y".repeat(10),
            "c.txt": "z",
          }),
        );
        for (
          const limits of [
            { maxFileBytes: 2999 },
            { maxTotalBytes: 4096 },
            { maxEntries: 2 },
          ]
        ) {
          const e = await failPull("big", { limits });
          ok(e instanceof TooLargeError, `${JSON.stringify(limits)}: ${e}`);
          await assertIntact(JSON.stringify(limits));
        }
        // Exactly at the limits it passes (into another directory).
        const ok1 = await client.pullPlugin(
          reg.ref(REPO, "big"),
          `${tmp}/big`,
          {
            limits: { maxFileBytes: 3000, maxEntries: 3 },
          },
        );
        strictEqual(ok1.cached, false);
        await Deno.remove(`${tmp}/big`, { recursive: true });
      });

      await t.step("a config blob that is not JSON", async () => {
        await pushLayer(reg, "badconfig", await tarGz({ "a.txt": "a" }), {
          config: "not json",
        });
        const e = await failPull("badconfig");
        ok(
          /writing cache entry|parsing plugin config/.test(e.message),
          e.message,
        );
        await assertIntact("bad config");
      });

      await t.step(
        "a config that is JSON but no plugin config (parsed before the swap)",
        async () => {
          await pushLayer(reg, "wrongconfig", await tarGz({ "a.txt": "a" }), {
            config: '{"commands":5}',
          });
          const e = await failPull("wrongconfig");
          ok(e instanceof InvalidArtifactError, `${e}`);
          ok(e.message.startsWith("parsing plugin config: "), e.message);
          await assertIntact("wrong config");
        },
      );

      await t.step(
        "an abort at the last step before the swap",
        async () => {
          await pushLayer(reg, "late", await tarGz({ "a.txt": "late" }));
          const ac = new AbortController();
          const e = await failPull("late", {
            signal: ac.signal,
            onStep: (step: string) => {
              if (step === "prepared") ac.abort(new Error("stopped late"));
            },
          });
          ok(e.message.endsWith("stopped late"), e.message);
          await assertIntact("late abort");
        },
      );

      const big = await gzip(rawTar([
        { name: "blob.bin", data: randomBytes(32 * 1024 * 1024) },
      ]));
      const bigPushed = await pushLayer(reg, "big32", big);
      layerDigest = JSON.parse(new TextDecoder().decode(bigPushed.manifest))
        .layers[0].digest;

      await t.step("the registry stops before the layer download", async () => {
        beforeLayerGet = () => reg.down();
        try {
          const e = await failPull("big32");
          ok(
            e.message.startsWith(
              `fetching content layer for ${reg.ref(REPO, "big32")}: `,
            ) ||
              e.message.startsWith(
                `extracting content for ${reg.ref(REPO, "big32")}: `,
              ),
            e.message,
          );
          await assertIntact("registry down");
        } finally {
          await reg.up();
        }
      });

      await t.step("the registry stops while the layer streams", async () => {
        afterLayerGet = async (res) => {
          await reg.down();
          return res;
        };
        try {
          const e = await failPull("big32");
          ok(e.message.includes(reg.ref(REPO, "big32")), e.message);
          await assertIntact("registry killed mid-stream");
        } finally {
          await reg.up();
        }
      });

      await t.step("an abort while the layer streams", async () => {
        const ac = new AbortController();
        afterLayerGet = (res) => {
          setTimeout(() => ac.abort(new Error("user abort")), 5);
          return Promise.resolve(res);
        };
        const e = await failPull("big32", { signal: ac.signal });
        ok(e.message !== "");
        await assertIntact("abort");
      });

      await t.step(
        "an aborted signal stops the pull before any request",
        async () => {
          const ac = new AbortController();
          ac.abort(new Error("cancelled by the user"));
          for (
            const ref of [
              reg.ref(REPO, "big32"),
              reg.ref(REPO, bigPushed.digest),
            ]
          ) {
            requests = 0;
            const e = await errorOf(
              client.pullPlugin(ref, dest, { signal: ac.signal }),
            );
            ok(
              e.message.includes("cancelled by the user") ||
                /abort/i.test(e.message),
              e.message,
            );
            strictEqual(requests, 0, `${ref}: ${requests} requests`);
            await assertIntact(`aborted ${ref}`);
          }
        },
      );

      await t.step("after all that, a good pull still swaps in", async () => {
        const p = await client.pullPlugin(reg.ref(REPO, "big32"), dest);
        strictEqual(p.cached, false);
        strictEqual(
          (await Deno.stat(`${dest}/blob.bin`)).size,
          32 * 1024 * 1024,
        );
        deepStrictEqual(await straySiblings(dest), []);
        strictEqual(await isCached(dest, bigPushed.digest), true);
      });
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
