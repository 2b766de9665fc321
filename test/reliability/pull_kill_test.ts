/**
 * Issue 11 item 1: a real CLI process pulling v2 over a pulled v1 is killed
 * with SIGKILL, SIGTERM and SIGINT at each step of the pull (the test-only
 * pause point `KLAUS_OCI_TEST_PAUSE` holds it there). Afterwards the
 * destination is the complete old copy or the complete new one — or, only
 * for SIGKILL between the two renames of the swap, missing with its whole
 * `.old-*` copy beside it —, SIGINT/SIGTERM exit 130/143 having removed
 * their temporary sibling, and the next pull repairs and cleans everything
 * while a sibling of another live process stays untouched.
 *
 * Before the fix: the CLI had no signal handling (SIGTERM/SIGINT left
 * `.tmp-*` behind, exit 143/130 only by the runtime's default), the next
 * pull never removed siblings, and a destination missing mid-swap was not
 * restored (the next pull downloaded afresh: `cached: false`).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { readCacheEntry } from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import {
  cliEnv,
  type CliRun,
  contentTree,
  exists,
  noise,
  outcome,
  PLUGIN_REPO,
  procStart,
  pushPlugin,
  runCli,
  siblingsOf,
  spawnCli,
  waitForMarker,
} from "./pull_helpers.ts";

const STEPS = [
  "extracting",
  "prepared",
  "moved-aside",
  "swapped",
  "removing-old",
] as const;
type Step = typeof STEPS[number];
const SIGNALS = ["SIGKILL", "SIGTERM", "SIGINT"] as const;

/** What SIGKILL leaves at each step: destination and sibling kinds. */
const AFTER_KILL: Record<
  Step,
  { dest: "v1" | "v2" | "missing"; left: string[] }
> = {
  extracting: { dest: "v1", left: ["tmp"] },
  prepared: { dest: "v1", left: ["tmp"] },
  "moved-aside": { dest: "missing", left: ["old", "tmp"] },
  swapped: { dest: "v2", left: ["old"] },
  "removing-old": { dest: "v2", left: ["del"] },
};

/** A graceful stop gives up before the swap and finishes it once begun. */
function afterGraceful(step: Step): "v1" | "v2" {
  return step === "extracting" || step === "prepared" ? "v1" : "v2";
}

function kindOf(sibling: string): string {
  return /\.(tmp|old|del)-/.exec(sibling)![1];
}

