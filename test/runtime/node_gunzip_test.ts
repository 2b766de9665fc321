/**
 * The gzip reader's promises (`test/archive/gunzip_contract.ts`) under the
 * other runtimes, each with its default inflater: Node 22 and the system
 * Node (bundle) use `node:zlib` — Node's `DecompressionStream` read a whole
 * gzip bomb ahead of the reader and grew RSS by ~290 MiB on a 256 MiB
 * archive — and Bun its `DecompressionStream`. Missing runtimes follow
 * `missing()`: ignored here, a failure in CI.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { GUNZIP_CASES } from "../archive/gunzip_contract.ts";
import { scriptRuntimes } from "../harness/runtimes.ts";
import type { GunzipReport } from "./gunzip_cases_main.ts";

const MAIN = new URL("./gunzip_cases_main.ts", import.meta.url).pathname;

for (const rt of scriptRuntimes()) {
  const bun = rt.label === "Bun";
  Deno.test({
    name: `gunzip under ${rt.label}: ${
      bun ? "its DecompressionStream" : "node:zlib"
    }, every promise kept`,
    ignore: rt.ignore,
    async fn() {
      const r = await rt.run<GunzipReport>(MAIN);
      equal(r.runtime, bun ? "bun" : "node");
      equal(r.defaultEngine, bun ? "web" : "node-zlib");
      deepStrictEqual(
        r.results.filter((x) => x.error).map((x) => `${x.name}: ${x.error}`),
        [],
        `${r.runtime} ${r.version}`,
      );
      deepStrictEqual(
        r.results.map((x) => x.name),
        GUNZIP_CASES.map((c) => c.name),
      );
    },
  });
}
