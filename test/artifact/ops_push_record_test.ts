/**
 * One-pass push, push records and cross-repository mounts against the real
 * registry: a large cold push goes up in chunks while it is packed (no
 * spool), an unchanged re-push makes 3 requests and reads no file content
 * (checked with a child process's own read counter, `/proc/self/io`), a push of
 * the same tree to another repository mounts the layer, and any change —
 * to the files, or a record that lies or is corrupt — falls back to a
 * normal push.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { countingFetch } from "../harness/counting_fetch.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { clientFor, withTempDir, writeTree } from "./fixtures_ops.ts";

const MiB = 1024 * 1024;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

const CHILD = new URL("./fixtures_push_read_child.ts", import.meta.url)
  .pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

interface ChildPush {
  digest: string;
  read: number;
  counts: Record<string, number>;
  requests: { method: string; url: string; status: number }[];
}

/** One push in a process of its own, with its read bytes and requests. */
async function childPush(
  cache: string,
  src: string,
  ref: string,
): Promise<ChildPush> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CHILD, cache, src, ref],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(
    out.code,
    0,
    `${stdout}\n${new TextDecoder().decode(out.stderr)}`,
  );
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

Deno.test({
  name:
    "push records: one-pass cold push, 3-request re-push reading nothing, mount, fallbacks",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const counter = countingFetch();
    await withTempDir(async (tmp) => {
      const cache = `${tmp}/cache`;
      const client = clientFor(reg, {
        fetch: counter.fetch,
        cache: { dir: cache },
      });
      const src = `${tmp}/src`;
      await writeTree(src, {
        "commands/hello.md": "hello",
        "data.bin": random(20 * MiB),
      });
      const plugin = { name: "big", commands: ["hello"] };
      const plugins = `${reg.host}/giantswarm/klaus-plugins`;
      try {
        let first = "";
        await t.step(
          "cold push: chunks while packing, no HEAD of the layer",
          async () => {
            counter.reset();
            first = (await client.pushPlugin(src, `${plugins}/big:v1`, plugin))
              .digest;
            const c = counter.counts();
            ok((c["PATCH upload"] ?? 0) >= 2, JSON.stringify(c));
            strictEqual(c["HEAD blob"], 1, JSON.stringify(c)); // the config only
            ok((await readdir(`${cache}/push`)).length === 1);
          },
        );

        await t.step(
          "unchanged re-push: 3 requests, no file content read",
          async () => {
            const again = await childPush(cache, src, `${plugins}/big:v2`);
            strictEqual(again.digest, first);
            deepStrictEqual(again.counts, {
              "HEAD blob": 2,
              "PUT manifest": 1,
            });
            // Module loading reads a little (more on a fresh checkout, whose
            // transpile cache is cold); the 20 MiB of file content must not be.
            console.log(`unchanged re-push read ${again.read} bytes`);
            ok(again.read < 4 * MiB, `${again.read} bytes read`);
          },
        );

        await t.step(
          "same tree to another repository: the layer is mounted",
          async () => {
            const copy = await childPush(cache, src, `${plugins}/big-copy:v1`);
            const mounts = copy.requests.filter((r) =>
              r.method === "POST" && r.url.includes("mount=")
            );
            strictEqual(mounts.length, 1);
            strictEqual(mounts[0].status, 201);
            ok(mounts[0].url.includes("from=giantswarm%2Fklaus-plugins%2Fbig"));
            ok(!copy.requests.some((r) => r.method === "PATCH"));
            ok(copy.read < 4 * MiB, `${copy.read} bytes read`);
            const pulled = await client.pullPlugin(
              `${plugins}/big-copy:v1`,
              `${tmp}/out`,
            );
            deepStrictEqual(
              await Deno.readFile(`${tmp}/out/data.bin`),
              await Deno.readFile(`${src}/data.bin`),
            );
            strictEqual(pulled.cached, false);
          },
        );

        await t.step(
          "a changed file is a normal push with the new content",
          async () => {
            await writeFile(`${src}/commands/hello.md`, "hello again");
            counter.reset();
            const changed = await client.pushPlugin(
              src,
              `${plugins}/big:v3`,
              plugin,
            );
            ok(changed.digest !== first);
            ok(counter.count({ method: "PATCH" }) >= 2);
          },
        );

        await t.step("a corrupt or lying record is a normal push", async () => {
          const [name] = await readdir(`${cache}/push`);
          // Lying: a digest the tree does not pack to, unknown to the registry.
          const lie = {
            version: 1,
            layer: {
              mediaType:
                "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
              digest: `sha256:${"1".repeat(64)}`,
              size: 123,
            },
            repositories: {},
          };
          for (
            const body of [
              JSON.stringify(lie),
              "{not json",
              "x".repeat(200_000),
            ]
          ) {
            await writeFile(`${cache}/push/${name}`, body);
            const r = await client.pushPlugin(src, `${plugins}/big:v4`, plugin);
            const manifest = await client.describePlugin(`${plugins}/big:v4`);
            strictEqual(manifest.digest, r.digest);
          }
          // The lie was never trusted: the pushed layer is the real one.
          await client.pullPlugin(`${plugins}/big:v4`, `${tmp}/out4`);
          strictEqual(
            await Deno.readTextFile(`${tmp}/out4/commands/hello.md`),
            "hello again",
          );
        });
      } finally {
        await client.close();
        await reg.stop();
      }
    });
  },
});
