/**
 * Runs the gzip reader's promises (`test/archive/gunzip_contract.ts`) in
 * whatever runtime executes this file — Node 22 with type stripping, a
 * Node 20 bundle, Bun — with the runtime's default inflater, and prints
 * one JSON line: the runtime, its default inflater and each case's
 * outcome. Driven by
 * `node_gunzip_test.ts`.
 *
 * @module
 */
import process from "node:process";
import { type GunzipEngine, gunzipEngine } from "../../src/archive/gzip.ts";
import { GUNZIP_CASES } from "../archive/gunzip_contract.ts";

/** One case's outcome. */
export interface GunzipCaseResult {
  engine: GunzipEngine;
  name: string;
  error?: string;
}

/** What the script prints. */
export interface GunzipReport {
  runtime: "node" | "bun";
  version: string;
  defaultEngine: GunzipEngine;
  results: GunzipCaseResult[];
}

async function main(): Promise<void> {
  const bun = (globalThis as { Bun?: { version: string } }).Bun;
  const runtime = bun ? "bun" : "node";
  const defaultEngine = gunzipEngine();
  const results: GunzipCaseResult[] = [];
  // The default inflater only: the other one's adapter logic is covered
  // under Deno (`gunzip_engines_test.ts`); Node's DecompressionStream is
  // what the default replaces there.
  for (const engine of [defaultEngine]) {
    for (const c of GUNZIP_CASES) {
      try {
        await c.run({ engine, runtime, rss: () => process.memoryUsage.rss() });
        results.push({ engine, name: c.name });
      } catch (e) {
        results.push({
          engine,
          name: c.name,
          error: e instanceof Error ? e.stack ?? e.message : String(e),
        });
      }
    }
  }
  const report: GunzipReport = {
    runtime,
    version: bun ? bun.version : process.versions.node,
    defaultEngine,
    results,
  };
  console.log(JSON.stringify(report));
}

const entry = process.argv[1] ?? "";
if (/gunzip_cases_main(\.bundle)?\.(ts|mjs)$/.test(entry)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
