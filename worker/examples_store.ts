/**
 * Pushes the project's `examples/` — plugins, personalities and a
 * toolchain image index — to registry bases: an `ocidir://` store for
 * `deno task start`, or a real registry for tests. Plugins and
 * personalities go through the client's push; the toolchain index is
 * written through an {@linkcode OciStore}.
 *
 * @module
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readPersonalityFromDir } from "../src/artifact/read_personality.ts";
import { readPluginFromDir } from "../src/artifact/read_plugin.ts";
import type { Client } from "../src/client.ts";
import type { Descriptor } from "../src/oci/descriptor.ts";
import { digestOf } from "../src/oci/digest.ts";
import {
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../src/oci/media_types.ts";
import type { OciStore } from "../src/oci/store.ts";
import { parseReference } from "../src/ref/reference.ts";
import type { RegistryBases } from "./kinds.ts";

/** What `examples/examples.json` says: tags per artifact and kind. */
export interface ExamplesManifest {
  /** Plugin name → tags. */
  plugins: Record<string, string[]>;
  /** Personality name → tags. */
  personalities: Record<string, string[]>;
  /** Toolchain name → tags. */
  toolchains: Record<string, string[]>;
}

/** A toolchain description (`toolchains/<name>/toolchain.json`). */
export interface ToolchainSpec {
  /** Platforms of the index, one tiny image each. */
  platforms: { os: string; architecture: string }[];
  /** Annotations of the index (the `io.giantswarm.klaus.*` metadata). */
  annotations: Record<string, string>;
}

/** The part of the library client the seeding uses. */
export type PushClient = Pick<Client, "pushPlugin" | "pushPersonality">;

/** What was pushed: `kind/name:tag` → manifest digest. */
export type PushedExamples = Record<string, string>;

const CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
const TAR_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar";

const enc = new TextEncoder();

function descriptor(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

/**
 * Writes an OCI image index under every tag of `tags` at `repository`:
 * one minimal image per platform (an empty tar layer and an image config),
 * the spec's annotations on the index. Deterministic: same spec, same
 * digest.
 *
 * @example
 * ```ts ignore
 * await writeToolchainIndex(new LayoutStore(), "ocidir:///tmp/store/go", ["1.0.0"], spec);
 * ```
 */
export async function writeToolchainIndex(
  store: OciStore,
  repository: string,
  tags: readonly string[],
  spec: ToolchainSpec,
): Promise<string> {
  const repo = parseReference(repository);
  const layer = new Uint8Array(1024); // an empty tar: two zero blocks
  const layerDesc = descriptor(TAR_MEDIA_TYPE, layer);
  await store.pushBlob(repo, layerDesc, layer);
  const manifests: Descriptor[] = [];
  for (const p of spec.platforms) {
    const config = enc.encode(JSON.stringify({
      architecture: p.architecture,
      os: p.os,
      config: {},
      rootfs: { type: "layers", diff_ids: [layerDesc.digest] },
    }));
    const configDesc = descriptor(CONFIG_MEDIA_TYPE, config);
    await store.pushBlob(repo, configDesc, config);
    const manifest = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: configDesc,
      layers: [layerDesc],
    }));
    const d = descriptor(MEDIA_TYPE_OCI_MANIFEST, manifest);
    await store.pushManifest(
      { ...repo, digest: d.digest },
      manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
    manifests.push(
      {
        ...d,
        platform: { os: p.os, architecture: p.architecture },
      } as Descriptor,
    );
  }
  const index = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests,
    annotations: spec.annotations,
  }));
  let digest = "";
  for (const tag of tags) {
    digest =
      (await store.pushManifest({ ...repo, tag }, index, MEDIA_TYPE_OCI_INDEX))
        .digest;
  }
  return digest;
}

/** Reads `examples.json`. */
export async function readExamplesManifest(
  examplesDir: string,
): Promise<ExamplesManifest> {
  return JSON.parse(await readFile(join(examplesDir, "examples.json"), "utf8"));
}

