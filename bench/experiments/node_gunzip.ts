/**
 * One-off measurement (session 4): extraction of 256 MiB of incompressible
 * data (stored gzip, generated on the fly) under Node, with Node's
 * `DecompressionStream` ("web") against `node:zlib` driven with
 * backpressure ("node-zlib", `src/archive/node_gunzip.ts`); one process
 * per run, alternating, 3 runs each; time and peak RSS (`VmHWM`).
 *
 *   for i in 1 2 3; do for e in web node-zlib; do
 *     node --experimental-strip-types bench/experiments/node_gunzip.ts $e /dev/shm/x
 *   done; done
 */
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import process from "node:process";
import { extractTarGz } from "../../src/archive/extract.ts";
import { overrideGunzipEngine } from "../../src/archive/gzip.ts";
import {
  bigFileTar,
  generatorStream,
  storedGzip,
} from "../../test/archive/raw_tar.ts";

const [engine, dir] = process.argv.slice(2);
if ((engine !== "web" && engine !== "node-zlib") || !dir) {
  throw new Error("usage: node_gunzip.ts web|node-zlib <scratch dir>");
}
overrideGunzipEngine(engine);
const size = 256 * 1024 * 1024;
const dest = `${dir}/${engine}-${process.pid}`;
const t0 = performance.now();
await extractTarGz(
  generatorStream(storedGzip(bigFileTar("big.bin", size, "random"))),
  dest,
  { maxFileBytes: size },
);
const ms = Math.round(performance.now() - t0);
const hwm = Number(
  /^VmHWM:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1],
) / 1024;
await rm(dest, { recursive: true });
console.log(JSON.stringify({ engine, ms, peakRssMiB: Math.round(hwm) }));
