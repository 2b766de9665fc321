/**
 * How many of this process's open file descriptors point below `dir`
 * (Linux `/proc/self/fd`). Counting only the test's own files keeps the
 * check exact while other test files run in parallel in the same process.
 */
export async function openFilesUnder(dir: string): Promise<number> {
  const real = await Deno.realPath(dir);
  let n = 0;
  for await (const entry of Deno.readDir("/proc/self/fd")) {
    try {
      const target = await Deno.readLink(`/proc/self/fd/${entry.name}`);
      if (target === real || target.startsWith(`${real}/`)) n++;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return n;
}
