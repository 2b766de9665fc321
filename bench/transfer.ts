/**
 * Pull and push of one corpus (`corpora.ts`), ours against skopeo and
 * against the composed workflow (`composed.ts`) on the same registry and
 * data, alternating the order run by run.
 *
 * - pull: `pullPlugin` (resolve, manifest, config, stream the layer through
 *   digest verification, gunzip, untar and write the files, swap into
 *   place) vs `skopeo copy docker://… oci:<fresh dir>:t` (verify + write
 *   the blobs) and vs the composed pull (`skopeo copy … dir:` + `tar -xzf`);
 * - push: `pushPlugin` of the directory (walk; one pass: tar, adaptive
 *   gzip and SHA-256 while the chunks go up) vs `skopeo copy oci:<layout>:t
 *   docker://…` (upload of the already compressed blobs) and vs the
 *   composed push (`tar -czf` + `sha256sum` + layout + `skopeo copy`, the
 *   whole pipeline timed); and, to separate packing from transfer, the
 *   library's `RegistryStore` uploading skopeo's layout (`upload`) and the
 *   packing alone (`pack`: tar + adaptive gzip + SHA-256, nothing sent)
 *   beside `tar -cf - . | gzip -6 | sha256sum`.
 *
 * Every push goes to a fresh repository and our processes have no cache
 * directory, so nothing is skipped or mounted (skopeo runs with an empty
 * blob-info cache for the same reason). Each of our runs is a process of
 * its own: its peak RSS is measured there. The same measurement runs on a
 * registry with Basic auth (`peer.ts`) given its credentials; there the
 * packing (which sends nothing) is left out.
 *
 * @module
 */
import { join } from "node:path";
import type { RegistryHandle } from "../test/harness/registry.ts";
import { COMPOSED_PULL, COMPOSED_PUSH } from "./composed.ts";
import type { Corpus } from "./corpora.ts";
import {
  type BenchAuth,
  discard,
  type OursRun,
  runIsolated,
  runOurs,
  runSkopeoCopy,
  skopeoCopyArgs,
  timeCommand,
} from "./procs.ts";

/** The runs of one operation at one size. */
export interface OpRuns {
  /** Our runs (op time, process wall time, peak RSS). */
  ours: OursRun[];
  /** skopeo's wall times in ms (empty for `upload`). */
  skopeo: number[];
}

/** Pull and push results for one corpus. */
export interface SizeResult {
  /** Corpus id (`text`, `random-256`). */
  id: string;
  /** Corpus label (`text 64 MiB`). */
  label: string;
  /** Data size in MiB (file content). */
  sizeMiB: number;
  /** Files in the tree. */
  files: number;
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
  /** The composed push (`tar -czf`, `sha256sum`, layout, skopeo), ms. */
  composedPush: number[];
  /** The composed pull (skopeo to `dir:`, `tar -xzf`), ms. */
  composedPull: number[];
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

/** A prepared OCI layout (tag `t`) of a pushed artifact. */
export interface PreparedLayout {
  /** The layout directory. */
  dir: string;
  /** Path of the config blob inside it. */
  configPath: string;
  /** The config's media type. */
  configMediaType: string;
  /** The layer's media type. */
  layerMediaType: string;
  /** Bytes of the layer. */
  layerBytes: number;
}

/**
 * Copies `ref` into the OCI layout `dir` with skopeo (blobs as pushed) and
 * reads what the composed push needs from it.
 */
export async function prepareLayout(
  ref: string,
  dir: string,
  auth?: BenchAuth,
): Promise<PreparedLayout> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await runSkopeoCopy(`docker://${ref}`, `oci:${dir}:t`, auth);
  const index = JSON.parse(await Deno.readTextFile(join(dir, "index.json")));
  const blob = (digest: string) => join(dir, "blobs", ...digest.split(":"));
  const manifest = JSON.parse(
    await Deno.readTextFile(blob(index.manifests[0].digest)),
  );
  return {
    dir,
    configPath: blob(manifest.config.digest),
    configMediaType: manifest.config.mediaType,
    layerMediaType: manifest.layers[0].mediaType,
    layerBytes: manifest.layers[0].size,
  };
}

/**
 * The composed push of `dir` to `dest` (`docker://…`) with the config and
 * media types of `layout`; wall time of the whole pipeline in ms.
 */
export async function runComposedPush(
  dir: string,
  layout: PreparedLayout,
  dest: string,
  root: string,
  auth?: BenchAuth,
): Promise<number> {
  const work = await Deno.makeTempDir({ dir: root, prefix: "composed-" });
  try {
    const { ms } = await runIsolated("sh", [
      "-c",
      COMPOSED_PUSH,
      dir,
      work,
      layout.configPath,
      layout.configMediaType,
      layout.layerMediaType,
      dest,
      ...skopeoCopyArgs("oci:", dest, auth),
    ]);
    return ms;
  } finally {
    await discard(work);
  }
}