/**
 * Pushes every example under the given bases.
 *
 * @example
 * ```ts ignore
 * await pushExamples(client, new LayoutStore(), "examples", bases);
 * ```
 */
export async function pushExamples(
  client: PushClient,
  store: OciStore,
  examplesDir: string,
  bases: RegistryBases,
): Promise<PushedExamples> {
  const m = await readExamplesManifest(examplesDir);
  const pushed: PushedExamples = {};
  for (const [name, tags] of Object.entries(m.plugins)) {
    const dir = join(examplesDir, "plugins", name);
    const plugin = await readPluginFromDir(dir);
    for (const tag of tags) {
      const r = await client.pushPlugin(
        dir,
        `${bases.plugin}/${name}:${tag}`,
        plugin,
      );
      pushed[`plugin/${name}:${tag}`] = r.digest;
    }
  }
  for (const [name, tags] of Object.entries(m.personalities)) {
    const dir = join(examplesDir, "personalities", name);
    const personality = await readPersonalityFromDir(dir);
    for (const tag of tags) {
      const r = await client.pushPersonality(
        dir,
        `${bases.personality}/${name}:${tag}`,
        personality,
      );
      pushed[`personality/${name}:${tag}`] = r.digest;
    }
  }
  for (const [name, tags] of Object.entries(m.toolchains)) {
    const spec = JSON.parse(
      await readFile(
        join(examplesDir, "toolchains", name, "toolchain.json"),
        "utf8",
      ),
    ) as ToolchainSpec;
    const digest = await writeToolchainIndex(
      store,
      `${bases.toolchain}/${name}`,
      tags,
      spec,
    );
    for (const tag of tags) pushed[`toolchain/${name}:${tag}`] = digest;
  }
  return pushed;
}

async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      for (const f of await walk(join(dir, e.name), rel)) out.push(f);
    } else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * A digest of every file name and content below `dir`: the seeding marker,
 * so edited examples are pushed again and unchanged ones are not.
 *
 * @example
 * ```ts ignore
 * console.log(await treeFingerprint("examples"));
 * ```
 */
export async function treeFingerprint(dir: string): Promise<string> {
  const files = (await walk(dir)).sort();
  const parts: string[] = [];
  for (const f of files) {
    parts.push(f, digestOf(new Uint8Array(await readFile(join(dir, f)))));
  }
  return digestOf(enc.encode(parts.join("\n")));
}

/** The `ocidir://` bases inside a store directory (absolute). */
export function storeBases(storeDir: string): RegistryBases {
  return {
    plugin: `ocidir://${storeDir}/klaus-plugins`,
    personality: `ocidir://${storeDir}/klaus-personalities`,
    toolchain: `ocidir://${storeDir}/klaus-toolchains`,
  };
}

const MARKER = ".seeded";

/**
 * Pushes the examples into `storeDir` unless the store already holds this
 * exact version of them (idempotent; safe to call on every start).
 * Returns whether anything was pushed.
 *
 * @example
 * ```ts ignore
 * await seedExampleStore(new Client(), new LayoutStore(), "examples", ".examples-store");
 * ```
 */
export async function seedExampleStore(
  client: PushClient,
  store: OciStore,
  examplesDir: string,
  storeDir: string,
): Promise<boolean> {
  const fingerprint = await treeFingerprint(examplesDir);
  const marker = join(storeDir, MARKER);
  const seen = await readFile(marker, "utf8").catch(() => "");
  if (seen.trim() === fingerprint) return false;
  // Start over so tags removed from examples.json disappear too.
  for (
    const sub of ["klaus-plugins", "klaus-personalities", "klaus-toolchains"]
  ) {
    await rm(join(storeDir, sub), { recursive: true, force: true });
  }
  await mkdir(storeDir, { recursive: true });
  await pushExamples(client, store, examplesDir, storeBases(storeDir));
  await writeFile(marker, `${fingerprint}\n`);
  return true;
}
