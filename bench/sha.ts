/**
 * SHA-256 throughput of the library's digest path against `sha256sum` on
 * the same file (in the page cache after the first read):
 *
 * - `Digester` over 1 MiB chunks already in memory (the hash alone);
 * - `verifyingStream` over a 1 MiB file stream (`file_stream.ts`: read +
 *   hash + stream machinery, what a pull from a layout does);
 * - `sha256sum <file>` as a process (read + hash + process start).
 *
 * @module
 */
import { Digester, verifyingStream } from "../src/oci/digest.ts";
import { fileStream } from "./file_stream.ts";
import { timeCommand } from "./procs.ts";
import { median, MiB, mibPerSec } from "./stats.ts";

/** Throughputs in MiB/s (medians). */
export interface ShaResult {
  /** Bytes hashed per run. */
  bytes: number;
  /** Runs behind each median. */
  runs: number;
  /** `Digester.update` over in-memory 1 MiB chunks. */
  digester: number;
  /** `fileStream` → `verifyingStream`, drained. */
  verifyingStream: number;
  /** `sha256sum` process. */
  sha256sum: number;
}

async function readChunks(path: string): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  using f = await Deno.open(path);
  for (;;) {
    const buf = new Uint8Array(MiB);
    let n = 0;
    while (n < MiB) {
      const r = await f.read(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    if (n < MiB) break;
  }
  return chunks;
}

/**
 * Measures the three paths `runs` times each, alternating, on `path`.
 *
 * @example
 * ```ts ignore
 * const r = await measureSha("/tmp/blob.bin", 3);
 * console.log(r.digester / r.sha256sum);
 * ```
 */
export async function measureSha(
  path: string,
  runs: number,
): Promise<ShaResult> {
  const size = (await Deno.stat(path)).size;
  const expected =
    (await timeCommand("sha256sum", [path])).stdout.split(" ")[0];
  const digester: number[] = [];
  const stream: number[] = [];
  const sum: number[] = [];
  let chunks: Uint8Array[] | undefined = await readChunks(path);
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    const d = new Digester();
    for (const c of chunks) d.update(c);
    const got = d.digest();
    digester.push(performance.now() - t0);
    if (got !== `sha256:${expected}`) {
      throw new Error(`Digester disagrees with sha256sum: ${got}`);
    }

    t0 = performance.now();
    const verified = fileStream(path).pipeThrough(
      verifyingStream(`sha256:${expected}`, size),
    );
    for await (const _ of verified) { /* drain */ }
    stream.push(performance.now() - t0);

    sum.push((await timeCommand("sha256sum", [path])).ms);
  }
  chunks = undefined;
  return {
    bytes: size,
    runs,
    digester: mibPerSec(size, median(digester)),
    verifyingStream: mibPerSec(size, median(stream)),
    sha256sum: mibPerSec(size, median(sum)),
  };
}
