/**
 * One-off measurement (session 3): `extractTar` against GNU `tar -xzf` on a
 * tree of small files, alternating, 5 runs each, medians and their ratio.
 *
 *   tar -C node_modules -czf /tmp/corpus.tar.gz -T <list of 3 750 files>
 *   deno run -A bench/experiments/extract_small_files.ts /tmp/corpus.tar.gz /dev/shm/x
 */
import { extractTar } from "../../src/archive/extract.ts";

const [file, base] = Deno.args;
if (!file || !base) throw new Error("usage: <corpus.tar.gz> <scratch dir>");
await Deno.mkdir(base, { recursive: true });
const times: Record<string, number[]> = { ours: [], tar: [] };
for (let i = 0; i < 5; i++) {
  for (const which of ["ours", "tar"]) {
    const dest = `${base}/${which}-${i}-${crypto.randomUUID()}`;
    await new Deno.Command("sync").output();
    const t0 = performance.now();
    if (which === "ours") {
      const f = await Deno.open(file);
      await extractTar(
        f.readable.pipeThrough(new DecompressionStream("gzip")),
        dest,
      );
    } else {
      await Deno.mkdir(dest);
      await new Deno.Command("tar", { args: ["-C", dest, "-xzf", file] })
        .output();
    }
    times[which].push(Math.round(performance.now() - t0));
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  JSON.stringify(times),
  `median ours ${median(times.ours)} ms, tar ${median(times.tar)} ms`,
);
