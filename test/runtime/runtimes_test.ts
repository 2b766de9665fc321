/**
 * The same smoke script (`smoke.ts`: push, resolve, describe, list, pull,
 * personality round trip, file cache) under every runtime the library
 * supports, each as a subprocess against one real registry:
 *
 * - Deno, running the TypeScript source;
 * - Bun (npm `bun`, `node_modules/.bin/bun`), running the source;
 * - Node 22 (npm `node`, `node_modules/.bin/node`) with type stripping;
 * - the system Node (20 on this machine) running an esbuild bundle, the
 *   way a Node < 22.6 project consumes the library.
 *
 * Every runtime after Deno also pulls what Deno pushed, and what each one
 * pushed is then read back here with the Deno client and with skopeo.
 * Workers (workerd) are covered by `test/worker/*.workerd.test.ts`.
 *
 * Missing runtimes follow `missing()`: ignored on a developer machine,
 * a failure in CI (`npm ci` installs bun and node from package.json).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { inspectConfigRaw } from "../harness/skopeo.ts";
import {
  BUN,
  bundleForNode,
  ESBUILD,
  NODE22,
  NODE22_TS_FLAGS,
  NODE_SYSTEM,
  runtimeVersion,
} from "../harness/runtimes.ts";
import type { SmokeReport } from "./smoke.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SMOKE = join(ROOT, "test/runtime/smoke.ts");
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const dec = new TextDecoder();

const needs = {
  base: missing("docker-registry", "skopeo"),
  bun: missing(BUN),
  node22: missing(NODE22),
  system: missing(NODE_SYSTEM, ESBUILD),
};

interface Run {
  cmd: string;
  args: string[];
  namespace: string;
  pullRef?: string;
}

async function runSmoke(
  host: string,
  home: string,
  run: Run,
): Promise<SmokeReport> {
  const out = await new Deno.Command(run.cmd, {
    args: run.args,
    cwd: ROOT,
    env: {
      KLAUS_SMOKE_REGISTRY: host,
      KLAUS_SMOKE_NAMESPACE: run.namespace,
      KLAUS_SMOKE_FIXTURES: FIXTURES,
      KLAUS_SMOKE_RUN: "1",
      ...(run.pullRef ? { KLAUS_SMOKE_PULL_REF: run.pullRef } : {}),
      // Keep the developer's registry credentials and config out.
      HOME: home,
      XDG_RUNTIME_DIR: home,
      DOCKER_CONFIG: home,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = dec.decode(out.stdout).trim();
  const stderr = dec.decode(out.stderr).trim();
  if (!out.success) {
    throw new Error(
      `${run.cmd} ${
        run.args.join(" ")
      } exited ${out.code}\n${stdout}\n${stderr}`,
    );
  }
  const line = stdout.split("\n").pop() ?? "";
  const report = JSON.parse(line) as SmokeReport;
  strictEqual(report.ok, true);
  strictEqual(report.warmCacheRequests, 0);
  return report;
}

Deno.test({
  name:
    "runtime smoke: the same round trip under Deno, Bun, Node 22, Node (bundle)",
  ignore: needs.base,
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const home = await Deno.makeTempDir({ prefix: "klaus-oci-runtime-" });
    const client = new Client({ plainHttp: true });
    const reports: SmokeReport[] = [];
    // Independent checks of what a runtime pushed: our Deno client pulls
    // it, skopeo reads its config blob.
    const verify = async (r: SmokeReport, runtime: string) => {
      ok(r.runtime.startsWith(runtime), `${r.runtime} is ${runtime}`);
      const d = await client.describePlugin(r.pluginRef);
      strictEqual(d.digest, r.pluginDigest);
      deepStrictEqual(d.plugin.commands, ["hello"]);
      const dest = join(home, `verify-${reports.length}`);
      const pulled = await client.pullPlugin(r.pluginRef, dest);
      strictEqual(pulled.digest, r.pluginDigest);
      strictEqual(
        await Deno.readTextFile(join(dest, "commands/hello.md")),
        await Deno.readTextFile(
          join(FIXTURES, "plugins/base/commands/hello.md"),
        ),
      );
      const config = await inspectConfigRaw(r.pluginRef, { registry: reg });
      strictEqual(dec.decode(config), `{"commands":["hello"]}`);
      const p = await client.describePersonality(r.personalityRef);
      strictEqual(p.digest, r.personalityDigest);
      strictEqual(p.personality.name, "sre");
      reports.push(r);
    };
    try {
      let denoRef = "";
      await t.step("deno: TypeScript source", async () => {
        const r = await runSmoke(reg.host, home, {
          cmd: Deno.execPath(),
          args: ["run", "--allow-all", SMOKE],
          namespace: "deno",
        });
        strictEqual(r.crossPulled, false);
        await verify(r, "deno");
        denoRef = r.pluginRef;
      });

      await t.step({
        name: "bun: TypeScript source (npm bun)",
        ignore: needs.bun,
        fn: async () => {
          const r = await runSmoke(reg.host, home, {
            cmd: BUN,
            args: ["run", SMOKE],
            namespace: "bun",
            pullRef: denoRef || undefined,
          });
          strictEqual(r.crossPulled, denoRef !== "");
          await verify(r, "bun");
        },
      });

      await t.step({
        name: "node 22: TypeScript source with type stripping (npm node@22)",
        ignore: needs.node22,
        fn: async () => {
          const v = await runtimeVersion(NODE22);
          ok(/^v(2[2-9]|[3-9]\d)\./.test(v), `npm node is ${v}, want ≥ 22`);
          const r = await runSmoke(reg.host, home, {
            cmd: NODE22,
            args: [...NODE22_TS_FLAGS, SMOKE],
            namespace: "node22",
            pullRef: denoRef || undefined,
          });
          strictEqual(r.crossPulled, denoRef !== "");
          await verify(r, "node 22");
        },
      });

      await t.step({
        name: `system node (${NODE_SYSTEM}): esbuild bundle`,
        ignore: needs.system,
        fn: async () => {
          const v = await runtimeVersion(NODE_SYSTEM);
          ok(/^v(2\d|[3-9]\d)\./.test(v), `system node is ${v}, want ≥ 20`);
          const bundle = join(home, "smoke.bundle.mjs");
          await bundleForNode(SMOKE, bundle);
          const r = await runSmoke(reg.host, home, {
            cmd: NODE_SYSTEM,
            args: [bundle],
            namespace: "node-system",
            pullRef: denoRef || undefined,
          });
          strictEqual(r.crossPulled, denoRef !== "");
          await verify(r, `node ${v.slice(1)}`);
        },
      });

      // The registry holds exactly what the runtimes that ran pushed.
      const all = await client.listPlugins({ registry: reg.host });
      deepStrictEqual(
        all.map((e) => e.reference).sort(),
        reports.flatMap((r) => [r.pluginRef, r.personalityRef]).sort(),
      );
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
