/**
 * Extraction streams: a 256 MiB incompressible file goes from a generated
 * gzip stream to disk without the process holding more than a few chunks.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { extractTarGz } from "../../src/archive/mod.ts";
import { bigFileTar, generatorStream, storedGzip, tempDir } from "./raw_tar.ts";

const SIZE = 256 * 1024 * 1024;
const LIMIT = 64 * 1024 * 1024;

Deno.test("extracting a 256 MiB incompressible file keeps RSS growth under 64 MiB", async () => {
  await using dst = await tempDir();
  // Warm up code paths so their one-off allocations are not counted.
  await extractTarGz(
    generatorStream(storedGzip(bigFileTar("warm", 4 << 20, "random"))),
    `${dst.path}/warm`,
  );
  await Deno.remove(`${dst.path}/warm`, { recursive: true });

  const before = Deno.memoryUsage().rss;
  let peak = before;
  let produced = 0;
  async function* sampled() {
    for await (
      const chunk of storedGzip(bigFileTar("big.bin", SIZE, "random"))
    ) {
      produced += chunk.length;
      if ((produced & 0xfffff) < chunk.length) {
        peak = Math.max(
          peak,
          Deno.memoryUsage().rss,
        );
      }
      yield chunk;
    }
  }
  const result = await extractTarGz(generatorStream(sampled()), dst.path, {
    maxFileBytes: SIZE,
  });
  peak = Math.max(peak, Deno.memoryUsage().rss);

  deepStrictEqual(result.bytes, SIZE);
  deepStrictEqual((await Deno.stat(`${dst.path}/big.bin`)).size, SIZE);
  ok(produced > SIZE, `the archive was really streamed (${produced} bytes)`);
  const growth = peak - before;
  ok(growth < LIMIT, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);
});
