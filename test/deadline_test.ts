/**
 * Whole-operation deadlines (`src/_deadline.ts`).
 */
import { equal, ok, rejects } from "node:assert/strict";
import {
  budgetOf,
  DEFAULT_DEADLINES,
  formatDuration,
  resolveDeadlines,
  withContextDeadline,
  withDeadline,
} from "../src/_deadline.ts";
import type { OciStore } from "../src/oci/store.ts";
import { Client } from "../src/client.ts";
import { hang, startFaultyRegistry } from "./harness/faulty_registry.ts";
import { TimeoutError } from "../src/registry/timeout_error.ts";

Deno.test("withDeadline settles at the budget even if the work ignores its signal", async () => {
  const started = Date.now();
  const hung = new Promise<never>(() => {});
  let seen: AbortSignal | undefined;
  await rejects(
    withDeadline("listing tags of r.test/a", 50, (signal) => {
      seen = signal;
      return hung;
    }),
    (e: unknown) =>
      e instanceof TimeoutError && e.timeoutMs === 50 &&
      e.message === "listing tags of r.test/a: deadline of 50ms exceeded",
  );
  ok(Date.now() - started < 1000);
  ok(seen?.aborted, "the work's signal is aborted too");
  ok(seen?.reason instanceof TimeoutError);
});

Deno.test("withDeadline: a caller's abort keeps its reason; results pass", async () => {
  const caller = new AbortController();
  let cleaned = false;
  const p = withDeadline(
    "x",
    10_000,
    (signal) =>
      new Promise<never>((_, reject) =>
        signal!.addEventListener("abort", () => {
          // The work's own cleanup runs before the operation settles.
          setTimeout(() => {
            cleaned = true;
            reject(signal!.reason);
          }, 50);
        })
      ),
    caller.signal,
  );
  caller.abort(new Error("user gave up"));
  await rejects(p, /user gave up/);
  ok(cleaned, "settled only after the work's cleanup");
  // Work that ignores its signal is given up on after the grace period,
  // with the caller's reason.
  const stubborn = new AbortController();
  const started = Date.now();
  const q = withDeadline(
    "s",
    60_000,
    () => new Promise<never>(() => {}),
    stubborn.signal,
  );
  stubborn.abort(new Error("user gave up again"));
  await rejects(q, /user gave up again/);
  ok(Date.now() - started < 6_000);
  equal(await withDeadline("y", 1000, () => Promise.resolve(7)), 7);
  equal(await withDeadline("z", 0, () => Promise.resolve(8)), 8);
  await rejects(
    withDeadline("w", 1000, () => Promise.reject(new Error("own"))),
    /own/,
  );
});

Deno.test("withContextDeadline hands the deadline's signal to every store call", async () => {
  const signals: (AbortSignal | undefined)[] = [];
  const store = {
    listTags(_repo: unknown, options?: { signal?: AbortSignal }) {
      signals.push(options?.signal);
      return new Promise<never>((_, reject) =>
        options?.signal?.addEventListener(
          "abort",
          () => reject(options.signal!.reason),
        )
      );
    },
  } as unknown as OciStore;
  await rejects(
    withContextDeadline(
      { store },
      "versions",
      30,
      (c) => c.store.listTags({ registry: "r.test", repository: "a" }),
    ),
    TimeoutError,
  );
  equal(signals.length, 1);
  ok(signals[0]?.aborted);
});

Deno.test("deadline budgets: defaults, overrides, formatting", () => {
  equal(budgetOf(undefined, "pull"), DEFAULT_DEADLINES.pull);
  equal(budgetOf({ pull: 5 }, "pull"), 5);
  equal(budgetOf({ pull: -1 }, "pull"), DEFAULT_DEADLINES.pull);
  equal(resolveDeadlines({ list: 0 }).list, 0);
  equal(formatDuration(90_000), "1m30s");
  equal(formatDuration(10_000), "10s");
  equal(formatDuration(1500), "1500ms");
});

Deno.test("Client: pull and push stop at their deadlines with a TimeoutError naming them", async () => {
  const reg = startFaultyRegistry();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/README.md`, "hello");
    reg.fault((req, _url, { closed }) =>
      req.method !== "GET" || !_url.pathname.endsWith("/v2/")
        ? hang(req, closed)
        : undefined
    );
    const client = new Client({
      plainHttp: true,
      env: {},
      deadlines: { pull: 300, push: 300 },
    });
    for (
      const [what, run] of [
        [
          "pushing",
          () => client.pushPlugin(dir, `${reg.host}/p/a:v1`, { name: "a" }),
        ],
        [
          "pulling",
          () => client.pullPlugin(`${reg.host}/p/a:v1`, `${dir}/out`),
        ],
      ] as const
    ) {
      const started = Date.now();
      let caught: unknown;
      try {
        await run();
      } catch (e) {
        caught = e;
      }
      const ms = Date.now() - started;
      if (
        !(caught instanceof TimeoutError) ||
        !caught.message.startsWith(
          `${what} ${reg.host}/p/a:v1: deadline of 300ms exceeded`,
        )
      ) {
        throw new Error(`${what}: ${caught}`);
      }
      if (ms > 3_000) throw new Error(`${what} took ${ms} ms`);
    }
    await client.close();
  } finally {
    await reg.close();
    await Deno.remove(dir, { recursive: true });
  }
});
