/**
 * Issue 11 item 1, the repair side, with the leftovers planted directly
 * (the kill test makes them with real crashes): the next pull restores a
 * destination missing mid-swap from its complete `.old-*` copy before
 * doing anything else (so an up-to-date copy is answered without a
 * download), and removes exactly the siblings no running process owns —
 * dead PIDs, PIDs reused by another process, stale siblings of earlier
 * versions — while siblings of live processes (this one, another one) and
 * a fresh one of an earlier version stay.
 *
 * Before the fix no pull removed or restored anything: siblings stayed
 * forever, and a missing destination was downloaded afresh.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { cp } from "node:fs/promises";
import { isCached } from "../../src/mod.ts";
import { clientFor } from "../artifact/fixtures_ops.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import {
  contentTree,
  exists,
  PLUGIN_REPO,
  procStart,
  pushPlugin,
  siblingsOf,
} from "./pull_helpers.ts";

/** A PID no process has any more (a child that exited and was reaped). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test({
  name:
    "the next pull restores an interrupted swap and removes only stale siblings",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    let blobGets = 0;
    const client = clientFor(reg, {
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.includes("/blobs/")) blobGets++;
        return fetch(input, init);
      },
    });
    const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
    const dir = await Deno.makeTempDir({ prefix: "klaus-reliability-stale-" });
    try {
      const v1 = await pushPlugin(reg, "v1", { "commands/one.md": "one\n" });
      const v2 = await pushPlugin(reg, "v2", { "commands/two.md": "two\n" });
      const ref = (tag: string) => reg.ref(PLUGIN_REPO, tag);
      const dest = `${dir}/plugins/reliable`;
      // Complete pulled copies to plant as leftovers.
      await client.pullPlugin(ref("v1"), `${dir}/copies/v1`);
      await client.pullPlugin(ref("v2"), `${dir}/copies/v2`);
      const v1Tree = await contentTree(`${dir}/copies/v1`);
      const plant = async (name: string, copy?: "v1" | "v2") => {
        const path = `${dir}/plugins/${name}`;
        if (copy) await cp(`${dir}/copies/${copy}`, path, { recursive: true });
        else {
          await Deno.mkdir(path, { recursive: true });
          await Deno.writeTextFile(`${path}/partial.bin`, "half written");
        }
        return path;
      };
      const dead = await deadPid();

      await t.step(
        "a destination missing mid-swap is restored first",
        async () => {
          await Deno.mkdir(`${dir}/plugins`, { recursive: true });
          await plant(`reliable.old-${dead}-1-0a0a0a0a`, "v1");
          await plant(`reliable.tmp-${dead}-1-0b0b0b0b`, "v2");
          blobGets = 0;
          const p = await client.pullPlugin(ref("v1"), dest);
          strictEqual(p.cached, true, "restored, then found up to date");
          strictEqual(blobGets, 0);
          deepStrictEqual(await contentTree(dest), v1Tree);
          deepStrictEqual(await siblingsOf(dest), []);
        },
      );

      await t.step(
        "of several copies moved aside, the last one is restored",
        async () => {
          await Deno.remove(dest, { recursive: true });
          // v2 was pulled last, so it was in place last — although the
          // v1 copy was moved here later (file times say v1).
          await plant(`reliable.old-${dead}-2-02020202`, "v2");
          await new Promise((r) => setTimeout(r, 20));
          await plant(`reliable.old-${dead}-1-01010101`, "v1");
          const p = await client.pullPlugin(ref("v2"), dest);
          strictEqual(p.cached, true);
          strictEqual(await isCached(dest, v2.digest), true);
          deepStrictEqual(await siblingsOf(dest), []);
        },
      );

      await t.step(
        "an earlier version's .old-<hex>: restored only when complete",
        async () => {
          await Deno.remove(dest, { recursive: true });
          // Half deleted by the old code: no cache entry left.
          await plant("reliable.old-0123456789ab");
          const p1 = await client.pullPlugin(ref("v1"), dest);
          strictEqual(p1.cached, false, "not restored");
          await Deno.remove(dest, { recursive: true });
          ok(await exists(`${dest}.old-0123456789ab`));
          await Deno.remove(`${dest}.old-0123456789ab`, { recursive: true });
          await plant("reliable.old-abcdef012345", "v1");
          const p2 = await client.pullPlugin(ref("v1"), dest);
          strictEqual(p2.cached, true, "restored");
          deepStrictEqual(await siblingsOf(dest), []);
        },
      );

      await t.step("stale siblings go, live ones stay", async () => {
        strictEqual(await isCached(dest, v1.digest), true);
        const me = `${Deno.pid}-${await procStart(Deno.pid)}`;
        const other = `${sleeper.pid}-${await procStart(sleeper.pid)}`;
        const stale = [
          await plant(`reliable.tmp-${dead}-1-11111111`),
          await plant(`reliable.old-${dead}-1-22222222`, "v2"),
          await plant(`reliable.del-${dead}-1-33333333`),
          // The sleeper's PID with another start time: a reused PID.
          await plant(`reliable.tmp-${sleeper.pid}-1-44444444`),
          await plant("reliable.tmp-555555555555"),
          await plant("reliable.old-666666666666", "v2"),
        ];
        const hourAgo = new Date(Date.now() - 2 * 3600_000);
        await Deno.utime(stale[4], hourAgo, hourAgo);
        const live = [
          await plant(`reliable.tmp-${me}-77777777`),
          await plant(`reliable.old-${other}-88888888`, "v2"),
          await plant(`reliable.del-${other}-99999999`),
          await plant("reliable.tmp-aaaaaaaaaaaa"), // fresh: may be running
        ];
        // Look-alikes that are no siblings at all.
        const unrelated = [
          await plant("reliable.tmp-notes"),
          await plant("reliable-other.tmp-1-1-12345678"),
        ];
        const p = await client.pullPlugin(ref("v2"), dest);
        strictEqual(p.cached, false);
        strictEqual(await isCached(dest, v2.digest), true);
        for (const s of stale) strictEqual(await exists(s), false, s);
        for (const s of [...live, ...unrelated]) {
          strictEqual(await exists(s), true, s);
        }
        deepStrictEqual(
          await siblingsOf(dest),
          [...live, unrelated[0]].map((s) => s.slice(s.lastIndexOf("/") + 1))
            .sort(),
        );
      });
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.status;
      await client.close();
      await reg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
