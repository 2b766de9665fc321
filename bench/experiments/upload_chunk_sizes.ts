/**
 * One-off measurement (session 3): a 256 MiB random blob uploaded to
 * distribution 2.8 as chunked PATCHes of 8, 16, 32 and 64 MiB, 3 rounds.
 *
 *   deno run -A bench/experiments/upload_chunk_sizes.ts
 */
import { startRegistry } from "../../test/harness/registry.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";

const reg = await startRegistry({ mode: "open" });
const file = await Deno.makeTempFile({ prefix: "klaus-chunks-" });
try {
  const f = await Deno.open(file, { write: true });
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < 256; i++) {
    for (let j = 0; j < block.length; j += 65536) {
      crypto.getRandomValues(block.subarray(j, j + 65536));
    }
    await f.write(block);
  }
  f.close();
  const times: Record<number, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const mib of [8, 16, 32, 64]) {
      const store = new RegistryStore({
        plainHttp: () => true,
        env: {},
        chunkSize: mib << 20,
      });
      const source = await Deno.open(file);
      await new Deno.Command("sync").output();
      const t0 = performance.now();
      await store.pushBlobStream(
        { registry: reg.host, repository: `r/c${mib}-${round}` },
        source.readable,
      );
      (times[mib] ??= []).push(Math.round(performance.now() - t0));
    }
  }
  console.log(JSON.stringify(times));
} finally {
  await Deno.remove(file);
  await reg.stop();
}
