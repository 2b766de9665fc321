import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { KlausOciError } from "../../src/errors.ts";
import { withFileLock } from "../../src/layout/file_lock.ts";
import { namesIn, withTempDir } from "./layout_fixture.ts";

Deno.test("withFileLock serialises holders and removes the lock file", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "index.json.lock");
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withFileLock(lock, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          ok((await Deno.stat(lock)).isFile);
          await new Promise((r) => setTimeout(r, 2));
          order.push(i);
          inside--;
        })),
    );
    deepStrictEqual(maxInside, 1);
    deepStrictEqual(order.length, 8);
    deepStrictEqual(await namesIn(dir), []);
  });
});

Deno.test("withFileLock releases after a failing holder", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "x.lock");
    await rejects(
      withFileLock(lock, () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    deepStrictEqual(await withFileLock(lock, () => Promise.resolve(42)), 42);
    deepStrictEqual(await namesIn(dir), []);
  });
});

Deno.test("withFileLock waits for a fresh foreign lock and times out", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "x.lock");
    await Deno.writeTextFile(lock, "other process\n");
    let ran = false;
    await rejects(
      withFileLock(lock, () => {
        ran = true;
        return Promise.resolve();
      }, { timeoutMs: 100, staleMs: 60_000 }),
      (e: Error) =>
        e instanceof KlausOciError &&
        /timed out after 100 ms waiting for lock/.test(e.message),
    );
    ok(!ran);
    // The foreign lock is left alone.
    deepStrictEqual(await Deno.readTextFile(lock), "other process\n");
  });
});

Deno.test("withFileLock breaks a stale lock and proceeds once it is released", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "x.lock");
    await Deno.writeTextFile(lock, "dead process\n");
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(lock, old, old);
    const started = Date.now();
    deepStrictEqual(
      await withFileLock(lock, () => Promise.resolve("ran"), {
        staleMs: 10_000,
        timeoutMs: 5_000,
      }),
      "ran",
    );
    ok(Date.now() - started < 2_000);
    deepStrictEqual(await namesIn(dir), []);

    // A live lock released by its holder lets the waiter in.
    await Deno.writeTextFile(lock, "busy\n");
    const timer = setTimeout(() => Deno.removeSync(lock), 50);
    try {
      deepStrictEqual(await withFileLock(lock, () => Promise.resolve(1)), 1);
    } finally {
      clearTimeout(timer);
    }
  });
});

Deno.test("a holder whose lock was broken does not remove its successor's lock", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "x.lock");
    await withFileLock(lock, async () => {
      // Someone judged us stale and took over.
      await Deno.remove(lock);
      await Deno.writeTextFile(lock, "successor\n");
    });
    deepStrictEqual(await Deno.readTextFile(lock), "successor\n");
  });
});
