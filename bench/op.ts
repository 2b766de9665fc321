/**
 * One benchmark operation in a process of its own, so its peak RSS is its
 * own and so it can be profiled alone:
 *
 *   deno run -A bench/op.ts pull   <ref> <destDir>
 *   deno run -A bench/op.ts push   <pluginDir> <ref>
 *   deno run -A bench/op.ts upload <ociLayoutDir> <ref>
 *   deno run -A bench/op.ts pack   <pluginDir> -
 *   deno run -A --cpu-prof --cpu-prof-dir=prof bench/op.ts pull <ref> <dest>
 *
 * `pull` and `push` are the library's `pullPlugin` / `pushPlugin`;
 * `upload` sends the blobs and manifest of an OCI layout (tag `t`) with the
 * library's `RegistryStore`, i.e. the transfer part of a push without
 * packing, which is what `skopeo copy oci:… docker://…` does; `pack` is
 * the packing a push does while it uploads (tar + adaptive gzip + SHA-256
 * of the directory: `packDirectory(dir).digest()`), nothing sent.
 *
 * The benchmark's random files are larger than a pull's default per-file
 * limit (100 MiB): push, pack and pull raise it to {@linkcode BENCH_LIMITS}
 * (push and pack refuse such a tree otherwise), nothing else changes.
 *
 * Prints one JSON line: `{ op, ms, peakRssBytes, peakRssSource }`, where
 * `ms` is the time of the operation alone (no runtime start, no module
 * loading) and the peak RSS is the kernel's high-water mark (`VmHWM`) of
 * the whole process, or the highest `Deno.memoryUsage().rss` sampled every
 * 20 ms where `/proc` is not there.
 *
 * @module
 */
import { join } from "node:path";
import { Client, type Descriptor, readPluginFromDir } from "../src/mod.ts";
import { parseReference } from "../src/ref/reference.ts";
import { RegistryStore } from "../src/registry/registry_store.ts";
import { packDirectory } from "../src/archive/mod.ts";
import { fileStream } from "./file_stream.ts";

/** The limits push, pack and pull run with (1 GiB per file). */
export const BENCH_LIMITS = { maxFileBytes: 1024 * 1024 * 1024 };

/** What one operation reports. */
export interface OpResult {
  /** The operation. */
  op: string;
  /** Milliseconds the operation took inside the process. */
  ms: number;
  /** Peak resident set size of the process in bytes. */
  peakRssBytes: number;
  /** Where the peak came from. */
  peakRssSource: "VmHWM" | "sampled";
}

/**
 * The process's peak RSS from `/proc/self/status` (`VmHWM`), if readable.
 *
 * @example
 * ```ts ignore
 * console.log(vmHwm());
 * ```
 */
export function vmHwm(): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pushes the image tagged `t` in the OCI layout `layout` to `ref` through
 * `RegistryStore` (blobs streamed from their files with the library's
 * `fileStream`: 1 MiB reads handed on in small views).
 */
async function upload(layout: string, ref: string): Promise<void> {
  const index = JSON.parse(await Deno.readTextFile(join(layout, "index.json")));
  const entry =
    (index.manifests as Descriptor[]).find((m) =>
      m.annotations?.["org.opencontainers.image.ref.name"] === "t"
    ) ?? index.manifests[0];
  const blob = (d: Descriptor) => join(layout, "blobs", ...d.digest.split(":"));
  const manifestBytes = await Deno.readFile(blob(entry));
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  const store = new RegistryStore({ plainHttp: true });
  const target = parseReference(ref);
  for (const d of [manifest.config, ...manifest.layers] as Descriptor[]) {
    await store.pushBlob(target, d, () => fileStream(blob(d)));
  }
  await store.pushManifest(target, manifestBytes, entry.mediaType);
}

async function run(op: string, a: string, b: string): Promise<void> {
  const client = new Client({ plainHttp: true });
  try {
    switch (op) {
      case "pull":
        await client.pullPlugin(a, b, { limits: BENCH_LIMITS });
        return;
      case "push":
        await client.pushPlugin(a, b, await readPluginFromDir(a), {
          limits: BENCH_LIMITS,
        });
        return;
      case "upload":
        await upload(a, b);
        return;
      case "pack":
        await (await packDirectory(a, { limits: BENCH_LIMITS })).digest();
        return;
      default:
        throw new Error(`unknown operation ${op}`);
    }
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  const [op, a, b] = Deno.args;
  if (!op || !a || !b) {
    console.error("usage: op.ts pull|push|upload|pack <a> <b>");
    Deno.exit(2);
  }
  const haveProc = vmHwm() !== undefined;
  let sampled = Deno.memoryUsage().rss;
  const timer = haveProc ? undefined : setInterval(() => {
    sampled = Math.max(sampled, Deno.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  await run(op, a, b);
  const elapsed = performance.now() - t0;
  if (timer !== undefined) clearInterval(timer);
  const result: OpResult = {
    op,
    ms: elapsed,
    peakRssBytes: haveProc
      ? vmHwm()!
      : Math.max(sampled, Deno.memoryUsage().rss),
    peakRssSource: haveProc ? "VmHWM" : "sampled",
  };
  console.log(JSON.stringify(result));
}
