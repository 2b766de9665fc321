/**
 * Shared fixtures of the layout tests: temp dirs, a small Klaus-style
 * artifact (config blob + gzip layer + annotated manifest), and running
 * skopeo.
 */
import type { LayoutStore } from "../../src/layout/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import type { RepositoryRef } from "../../src/oci/store.ts";

export const PLUGIN_CONFIG =
  "application/vnd.giantswarm.klaus-plugin.config.v1+json";
export const PLUGIN_CONTENT =
  "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip";

/** Runs `fn` with a fresh temp dir that is removed afterwards. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "klaus-layout-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A layout repository address for `dir`. */
export function layoutRepo(dir: string): RepositoryRef {
  return { registry: "ocidir://", repository: dir };
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(out).arrayBuffer());
}

export function descriptorOf(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

export interface Artifact {
  config: Uint8Array;
  configDesc: Descriptor;
  layer: Uint8Array;
  layerDesc: Descriptor;
  manifest: Uint8Array;
  manifestDesc: Descriptor;
}

/** The pieces of a plugin-like artifact; `seed` varies the content. */
export async function makeArtifact(seed = "base"): Promise<Artifact> {
  const enc = new TextEncoder();
  const config = enc.encode(JSON.stringify({ skills: [seed, "kubernetes"] }));
  const layer = await gzip(enc.encode(`content of ${seed}\n`.repeat(200)));
  const configDesc = descriptorOf(PLUGIN_CONFIG, config);
  const layerDesc = descriptorOf(PLUGIN_CONTENT, layer);
  const manifest = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: configDesc,
    layers: [layerDesc],
    annotations: {
      "io.giantswarm.klaus.description": `the ${seed} plugin <&>`,
      "io.giantswarm.klaus.name": seed,
    },
  }));
  return {
    config,
    configDesc,
    layer,
    layerDesc,
    manifest,
    manifestDesc: descriptorOf(MEDIA_TYPE_OCI_MANIFEST, manifest),
  };
}

/** Pushes `a` into the layout at `dir` under every tag in `tags`. */
export async function pushArtifact(
  store: LayoutStore,
  dir: string,
  a: Artifact,
  tags: string[],
): Promise<void> {
  const repo = layoutRepo(dir);
  await store.pushBlob(repo, a.configDesc, a.config);
  await store.pushBlob(
    repo,
    a.layerDesc,
    () => new Blob([a.layer as BlobPart]).stream(),
  );
  for (const tag of tags) {
    await store.pushManifest(
      { ...repo, tag },
      a.manifest,
      MEDIA_TYPE_OCI_MANIFEST,
    );
  }
}

/** Reads a whole stream. */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Runs skopeo; returns exit code and output. */
export async function skopeo(
  ...args: string[]
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const out = await new Deno.Command("skopeo", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Runs skopeo and fails with its stderr unless it succeeds. */
export async function skopeoOk(...args: string[]): Promise<Uint8Array> {
  const r = await skopeo(...args);
  if (r.code !== 0) {
    throw new Error(`skopeo ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  }
  return r.stdout;
}

/** Names in `dir` (for checking that no temp or lock file is left). */
export async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}
