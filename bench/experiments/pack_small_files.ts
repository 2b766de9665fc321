/**
 * One-off measurement (session 3): packing a directory of small files — the
 * tar stream alone, then the layer digest (tar + gzip + SHA-256) — 5 runs.
 *
 *   deno run -A bench/experiments/pack_small_files.ts <directory>
 */
import { packDirectory } from "../../src/archive/pack.ts";

const dir = Deno.args[0];
if (!dir) throw new Error("usage: <directory>");
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const packed = await packDirectory(dir);
  const reader = packed.tarStream().getReader();
  let bytes = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    bytes += r.value.byteLength;
  }
  const t1 = performance.now();
  const layer = await packed.digest();
  console.log(
    `tar ${Math.round(t1 - t0)} ms (${bytes} B), layer ${
      Math.round(performance.now() - t1)
    } ms (${layer.size} B)`,
  );
}