/** The composed pull of `src` (`docker://…`) into `dest`; ms. */
export async function runComposedPull(
  src: string,
  dest: string,
  root: string,
  auth?: BenchAuth,
): Promise<number> {
  const work = await Deno.makeTempDir({ dir: root, prefix: "composed-" });
  try {
    const { ms } = await runIsolated("sh", [
      "-c",
      COMPOSED_PULL,
      src,
      work,
      dest,
      ...skopeoCopyArgs(src, "dir:", auth),
    ]);
    return ms;
  } finally {
    await discard(work);
  }
}

/**
 * Measures pull and push of `corpus` `runs` times each (after one discarded
 * warm-up round unless `warmup` is false).
 */
export async function measureTransfer(
  reg: RegistryHandle,
  root: string,
  corpus: Corpus,
  runs: number,
  warmup: boolean,
  log: (msg: string) => void,
  options: TransferOptions = {},
): Promise<SizeResult> {
  const { auth } = options;
  const sizeMiB = corpus.bytes / (1024 * 1024);
  const id = corpus.id;
  const tag = "v1.0.0";
  const at = options.name ? `${options.name} ` : "";
  const say = (msg: string) => log(`  ${at}${msg}`);
  const pullRef = reg.ref(`bench/pull-${id}`, tag);
  say(`seeding ${pullRef}`);
  await runOurs("push", corpus.dir, pullRef, [], auth);
  const layout = await prepareLayout(
    pullRef,
    join(root, `${options.name ?? "dist"}-layout-${id}`),
    auth,
  );

  const result: SizeResult = {
    id,
    label: corpus.label,
    sizeMiB,
    files: corpus.files,
    layerBytes: layout.layerBytes,
    pull: { ours: [], skopeo: [] },
    push: { ours: [], skopeo: [] },
    upload: { ours: [], skopeo: [] },
    pack: { ours: [], skopeo: [] },
    composedPush: [],
    composedPull: [],
  };
  const name = corpus.label;
  let seq = 0;
  const start = warmup ? -1 : 0;
  for (let round = start; round < runs; round++) {
    const keep = round >= 0;
    const label = keep ? `run ${round + 1}/${runs}` : "warm-up";
    await rotated(round + 1, [
      async () => {
        const dest = join(root, `pull-ours-${seq++}`);
        const r = await runOurs("pull", pullRef, dest, [], auth);
        await discard(dest);
        if (keep) result.pull.ours.push(r);
        say(`${name} pull ours     ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const dest = join(root, `pull-skopeo-${seq++}`);
        const ms = await runSkopeoCopy(
          `docker://${pullRef}`,
          `oci:${dest}:t`,
          auth,
        );
        await discard(dest);
        if (keep) result.pull.skopeo.push(ms);
        say(`${name} pull skopeo   ${label}: ${ms.toFixed(0)} ms`);
      },
      async () => {
        const dest = join(root, `pull-composed-${seq++}`);
        const ms = await runComposedPull(
          `docker://${pullRef}`,
          dest,
          root,
          auth,
        );
        await discard(dest);
        if (keep) result.composedPull.push(ms);
        say(`${name} pull composed ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
    await rotated(round + 1, [
      async () => {
        const ref = reg.ref(`bench/push-${id}-ours-${seq++}`, tag);
        const r = await runOurs("push", corpus.dir, ref, [], auth);
        if (keep) result.push.ours.push(r);
        say(`${name} push ours     ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const ref = reg.ref(`bench/upload-${id}-ours-${seq++}`, tag);
        const r = await runOurs("upload", layout.dir, ref, [], auth);
        if (keep) result.upload.ours.push(r);
        say(`${name} upload ours   ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const ref = reg.ref(`bench/push-${id}-skopeo-${seq++}`, tag);
        const ms = await runSkopeoCopy(
          `oci:${layout.dir}:t`,
          `docker://${ref}`,
          auth,
        );
        if (keep) result.push.skopeo.push(ms);
        say(`${name} push skopeo   ${label}: ${ms.toFixed(0)} ms`);
      },
      async () => {
        const ref = reg.ref(`bench/push-${id}-composed-${seq++}`, tag);
        const ms = await runComposedPush(
          corpus.dir,
          layout,
          `docker://${ref}`,
          root,
          auth,
        );
        if (keep) result.composedPush.push(ms);
        say(`${name} push composed ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
    if (options.pack === false) continue;
    await rotated(round + 1, [
      async () => {
        const r = await runOurs("pack", corpus.dir, "-");
        if (keep) result.pack.ours.push(r);
        say(`${name} pack ours     ${label}: ${r.ms.toFixed(0)} ms`);
      },
      async () => {
        const { ms } = await timeCommand("sh", [
          "-c",
          'tar -C "$0" -cf - . | gzip -6 | sha256sum',
          corpus.dir,
        ]);
        if (keep) result.pack.skopeo.push(ms);
        say(`${name} pack tar|gzip ${label}: ${ms.toFixed(0)} ms`);
      },
    ]);
  }
  result.upload.skopeo = result.push.skopeo;
  return result;
}
