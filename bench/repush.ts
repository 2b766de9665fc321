/**
 * Re-push without reading: an unchanged tree pushed again with the file
 * cache should cost 3 requests (2 `HEAD`s and the manifest) and read no
 * file content, whatever its size; the same tree pushed to another
 * repository of the registry should be mounted, not uploaded.
 *
 * Each push runs in a process of its own (this file as a script, with a
 * counting `fetch` and a cache directory), which prints the requests it
 * made, the time of the call and the bytes the process read during the call
 * (`rchar` of `/proc/self/io`: every read(2) — files, sockets, the push
 * record — so an upper bound of the file content read). When `strace` is
 * there, the unchanged re-push runs once more under it, and the bytes that
 * read(2)-like calls returned from files inside the tree are summed: the
 * file content read, exactly.
 *
 *   deno run -A bench/repush.ts <cacheDir> <sourceDir> <ref>
 *
 * @module
 */
import { join } from "node:path";
import { Client } from "../src/client.ts";
import { readPluginFromDir } from "../src/mod.ts";
import { countingFetch } from "../test/harness/counting_fetch.ts";
import type { RegistryHandle } from "../test/harness/registry.ts";
import type { Corpus } from "./corpora.ts";
import { BENCH_LIMITS } from "./op.ts";

const SELF = new URL(import.meta.url).pathname;
const dec = new TextDecoder();

/** What one push process reports. */
export interface PushProbe {
  /** Milliseconds of the `pushPlugin` call. */
  ms: number;
  /** `rchar` growth during the call (bytes). */
  rchar: number;
  /** Requests made. */
  requests: number;
  /** Requests by `"<METHOD> <kind>"`. */
  counts: Record<string, number>;
}

/** The re-push measurement of one corpus. */
export interface RepushRow {
  /** Corpus label. */
  label: string;
  /** Bytes of file content in the tree. */
  bytes: number;
  /** Files in the tree. */
  files: number;
  /** The cold push (empty cache). */
  cold: PushProbe;
  /** The unchanged re-push to the same tag. */
  again: PushProbe;
  /** The same tree pushed to another repository (mount). */
  other: PushProbe;
  /**
   * Bytes read from files inside the tree during the unchanged re-push,
   * counted by strace (`undefined`: strace not available).
   */
  straceFileBytes?: number;
  /** Why strace did not count, if it did not. */
  straceNote?: string;
}

function bytesRead(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/^rchar:\s*(\d+)/m.exec(io)![1]);
}

async function child(cacheDir: string, sourceDir: string, ref: string) {
  const counter = countingFetch();
  const client = new Client({
    plainHttp: true,
    env: {},
    fetch: counter.fetch,
    cache: { dir: cacheDir },
  });
  const plugin = await readPluginFromDir(sourceDir);
  // Module loading is not the push's reading.
  await import("../src/artifact/push.ts");
  const before = bytesRead();
  const t0 = performance.now();
  await client.pushPlugin(sourceDir, ref, plugin, { limits: BENCH_LIMITS });
  const ms = performance.now() - t0;
  const rchar = bytesRead() - before;
  await client.close();
  const probe: PushProbe = {
    ms,
    rchar,
    requests: counter.requests.length,
    counts: counter.counts(),
  };
  console.log(JSON.stringify(probe));
}

async function probe(
  cacheDir: string,
  dir: string,
  ref: string,
  strace?: string,
): Promise<PushProbe> {
  const argv = [Deno.execPath(), "run", "-A", SELF, cacheDir, dir, ref];
  const [cmd, ...args] = strace
    ? [
      "strace",
      "-f",
      "-qq",
      "-y",
      "-e",
      "trace=read,pread64,readv,preadv,preadv2,sendfile,copy_file_range,splice",
      "-o",
      strace,
      ...argv,
    ]
    : argv;
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `re-push probe failed (${out.code}): ${dec.decode(out.stderr)}`,
    );
  }
  return JSON.parse(dec.decode(out.stdout).trim().split("\n").pop()!);
}

