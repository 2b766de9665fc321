/**
 * Metadata operations: registry requests per operation (beside the Go
 * module's counts, README "Benchmarks") and describe/list latency without a
 * cache, with a cold cache, warm in the same client, and warm on disk for
 * a new client.
 *
 * @module
 */
import { join } from "node:path";
import { Client, readPluginFromDir } from "../src/mod.ts";
import { countingFetch } from "../test/harness/counting_fetch.ts";
import type { RegistryHandle } from "../test/harness/registry.ts";
import { median } from "./stats.ts";

/** Repositories in the listing benchmark (N of "list of N"). */
export const LIST_N = 10;

/** Requests one operation made, beside the Go module's. */
export interface RequestCount {
  /** The operation. */
  op: string;
  /** Requests our client sent. */
  ours: number;
  /** What they were (`"HEAD manifest"` → count). */
  detail: Record<string, number>;
  /** The Go module's count on an open registry. */
  go: string;
}

/** Latency medians of one metadata operation, in ms. */
export interface LatencyRow {
  /** The operation. */
  op: string;
  /** A client without cache (connection already open). */
  noCache: number;
  /** A cached client's first call (empty cache dir). */
  cold: number;
  /** The same client's second call. */
  warm: number;
  /** A second client on the same cache dir, first call. */
  warmDisk: number;
  /** Requests of the cold call. */
  coldRequests: number;
  /** Requests of the warm call. */
  warmRequests: number;
  /** Requests of the second client's call. */
  warmDiskRequests: number;
  /** Repetitions behind each median. */
  reps: number;
}

/** A tiny plugin source directory. */
async function smallPlugin(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(join(dir, ".claude-plugin"), { recursive: true });
  await Deno.mkdir(join(dir, "commands"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, ".claude-plugin", "plugin.json"),
    JSON.stringify({ name, description: "request-count plugin" }),
  );
  await Deno.writeTextFile(join(dir, "commands", "hello.md"), "# hello\n");
  return dir;
}

/** What {@linkcode seedMetadata} pushed. */
export interface MetadataSeed {
  /** Registry base of the `LIST_N` listing repositories. */
  listBase: string;
  /** A plugin reference with tag to describe. */
  describeRef: string;
  /** Registry base under which `describeShort` is a short name. */
  shortBase: string;
  /** Short name resolving under `shortBase`. */
  describeShort: string;
}

/**
 * Pushes the `LIST_N` listing repositories (two semver tags each) and the
 * describe target.
 */
export async function seedMetadata(
  reg: RegistryHandle,
  root: string,
): Promise<MetadataSeed> {
  const client = new Client({ plainHttp: true });
  try {
    const dir = await smallPlugin(root, "meta");
    const plugin = await readPluginFromDir(dir);
    const listBase = `${reg.host}/meta-list/plugins`;
    for (let i = 0; i < LIST_N; i++) {
      for (const tag of ["v1.0.0", "v1.1.0"]) {
        await client.pushPlugin(dir, `${listBase}/p${i}:${tag}`, plugin);
      }
    }
    return {
      listBase,
      describeRef: `${listBase}/p0:v1.1.0`,
      shortBase: listBase,
      describeShort: "p0",
    };
  } finally {
    await client.close();
  }
}

async function counted(
  op: string,
  go: string,
  fn: (client: Client) => Promise<unknown>,
  options: { registries?: { plugin: string } } = {},
): Promise<RequestCount> {
  const c = countingFetch();
  const client = new Client({
    plainHttp: true,
    fetch: c.fetch,
    registries: options.registries,
  });
  try {
    await fn(client);
  } finally {
    await client.close();
  }
  return { op, ours: c.requests.length, detail: c.counts(), go };
}

/**
 * Requests per operation, each on a fresh client without cache (an open
 * registry, so no authentication round trips on either side).
 */
