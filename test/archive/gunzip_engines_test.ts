/**
 * The gzip reader's promises (`gunzip_contract.ts`) under Deno with both
 * inflaters: the web `DecompressionStream` (Deno's default) and `node:zlib`
 * (Node's default, here through Deno's `node:zlib`; memory is measured
 * for the web one only, Deno's default). Under Node itself, with its
 * default, `node:zlib`: `test/runtime/node_gunzip_test.ts`.
 */
import { overrideGunzipEngine } from "../../src/archive/gzip.ts";
import { GUNZIP_CASES } from "./gunzip_contract.ts";

for (const engine of ["web", "node-zlib"] as const) {
  // Deno's own inflater is the web one.
  const cases = GUNZIP_CASES.filter((c) =>
    engine === "web" || !c.defaultEngineOnly
  );
  for (const c of cases) {
    Deno.test(`gunzip (${engine}): ${c.name}`, async () => {
      overrideGunzipEngine(engine);
      try {
        await c.run({
          engine,
          runtime: "deno",
          rss: () => Deno.memoryUsage().rss,
        });
      } finally {
        overrideGunzipEngine(null);
      }
    });
  }
}