/**
 * Sums the results of read-like calls in an `strace -y` log whose file
 * descriptors name a path inside `dir`, between the process's first and
 * last read of `/proc/<pid>/io` (the child reads it right before and right
 * after the push, so reading `plugin.json` for the plugin's metadata
 * beforehand does not count).
 *
 * @example
 * ```ts
 * import { fileBytesRead } from "./repush.ts";
 * const log = [
 *   '1 read(3</t/plugin.json>, "x", 9) = 1',
 *   '1 read(5</proc/1/io>, "r", 9) = 9',
 *   '1 read(3</t/a>, "x", 9) = 1',
 *   '1 read(4<socket:[1]>, "y", 9) = 1',
 *   '1 read(5</proc/1/io>, "r", 9) = 9',
 * ].join("\n");
 * console.log(fileBytesRead(log, "/t")); // 1
 * ```
 */
export function fileBytesRead(log: string, dir: string): number {
  const inside = `<${dir.replace(/\/$/, "")}/`;
  const lines = log.split("\n");
  const marker = (l: string) => /<\/proc\/\d+\/io>/.test(l);
  const first = lines.findIndex(marker);
  const last = lines.findLastIndex(marker);
  if (first < 0 || last <= first) {
    throw new Error("no /proc/<pid>/io reads around the push in the log");
  }
  let total = 0;
  for (const line of lines.slice(first + 1, last)) {
    if (!line.includes(inside)) continue;
    const m = /\)\s+=\s+(\d+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

async function haveStrace(): Promise<boolean> {
  try {
    const out = await new Deno.Command("strace", {
      args: ["-qq", "-e", "trace=none", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Cold push, unchanged re-push (also under strace) and push to another
 * repository of each corpus, each in a process of its own.
 *
 * @example
 * ```ts ignore
 * const rows = await measureRepush(reg, root, [text, random256], console.error);
 * ```
 */
export async function measureRepush(
  reg: RegistryHandle,
  root: string,
  corpora: Corpus[],
  log: (msg: string) => void,
): Promise<RepushRow[]> {
  const rows: RepushRow[] = [];
  const strace = await haveStrace();
  for (const c of corpora) {
    const cacheDir = await Deno.makeTempDir({ dir: root, prefix: "repush-" });
    try {
      const ref = reg.ref(`bench/repush-${c.id}`, "v1.0.0");
      const cold = await probe(cacheDir, c.dir, ref);
      const again = await probe(cacheDir, c.dir, ref);
      const other = await probe(
        cacheDir,
        c.dir,
        reg.ref(`bench/repush-${c.id}-other`, "v1.0.0"),
      );
      const row: RepushRow = {
        label: c.label,
        bytes: c.bytes,
        files: c.files,
        cold,
        again,
        other,
      };
      if (strace) {
        const logFile = join(cacheDir, "strace.log");
        await probe(cacheDir, c.dir, ref, logFile);
        row.straceFileBytes = fileBytesRead(
          await Deno.readTextFile(logFile),
          await Deno.realPath(c.dir),
        );
      } else {
        row.straceNote = "strace not available";
      }
      log(
        `  ${c.label}: cold ${cold.requests} requests ${
          cold.ms.toFixed(0)
        } ms; re-push ${again.requests} requests ${
          again.ms.toFixed(0)
        } ms, rchar ${again.rchar} B, file content ${
          row.straceFileBytes ?? "?"
        } B; other repository ${other.requests} requests ${
          other.ms.toFixed(0)
        } ms`,
      );
      rows.push(row);
    } finally {
      await Deno.remove(cacheDir, { recursive: true }).catch(() => {});
    }
  }
  return rows;
}

if (import.meta.main) {
  const [cacheDir, sourceDir, ref] = Deno.args;
  if (!cacheDir || !sourceDir || !ref) {
    console.error("usage: repush.ts <cacheDir> <sourceDir> <ref>");
    Deno.exit(2);
  }
  await child(cacheDir, sourceDir, ref);
}
