/** Small helpers shared by the cache tests. */
import type { CacheStatus, CacheStatusDetail } from "../../src/cache/mod.ts";

export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Collects the statuses reported through `onCacheStatus`. */
export class StatusLog {
  statuses: CacheStatus[] = [];
  details: CacheStatusDetail[] = [];
  onCacheStatus = (s: CacheStatus, d: CacheStatusDetail): void => {
    this.statuses.push(s);
    this.details.push(d);
  };
  get last(): CacheStatus | undefined {
    return this.statuses.at(-1);
  }
  get lastDetail(): CacheStatusDetail | undefined {
    return this.details.at(-1);
  }
}

/** A temp dir removed by `await using`. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "klaus-cache-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Every file below `dir`, relative paths. */
export async function listFiles(dir: string, base = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${base}`)) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}
