/**
 * Shared helpers of the operation tests (`ops_*_test.ts`): one real
 * registry per test file, artifacts put into it over raw HTTP (independent
 * of our client, fast enough for dozens of repositories), directory
 * snapshots for the pull-safety checks.
 *
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Client, type ClientOptions } from "../../src/mod.ts";
import type { RegistryHandle } from "../harness/registry.ts";
import { sha256 } from "../harness/seed.ts";

export { fixture, text, withTempDir, writeTree } from "./_fs_helpers.ts";

/** Media types of the Klaus wire format (spelled out, not imported). */
export const MT = {
  pluginConfig: "application/vnd.giantswarm.klaus-plugin.config.v1+json",
  pluginContent: "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
  personalityConfig:
    "application/vnd.giantswarm.klaus-personality.config.v1+json",
  personalityContent:
    "application/vnd.giantswarm.klaus-personality.content.v1.tar+gzip",
  imageConfig: "application/vnd.oci.image.config.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
} as const;

/** Annotation keys of the Klaus wire format (spelled out, not imported). */
export const ANN = {
  name: "io.giantswarm.klaus.name",
  description: "io.giantswarm.klaus.description",
  homepage: "io.giantswarm.klaus.homepage",
  repository: "io.giantswarm.klaus.repository",
  license: "io.giantswarm.klaus.license",
  keywords: "io.giantswarm.klaus.keywords",
  authorName: "io.giantswarm.klaus.author.name",
  authorEmail: "io.giantswarm.klaus.author.email",
  authorUrl: "io.giantswarm.klaus.author.url",
} as const;

const te = new TextEncoder();

/** A layer to put into a raw-pushed manifest. */
export interface RawLayer {
  /** Media type of the descriptor. */
  mediaType: string;
  /** Content. */
  bytes: Uint8Array;
  /** Override the descriptor's digest (to make it lie). */
  digest?: string;
  /** Override the descriptor's size. */
  size?: number;
}

/** What {@linkcode rawPush} puts into the registry. */
export interface RawArtifact {
  /** Config blob content (string taken as is). */
  config: string | Uint8Array;
  /** Config media type. */
  configMediaType: string;
  /** Manifest annotations (omitted when undefined). */
  annotations?: Record<string, string>;
  /** Layers (default none, as the Go module's test registry serves). */
  layers?: RawLayer[];
}

/** What {@linkcode rawPush} pushed. */
export interface RawPushed {
  /** Manifest digest. */
  digest: string;
  /** The exact manifest bytes. */
  manifest: Uint8Array;
  /** Config digest. */
  configDigest: string;
}

async function uploadBlob(
  reg: RegistryHandle,
  repo: string,
  bytes: Uint8Array,
): Promise<string> {
  const digest = await sha256(bytes);
  const head = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`, {
    method: "HEAD",
  });
  await head.body?.cancel();
  if (head.status === 200) return digest;
  const post = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
  });
  await post.body?.cancel();
  if (post.status !== 202) throw new Error(`POST upload: ${post.status}`);
  const loc = new URL(post.headers.get("location")!, reg.url);
  loc.searchParams.set("digest", digest);
  const put = await fetch(loc, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status}`);
  return digest;
}

/** Puts manifest bytes under `reference` (a tag or the manifest digest). */
export async function putManifest(
  reg: RegistryHandle,
  repo: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string = MT.manifest,
): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const body = await res.text();
  if (res.status !== 201) {
    throw new Error(`PUT manifest ${repo}:${reference}: ${res.status} ${body}`);
  }
}

/**
 * Pushes an OCI image manifest (config + layers + annotations, Go's
 * `ocispec.Manifest` shape) to an open-mode registry over raw HTTP and tags
 * it with every tag — or, with no tags, puts it by digest only.
 */
export async function rawPush(
  reg: RegistryHandle,
  repo: string,
  tags: string[],
  artifact: RawArtifact,
): Promise<RawPushed> {
  const config = typeof artifact.config === "string"
    ? te.encode(artifact.config)
    : artifact.config;
  const configDigest = await uploadBlob(reg, repo, config);
  const layers = [];
  for (const l of artifact.layers ?? []) {
    const real = await uploadBlob(reg, repo, l.bytes);
    layers.push({
      mediaType: l.mediaType,
      digest: l.digest ?? real,
      size: l.size ?? l.bytes.byteLength,
    });
  }
  const manifest = te.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: {
      mediaType: artifact.configMediaType,
      digest: configDigest,
      size: config.byteLength,
    },
    layers,
    ...(artifact.annotations ? { annotations: artifact.annotations } : {}),
  }));
  const digest = await sha256(manifest);
  if (tags.length === 0) await putManifest(reg, repo, digest, manifest);
  for (const tag of tags) await putManifest(reg, repo, tag, manifest);
  return { digest, manifest, configDigest };
}

/** A client for `reg` (plain HTTP) with every short-name base below it. */
export function clientFor(
  reg: RegistryHandle,
  options: ClientOptions = {},
): Client {
  return new Client({
    plainHttp: true,
    registries: {
      plugin: `${reg.host}/giantswarm/klaus-plugins`,
      personality: `${reg.host}/giantswarm/klaus-personalities`,
      toolchain: `${reg.host}/giantswarm/klaus-toolchains`,
    },
    ...options,
  });
}

/**
 * Every entry below `dir` as `relative path → description`: `dir` for
 * directories, `file <mode> <sha256>` for files (so a snapshot taken before
 * and after a failed pull must be deeply equal).
 */
export async function snapshotTree(
  dir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      const s = await stat(join(dir, r));
      if (e.isDirectory()) {
        out[r] = `dir ${(s.mode & 0o777).toString(8)}`;
        await walk(r);
      } else {
        const bytes = await readFile(join(dir, r));
        out[r] = `file ${(s.mode & 0o777).toString(8)} ${await sha256(bytes)}`;
      }
    }
  };
  await walk("");
  return out;
}

/**
 * {@linkcode snapshotTree} without `.oci-cache.json` and modes: what an
 * extraction must reproduce from a source tree (directories are always
 * created 0755, as by the Go module).
 */
export async function contentTree(
  dir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(await snapshotTree(dir))) {
    if (k === ".oci-cache.json") continue;
    out[k] = v.startsWith("dir") ? "dir" : v.replace(/^file \d+ /, "");
  }
  return out;
}

/** Siblings of `dir` left behind by a swap (`<name>.tmp-*`, `<name>.old-*`). */
export async function straySiblings(dir: string): Promise<string[]> {
  const name = basename(dir);
  return (await readdir(dirname(dir))).filter((n) =>
    n.startsWith(`${name}.tmp-`) || n.startsWith(`${name}.old-`)
  );
}

/** The message of a rejected promise (fails when it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected a rejection, got a result");
}