export async function measureRequests(
  reg: RegistryHandle,
  root: string,
  seed: MetadataSeed,
): Promise<RequestCount[]> {
  const dir = await smallPlugin(root, "counted");
  const plugin = await readPluginFromDir(dir);
  const ref = reg.ref("meta-counts/plugins/counted", "v1.0.0");
  const dest = join(root, "counted-pull");
  const rows: RequestCount[] = [];
  rows.push(
    await counted(
      "describe by tag",
      "3 (HEAD, GET manifest, GET config)",
      (c) => c.describePlugin(seed.describeRef),
    ),
  );
  rows.push(
    await counted(
      "describe by short name",
      "4–5 (tags, HEAD, GET manifest, GET config)",
      (c) => c.describePlugin(seed.describeShort),
      { registries: { plugin: seed.shortBase } },
    ),
  );
  rows.push(
    await counted(
      `list of N=${LIST_N} repositories`,
      `${1 + LIST_N} (catalog + N tag lists)`,
      (c) => c.listPlugins({ registry: seed.listBase }),
    ),
  );
  rows.push(
    await counted(
      "cold push",
      "7 (POST+PUT config, POST+PUT layer, PUT manifest, GET+PUT tag)",
      (c) => c.pushPlugin(dir, ref, plugin),
    ),
  );
  rows.push(
    await counted(
      "re-push (unchanged)",
      "7 (no existence check)",
      (c) => c.pushPlugin(dir, ref, plugin),
    ),
  );
  rows.push(
    await counted(
      "cold pull",
      "4–5 (HEAD, GET manifest, GET config, GET layer)",
      (c) => c.pullPlugin(ref, dest),
    ),
  );
  rows.push(
    await counted(
      "up-to-date pull",
      "1 (HEAD)",
      (c) => c.pullPlugin(ref, dest),
    ),
  );
  return rows;
}

async function timed<T>(
  c: ReturnType<typeof countingFetch>,
  fn: () => Promise<T>,
): Promise<{ ms: number; requests: number }> {
  c.reset();
  const t0 = performance.now();
  await fn();
  return { ms: performance.now() - t0, requests: c.requests.length };
}

/**
 * Describe and list latency: for each repetition a fresh cache dir, a
 * cached client's cold then warm call, then a second client on the same
 * dir; beside it a client without cache whose connection is already warm.
 */
export async function measureLatency(
  root: string,
  seed: MetadataSeed,
  reps: number,
): Promise<LatencyRow[]> {
  const ops: { op: string; fn: (c: Client) => Promise<unknown> }[] = [
    { op: "describe by tag", fn: (c) => c.describePlugin(seed.describeRef) },
    {
      op: `list of N=${LIST_N}`,
      fn: (c) => c.listPlugins({ registry: seed.listBase }),
    },
  ];
  const rows: LatencyRow[] = [];
  for (const { op, fn } of ops) {
    const noCache: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const warmDisk: number[] = [];
    let coldRequests = 0, warmRequests = 0, warmDiskRequests = 0;
    // One discarded round warms the JIT for every code path measured.
    for (let r = -1; r < reps; r++) {
      const c = countingFetch();
      const plain = new Client({ plainHttp: true, fetch: c.fetch });
      await fn(plain);
      const n = await timed(c, () => fn(plain));
      await plain.close();

      const dir = await Deno.makeTempDir({ dir: root, prefix: "cache-" });
      const a = new Client({ plainHttp: true, fetch: c.fetch, cache: { dir } });
      const t1 = await timed(c, () => fn(a));
      const t2 = await timed(c, () => fn(a));
      await a.close();
      const b = new Client({ plainHttp: true, fetch: c.fetch, cache: { dir } });
      const t3 = await timed(c, () => fn(b));
      await b.close();
      await Deno.remove(dir, { recursive: true });
      if (r < 0) continue;
      noCache.push(n.ms);
      cold.push(t1.ms);
      warm.push(t2.ms);
      warmDisk.push(t3.ms);
      coldRequests = t1.requests;
      warmRequests = t2.requests;
      warmDiskRequests = t3.requests;
    }
    rows.push({
      op,
      noCache: median(noCache),
      cold: median(cold),
      warm: median(warm),
      warmDisk: median(warmDisk),
      coldRequests,
      warmRequests,
      warmDiskRequests,
      reps,
    });
  }
  return rows;
}