Deno.test({
  name:
    "pull killed at each step: old or new copy, never lost; the next pull repairs and cleans",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const dir = await Deno.makeTempDir({ prefix: "klaus-reliability-kill-" });
    // A process that stays alive: its sibling must survive every repair.
    const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
    try {
      const run: CliRun = { env: await cliEnv(dir), cwd: dir };
      // v2 spans many network chunks, so "extracting" finds a partial tree.
      const v1Files: Record<string, string | Uint8Array> = {
        "commands/one.md": "version one\n",
        "skills/a/SKILL.md": "# a (v1)\n",
      };
      const v2Files: Record<string, string | Uint8Array> = {
        "commands/two.md": "version two\n",
      };
      for (let i = 0; i < 64; i++) v2Files[`data/f${i}.bin`] = noise(32 * 1024);
      const v1 = await pushPlugin(reg, "v1", v1Files);
      const v2 = await pushPlugin(reg, "v2", v2Files);
      const ref = (tag: string) => reg.ref(PLUGIN_REPO, tag);
      const dest = `${dir}/plugins/reliable`;
      const pull = (tag: string, extra: string[] = [], env = {}) =>
        runCli([
          "plugin",
          "pull",
          ref(tag),
          dest,
          "--plain-http",
          "--json",
          ...extra,
        ], {
          ...run,
          env: { ...run.env, ...env },
        });

      const first = await pull("v1");
      strictEqual(first.code, 0, first.stderr);
      const v1Tree = await contentTree(dest);
      const second = await pull("v2");
      strictEqual(second.code, 0, second.stderr);
      const v2Tree = await contentTree(dest);
      ok(Object.keys(v2Tree).length > 64);
      // A complete copy: the whole tree and the cache entry naming it.
      const stateOf = async (path: string) => {
        if (!await exists(path)) return "missing";
        const tree = JSON.stringify(await contentTree(path));
        const digest = await readCacheEntry(path).then((e) => e.digest)
          .catch((e) => `no cache entry: ${e}`);
        if (tree === JSON.stringify(v1Tree) && digest === v1.digest) {
          return "v1";
        }
        if (tree === JSON.stringify(v2Tree) && digest === v2.digest) {
          return "v2";
        }
        return `neither: ${digest} ${tree}`;
      };

      // A sibling of a live process (not this test: the CLI's repair sees
      // another live PID with the right start time).
      const live = `${dest}.tmp-${sleeper.pid}-${await procStart(
        sleeper.pid,
      )}-0badcafe`;
      await Deno.mkdir(live);
      await Deno.writeTextFile(`${live}/in-use`, "a running pull's work");
      const withoutLive = async () =>
        (await siblingsOf(dest)).filter((n) => !live.endsWith(n));

      for (const step of STEPS) {
        for (const sig of SIGNALS) {
          await t.step(`${sig} at ${step}`, async () => {
            // Start from v1 in place, nothing beside it.
            const reset = await pull("v1");
            strictEqual(reset.code, 0, reset.stderr);
            strictEqual(await stateOf(dest), "v1");
            deepStrictEqual(await withoutLive(), []);

            const marker = `${dir}/paused-${step}-${sig}`;
            const child = spawnCli(
              ["plugin", "pull", ref("v2"), dest, "--plain-http", "--json"],
              {
                ...run,
                env: { ...run.env, KLAUS_OCI_TEST_PAUSE: `${step}:${marker}` },
              },
            );
            let o;
            let paused = false;
            try {
              await waitForMarker(marker, child);
              strictEqual(await Deno.readTextFile(marker), String(child.pid));
              child.kill(sig);
              paused = true;
            } finally {
              // Never leave a paused CLI behind, whatever failed.
              let timer: ReturnType<typeof setTimeout> | undefined;
              o = await Promise.race([
                outcome(child),
                new Promise<undefined>((r) => {
                  timer = setTimeout(() => r(undefined), 20_000);
                }),
              ]);
              clearTimeout(timer);
              if (!o) {
                child.kill("SIGKILL");
                o = await outcome(child);
              }
              if (!paused) console.error(`the paused CLI said: ${o.stderr}`);
            }

            const left = await withoutLive();
            if (sig === "SIGKILL") {
              strictEqual(o.signal, "SIGKILL");
              const expected = AFTER_KILL[step];
              strictEqual(await stateOf(dest), expected.dest);
              deepStrictEqual(left.map(kindOf).sort(), expected.left);
              if (expected.dest === "missing") {
                // The old copy, whole, is what the next pull restores.
                const old = left.find((n) => kindOf(n) === "old")!;
                strictEqual(await stateOf(`${dir}/plugins/${old}`), "v1");
              }
            } else {
              strictEqual(o.code, sig === "SIGINT" ? 130 : 143, o.stderr);
              strictEqual(await stateOf(dest), afterGraceful(step));
              deepStrictEqual(left, [], "a graceful stop cleans up");
            }
            const before = await stateOf(dest);
            const oldLeft = left.some((n) => kindOf(n) === "old");

            // The next pull repairs first: a restored v1 is up to date.
            const next = await pull("v1");
            strictEqual(next.code, 0, next.stderr);
            const result = JSON.parse(next.stdout);
            strictEqual(result.digest, v1.digest);
            strictEqual(
              result.cached,
              before === "v1" || (before === "missing" && oldLeft),
              next.stdout,
            );
            strictEqual(await stateOf(dest), "v1");
            deepStrictEqual(await withoutLive(), [], "the next pull cleans");
            ok(
              await exists(`${live}/in-use`),
              "a live process's sibling stays",
            );
          });
        }
      }
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.status;
      await reg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
