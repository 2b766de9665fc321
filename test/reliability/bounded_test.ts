/**
 * Bounded work: a million tags end in a clear error or a printed list,
 * never in `Maximum call stack size exceeded`; a 300 MB garbage file in
 * the cache directory is not read.
 */
import { equal, ok } from "node:assert/strict";
import { createHash } from "node:crypto";
import type { CliClient } from "../../src/cli/context.ts";
import { runCli } from "../../src/cli/run.ts";
import { startHostileServer } from "../harness/hostile_server.ts";
import { startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import { MT, rawPush } from "../artifact/fixtures_ops.ts";
import { isolatedEnv, runCliWithin } from "./cli_process.ts";

const MILLION = 1_000_000;

Deno.test("bounded: the CLI prints a million versions without spreading them", async () => {
  const versions = Array.from({ length: MILLION }, (_, i) => `v${i}.0.0`);
  let stdout = "";
  let stderr = "";
  const client = {
    listPluginVersions: () => Promise.resolve(versions),
    close: () => Promise.resolve(),
  } as unknown as CliClient;
  const code = await runCli(["plugin", "versions", "many"], {
    stdout: { write: (t) => void (stdout += t), isTTY: false },
    stderr: { write: (t) => void (stderr += t), isTTY: false },
    env: () => undefined,
    createClient: () => client,
    version: "test",
  });
  equal(code, 0, stderr);
  equal(stderr, "");
  equal(stdout.length, versions.join("\n").length + 1);
});

Deno.test("bounded: a registry with a million tags is a clear error, in bounded memory", async () => {
  await using server = await startHostileServer({
    kind: "tags",
    tagCount: MILLION,
  });
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-bounded-" });
  try {
    const env = await isolatedEnv(dir);
    for (const json of [false, true]) {
      const run = await runCliWithin(
        [
          "plugin",
          "versions",
          `${server.host}/plugins/many`,
          "--plain-http",
          ...(json ? ["--json"] : []),
        ],
        { env, cwd: `${dir}/work`, limitMs: 120_000, sampleMemory: true },
      );
      ok(!run.timedOut, "hung");
      ok(!/call stack|RangeError/i.test(run.stderr), run.stderr);
      if (run.code === 0) {
        // A client configured to take them all prints them all.
        equal(
          run.stdout.trim().split("\n").length,
          json ? MILLION + 2 : MILLION,
        );
      } else {
        equal(run.code, 1, run.stderr);
        equal(run.stderr.trim().split("\n").length, 1, run.stderr);
        ok(/^error: /.test(run.stderr), run.stderr);
      }
      const peak = run.peakRssKiB ?? 0;
      ok(peak < 400 * 1024, `peak RSS ${Math.round(peak / 1024)} MiB`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test({
  name: "bounded: a 300 MB garbage index file in the cache is not read",
  ignore: missing("docker-registry"),
  async fn() {
    await using reg = await startRegistry({ mode: "open" });
    const repo = "plugins/base";
    await rawPush(reg, repo, ["v1.0.0"], {
      config: '{"commands":["hello"]}',
      configMediaType: MT.pluginConfig,
    });
    const dir = await Deno.makeTempDir({ prefix: "klaus-oci-garbage-" });
    try {
      const env = await isolatedEnv(dir);
      const args = [
        "plugin",
        "versions",
        `${reg.host}/${repo}`,
        "--plain-http",
      ];
      const options = {
        env,
        cwd: `${dir}/work`,
        limitMs: 120_000,
        sampleMemory: true,
      };
      // A first run for the baseline (and the cache directories).
      const baseline = await runCliWithin(args, options);
      equal(baseline.code, 0, baseline.stderr);
      equal(baseline.stdout, "v1.0.0\n");
      const key = `${reg.host}/${repo}`;
      const hash = createHash("sha256").update(key).digest("hex");
      const file = `${dir}/xdg-cache/klaus-oci/tags/${hash}.json`;
      await Deno.stat(file); // the entry the garbage replaces
      const f = await Deno.open(file, { write: true, truncate: true });
      await f.truncate(300 * 1024 * 1024); // sparse: cheap on disk
      f.close();
      const run = await runCliWithin(args, options);
      equal(run.code, 0, run.stderr);
      equal(run.stdout, "v1.0.0\n");
      const grew = (run.peakRssKiB ?? 0) - (baseline.peakRssKiB ?? 0);
      ok(
        grew < 100 * 1024,
        `peak RSS grew by ${Math.round(grew / 1024)} MiB (baseline ${
          Math.round((baseline.peakRssKiB ?? 0) / 1024)
        } MiB): the garbage was read`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
