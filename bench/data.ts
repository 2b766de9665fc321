/**
 * Benchmark data: a plugin directory holding one incompressible file of a
 * given size, written in 1 MiB pieces so generating 256 MiB never holds
 * more than one piece in memory.
 *
 * @module
 */
import { join } from "node:path";
import { MiB } from "./stats.ts";

/** `getRandomValues` fills at most this many bytes per call. */
const RANDOM_LIMIT = 65536;

/** A generated plugin directory. */
export interface BenchPlugin {
  /** The plugin directory (`.claude-plugin/plugin.json` + `data/blob.bin`). */
  dir: string;
  /** Path of the incompressible file. */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Plugin name. */
  name: string;
}

/**
 * Writes a plugin directory `<root>/<name>` whose single data file holds
 * `sizeMiB` MiB of random bytes.
 *
 * @example
 * ```ts ignore
 * const p = await makePlugin(await Deno.makeTempDir(), "bench-64", 64);
 * console.log(p.file, p.size);
 * ```
 */
export async function makePlugin(
  root: string,
  name: string,
  sizeMiB: number,
): Promise<BenchPlugin> {
  const dir = join(root, name);
  await Deno.mkdir(join(dir, ".claude-plugin"), { recursive: true });
  await Deno.mkdir(join(dir, "data"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, ".claude-plugin", "plugin.json"),
    JSON.stringify({
      name,
      description: `benchmark plugin with ${sizeMiB} MiB of random data`,
      license: "Apache-2.0",
    }),
  );
  const file = join(dir, "data", "blob.bin");
  await writeRandomFile(file, sizeMiB * MiB);
  return { dir, file, size: sizeMiB * MiB, name };
}

/**
 * Writes `size` random bytes to `path`, one MiB at a time.
 *
 * @example
 * ```ts ignore
 * await writeRandomFile("/tmp/r.bin", 1024 * 1024);
 * ```
 */
export async function writeRandomFile(
  path: string,
  size: number,
): Promise<void> {
  const piece = new Uint8Array(MiB);
  using f = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  for (let left = size; left > 0; left -= piece.byteLength) {
    const n = Math.min(left, piece.byteLength);
    for (let off = 0; off < n; off += RANDOM_LIMIT) {
      crypto.getRandomValues(
        piece.subarray(off, Math.min(n, off + RANDOM_LIMIT)),
      );
    }
    let written = 0;
    while (written < n) written += await f.write(piece.subarray(written, n));
  }
}
