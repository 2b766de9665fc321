/**
 * Pull and push of large incompressible plugins, ours against skopeo on
 * the same registry and data, alternating the order run by run.
 *
 * - pull: `pullPlugin` (resolve, manifest, config, stream the layer through
 *   digest verification, gunzip, untar and write the files, swap into
 *   place) vs `skopeo copy docker://… oci:<fresh dir>:t` (verify + write
 *   the blobs);
 * - push: `pushPlugin` of the directory (walk; tar, gzip, hash; upload
 *   from a second pass)
 *   vs `skopeo copy oci:<layout>:t docker://…` (upload of the already
 *   compressed blobs); and, to separate packing from transfer, the
 *   library's `RegistryStore` uploading that same layout (`upload`) and
 *   the packing alone (`pack`: the first pass, tar + gzip + SHA-256)
 *   beside `tar -cf - . | gzip -6 | sha256sum`.
 *
 * Every push goes to a fresh repository, so nothing is skipped. Each of our
 * runs is a process of its own: its peak RSS is measured there. The same
 * measurement runs on a registry with Basic auth (`peer.ts`) given its
 * credentials; there the packing (which sends nothing) is left out.
 *
 * @module
 */
import { join } from "node:path";
import type { RegistryHandle } from "../test/harness/registry.ts";
import type { BenchPlugin } from "./data.ts";
import {
  type BenchAuth,
  type OursRun,
  runOurs,
  runSkopeoCopy,
  timeCommand,
} from "./procs.ts";

/** The runs of one operation at one size. */
export interface OpRuns {
  /** Our runs (op time, process wall time, peak RSS). */
  ours: OursRun[];
  /** skopeo's wall times in ms (empty for `upload`). */
  skopeo: number[];
}

/** Pull and push results for one size. */
export interface SizeResult {
  /** Data size in MiB. */
  sizeMiB: number;
  /** Bytes of the compressed layer. */
  layerBytes: number;
  /** Pull runs. */
  pull: OpRuns;
  /** Push runs (`pushPlugin`). */
  push: OpRuns;
  /** Upload-only runs of the prepared layout (skopeo list is push's). */
  upload: OpRuns;
  /** Packing only; `skopeo` holds `tar | gzip -6 | sha256sum` times. */
  pack: OpRuns;
}

async function rmrf(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Options of {@linkcode measureTransfer}. */
export interface TransferOptions {
  /** Credentials of a registry with Basic auth (default: an open one). */
  auth?: BenchAuth;
  /** Whether to measure the packing alone too (default true). */
  pack?: boolean;
  /** Prefix of the log lines (default none). */
  name?: string;
}

/** Runs `fns` in an order rotated by `round`. */
async function rotated(
  round: number,
  fns: (() => Promise<void>)[],
): Promise<void> {
  for (let i = 0; i < fns.length; i++) {
    await fns[(i + round) % fns.length]();
  }
}

/**
 * Measures pull and push of `plugin` `runs` times each (after one discarded
 * warm-up round unless `warmup` is false).
 */
export async function measureTransfer(
  reg: RegistryHandle,
  root: string,
  plugin: BenchPlugin,
  runs: number,
  warmup: boolean,
  log: (msg: string) => void,
  options: TransferOptions = {},
): Promise<SizeResult> {
  const { auth } = options;
  const sizeMiB = plugin.size / (1024 * 1024);
  const tag = "v1.0.0";
  const at = options.name ? `${options.name} ` : "";
  const say = (msg: string) => log(`  ${at}${msg}`);
  const pullRef = reg.ref(`bench/pull-${sizeMiB}`, tag);
  say(`seeding ${pullRef}`);
  await runOurs("push", plugin.dir, pullRef, [], auth);
  const layout = join(root, `${options.name ?? "dist"}-layout-${sizeMiB}`);
  await rmrf(layout);
  await runSkopeoCopy(`docker://${pullRef}`, `oci:${layout}:t`, auth);
  const index = JSON.parse(await Deno.readTextFile(join(layout, "index.json")));
  const manifest = JSON.parse(
    await Deno.readTextFile(
      join(layout, "blobs", ...index.manifests[0].digest.split(":")),
    ),
  );
  const layerBytes: number = manifest.layers[0].size;

  const result: SizeResult = {
    sizeMiB,
    layerBytes,
    pull: { ours: [], skopeo: [] },
    push: { ours: [], skopeo: [] },
    upload: { ours: [], skopeo: [] },
    pack: { ours: [], skopeo: [] },
  };
  let seq = 0;
  const start = warmup ? -1 : 0;
  for (let round = start; round < runs; round++) {
    const keep = round >= 0;
    const label = keep ? `run ${round + 1}/${runs}` : "warm-up";
    await rotated(round + 1, [
      async () => {
        const dest = join(root, `pull-ours-${seq++}`);
        const r = await runOurs("pull", pullRef, dest, [], auth);
        await rmrf(dest);
        if (keep) result.pull.ours.push(r);
        say(`${sizeMiB} MiB pull ours   ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const dest = join(root, `pull-skopeo-${seq++}`);
        const ms = await runSkopeoCopy(
          `docker://${pullRef}`,
          `oci:${dest}:t`,
          auth,
        );
        await rmrf(dest);
        if (keep) result.pull.skopeo.push(ms);
        say(`${sizeMiB} MiB pull skopeo ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
    await rotated(round + 1, [
      async () => {
        const ref = reg.ref(`bench/push-${sizeMiB}-ours-${seq++}`, tag);
        const r = await runOurs("push", plugin.dir, ref, [], auth);
        if (keep) result.push.ours.push(r);
        say(`${sizeMiB} MiB push ours   ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const ref = reg.ref(`bench/upload-${sizeMiB}-ours-${seq++}`, tag);
        const r = await runOurs("upload", layout, ref, [], auth);
        if (keep) result.upload.ours.push(r);
        say(`${sizeMiB} MiB upload ours ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const ref = reg.ref(`bench/push-${sizeMiB}-skopeo-${seq++}`, tag);
        const ms = await runSkopeoCopy(
          `oci:${layout}:t`,
          `docker://${ref}`,
          auth,
        );
        if (keep) result.push.skopeo.push(ms);
        say(`${sizeMiB} MiB push skopeo ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
    if (options.pack === false) continue;
    await rotated(round + 1, [
      async () => {
        const r = await runOurs("pack", plugin.dir, "-");
        if (keep) result.pack.ours.push(r);
        say(`${sizeMiB} MiB pack ours   ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const { ms } = await timeCommand("sh", [
          "-c",
          'tar -C "$0" -cf - . | gzip -6 | sha256sum',
          plugin.dir,
        ]);
        if (keep) result.pack.skopeo.push(ms);
        say(`${sizeMiB} MiB pack tar|gzip ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
  }
  result.upload.skopeo = result.push.skopeo;
  return result;
}
