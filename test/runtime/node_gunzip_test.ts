/**
 * The gzip reader's promises (`test/archive/gunzip_contract.ts`) under the
 * other runtimes, each with its default inflater: Node 22 and the system
 * Node (bundle) use `node:zlib` — Node's `DecompressionStream` read a whole
 * gzip bomb ahead of the reader and grew RSS by ~290 MiB on a 256 MiB
 * archive — and Bun its `DecompressionStream`. Missing runtimes follow
 * `missing()`: ignored here, a failure in CI.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { GUNZIP_CASES } from "../archive/gunzip_contract.ts";
import { missing } from "../harness/require.ts";
import {
  BUN,
  bundleForNode,
  ESBUILD,
  NODE22,
  NODE22_TS_FLAGS,
  NODE_SYSTEM,
} from "../harness/runtimes.ts";
import type { GunzipReport } from "./gunzip_cases_main.ts";

const MAIN = new URL("./gunzip_cases_main.ts", import.meta.url).pathname;

async function report(cmd: string, args: string[]): Promise<GunzipReport> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout).trim();
  ok(
    out.success,
    `${cmd} exited ${out.code}\n${stdout}\n${dec.decode(out.stderr)}`,
  );
  return JSON.parse(stdout.split("\n").pop() ?? "") as GunzipReport;
}

function check(r: GunzipReport, runtime: string, engine: string): void {
  equal(r.runtime, runtime);
  equal(r.defaultEngine, engine);
  const failed = r.results.filter((x) => x.error);
  deepStrictEqual(
    failed.map((x) => `${x.name}: ${x.error}`),
    [],
    `${runtime} ${r.version}`,
  );
  deepStrictEqual(
    r.results.map((x) => x.name),
    GUNZIP_CASES.map((c) => c.name),
  );
}

Deno.test({
  name: "gunzip under Node 22 (type stripping): node:zlib, every promise kept",
  ignore: missing(NODE22),
  async fn() {
    check(
      await report(NODE22, [...NODE22_TS_FLAGS, MAIN]),
      "node",
      "node-zlib",
    );
  },
});

Deno.test({
  name:
    `gunzip under the system Node (${NODE_SYSTEM}, esbuild bundle): node:zlib, every promise kept`,
  ignore: missing(NODE_SYSTEM, ESBUILD),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "klaus-gunzip-node-" });
    try {
      const bundle = join(dir, "gunzip_cases_main.bundle.mjs");
      await bundleForNode(MAIN, bundle);
      check(await report(NODE_SYSTEM, [bundle]), "node", "node-zlib");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "gunzip under Bun: its DecompressionStream, every promise kept",
  ignore: missing(BUN),
  async fn() {
    check(await report(BUN, ["run", MAIN]), "bun", "web");
  },
});
