/**
 * Puts test content into a real registry without using our own client: the
 * content is written as an OCI image layout in a temp dir and copied with
 * `skopeo copy --all --preserve-digests oci:<dir>:<tag> docker://…`, so the
 * bytes in the registry are exactly the bytes built here.
 *
 * @module
 */
import type { RegistryHandle } from "./registry.ts";
import { copy } from "./skopeo.ts";

/** OCI image manifest media type. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index media type. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image config media type. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI gzip layer media type. */
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

/** A descriptor plus the exact bytes it describes. */
export interface SeededBlob {
  /** Media type. */
  mediaType: string;
  /** `sha256:<hex>` of `bytes`. */
  digest: string;
  /** Length of `bytes`. */
  size: number;
  /** Descriptor annotations, if any. */
  annotations?: Record<string, string>;
  /** The content. */
  bytes: Uint8Array;
}

/** A blob to put into a manifest. */
export interface BlobSpec {
  /** Media type of the layer. */
  mediaType: string;
  /** Content. */
  bytes: Uint8Array;
  /** Descriptor annotations. */
  annotations?: Record<string, string>;
}

/** A seeded image manifest. */
export interface SeededManifest extends SeededBlob {
  /** Repository below the registry. */
  repository: string;
  /** Tags it was pushed under. */
  tags: string[];
  /** The config blob. */
  config: SeededBlob;
  /** The layers. */
  layers: SeededBlob[];
}

/** A seeded image index. */
export interface SeededIndex extends SeededBlob {
  /** Repository below the registry. */
  repository: string;
  /** Tags it was pushed under. */
  tags: string[];
  /** The child image manifests, in index order. */
  manifests: SeededManifest[];
}

/** Options of {@linkcode seedArtifact}. */
export interface SeedArtifactOptions {
  /** Manifest media type (default OCI image manifest). */
  manifestMediaType?: string;
  /** `artifactType` field of the manifest (omitted by default). */
  artifactType?: string;
  /** Config media type (default OCI image config). */
  configMediaType?: string;
  /**
   * Config content: bytes or a string taken as is, anything else
   * `JSON.stringify`d. Default: a valid image config for image configs
   * (diff_ids computed from the layers), `{}` otherwise.
   */
  configJson?: unknown;
  /** Media type of the single layer (default OCI tar+gzip). */
  layerMediaType?: string;
  /** Content of the single layer (default: a tiny tar.gz). */
  layerBytes?: Uint8Array;
  /** Several layers instead of the single one. */
  layers?: BlobSpec[];
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}

/** One platform image of {@linkcode seedIndex}. */
export interface PlatformSpec {
  /** `os` of the platform (default `linux`). */
  os?: string;
  /** `architecture` of the platform. */
  architecture: string;
  /** Annotations of that platform's manifest. */
  annotations?: Record<string, string>;
}

/** Options of {@linkcode seedIndex}. */
export interface SeedIndexOptions {
  /** Platforms (default linux/amd64 and linux/arm64). */
  platforms?: PlatformSpec[];
}

const te = new TextEncoder();

/**
 * `sha256:<hex>` of `bytes`.
 *
 * @example
 * ```ts
 * console.log(await sha256(new TextEncoder().encode("")));
 * ```
 */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return `sha256:${
    Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

async function blob(
  mediaType: string,
  bytes: Uint8Array,
  annotations?: Record<string, string>,
): Promise<SeededBlob> {
  const b: SeededBlob = {
    mediaType,
    digest: await sha256(bytes),
    size: bytes.length,
    bytes,
  };
  if (annotations) b.annotations = annotations;
  return b;
}

function descriptor(b: SeededBlob, extra: Record<string, unknown> = {}) {
  return {
    mediaType: b.mediaType,
    digest: b.digest,
    size: b.size,
    ...extra,
    ...(b.annotations ? { annotations: b.annotations } : {}),
  };
}

function tarHeader(name: string, size: number, type: "0" | "5"): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, off: number, len: number) =>
    h.set(te.encode(s).subarray(0, len), off);
  const oct = (n: number, len: number) =>
    n.toString(8).padStart(len - 1, "0") + "\0";
  if (te.encode(name).length > 100) {
    throw new Error(`tar name too long: ${name}`);
  }
  put(name, 0, 100);
  put(oct(type === "5" ? 0o755 : 0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(0, 12), 136, 12);
  put("        ", 148, 8);
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

/**
 * A POSIX ustar archive of `files` (path → content), with entries for the
 * parent directories, in insertion order.
 *
 * @example
 * ```ts
 * const tar = makeTar({ "plugin.json": "{}", "skills/a/SKILL.md": "# A" });
 * ```
 */
export function makeTar(
  files: Record<string, string | Uint8Array>,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const dirs = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join("/") + "/";
      if (!dirs.has(dir)) {
        dirs.add(dir);
        parts.push(tarHeader(dir, 0, "5"));
      }
    }
    const bytes = typeof content === "string" ? te.encode(content) : content;
    parts.push(tarHeader(path, bytes.length, "0"), bytes);
    const pad = (512 - (bytes.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * gzip-compresses `bytes`.
 *
 * @example
 * ```ts
 * const gz = await gzip(makeTar({ a: "x" }));
 * ```
 */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(
      new CompressionStream("gzip"),
    );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A tar.gz of `files`.
 *
 * @example
 * ```ts
 * const layer = await tarGz({ "plugin.json": "{\"name\":\"a\"}" });
 * ```
 */
export async function tarGz(
  files: Record<string, string | Uint8Array>,
): Promise<Uint8Array> {
  return await gzip(makeTar(files));
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(
      new DecompressionStream("gzip"),
    );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function imageConfig(
  layers: SeededBlob[],
  platform: { os: string; architecture: string },
): Promise<Uint8Array> {
  const diffIds: string[] = [];
  for (const l of layers) {
    diffIds.push(
      l.mediaType.endsWith("+gzip")
        ? await sha256(await gunzip(l.bytes))
        : l.digest,
    );
  }
  return te.encode(JSON.stringify({
    architecture: platform.architecture,
    os: platform.os,
    config: {},
    rootfs: { type: "layers", diff_ids: diffIds },
  }));
}

async function buildManifest(
  repository: string,
  tags: string[],
  options: SeedArtifactOptions,
  platform = { os: "linux", architecture: "amd64" },
): Promise<SeededManifest> {
  const specs: BlobSpec[] = options.layers ?? [{
    mediaType: options.layerMediaType ?? OCI_LAYER_GZIP,
    bytes: options.layerBytes ??
      await tarGz({
        "hello.txt": `hello from ${repository} ${platform.architecture}\n`,
      }),
  }];
  const layers = await Promise.all(
    specs.map((s) => blob(s.mediaType, s.bytes, s.annotations)),
  );
  const configMediaType = options.configMediaType ?? OCI_CONFIG;
  let configBytes: Uint8Array;
  const cj = options.configJson;
  if (cj instanceof Uint8Array) configBytes = cj;
  else if (typeof cj === "string") configBytes = te.encode(cj);
  else if (cj !== undefined) configBytes = te.encode(JSON.stringify(cj));
  else if (configMediaType === OCI_CONFIG) {
    configBytes = await imageConfig(layers, platform);
  } else configBytes = te.encode("{}");
  const config = await blob(configMediaType, configBytes);
  const mediaType = options.manifestMediaType ?? OCI_MANIFEST;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: descriptor(config),
    layers: layers.map((l) => descriptor(l)),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  const bytes = te.encode(JSON.stringify(manifest));
  return {
    ...(await blob(mediaType, bytes)),
    repository,
    tags,
    config,
    layers,
  };
}

/**
 * Writes an OCI image layout at `dir` holding `blobs`, with `index.json`
 * listing `top` once per tag (`org.opencontainers.image.ref.name`).
 *
 * @example
 * ```ts
 * await writeOciLayout(dir, [manifest, manifest.config, ...manifest.layers], manifest, ["v1"]);
 * ```
 */
export async function writeOciLayout(
  dir: string,
  blobs: SeededBlob[],
  top: SeededBlob,
  tags: string[],
): Promise<void> {
  await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/oci-layout`,
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  for (const b of blobs) {
    await Deno.writeFile(
      `${dir}/blobs/sha256/${b.digest.slice("sha256:".length)}`,
      b.bytes,
    );
  }
  const index = {
    schemaVersion: 2,
    manifests: tags.map((tag) => ({
      mediaType: top.mediaType,
      digest: top.digest,
      size: top.size,
      annotations: { "org.opencontainers.image.ref.name": tag },
    })),
  };
  await Deno.writeTextFile(`${dir}/index.json`, JSON.stringify(index));
}

async function pushLayout(
  registry: RegistryHandle,
  repository: string,
  blobs: SeededBlob[],
  top: SeededBlob,
  tags: string[],
): Promise<void> {
  if (tags.length === 0) throw new Error("seed: at least one tag is needed");
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-seed-" });
  try {
    await writeOciLayout(dir, blobs, top, tags);
    for (const tag of tags) {
      await copy(
        `oci:${dir}:${tag}`,
        `docker://${registry.ref(repository, tag)}`,
        {
          registry,
        },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Pushes one manifest (config + layers) to `repository` under every tag.
 *
 * @example
 * ```ts
 * const m = await seedArtifact(reg, "plugins/a", ["v1.0.0"], {
 *   configMediaType: "application/vnd.giantswarm.klaus-plugin.config.v1+json",
 *   configJson: { name: "a" },
 *   annotations: { "io.giantswarm.klaus.name": "a" },
 * });
 * console.log(m.digest);
 * ```
 */
export async function seedArtifact(
  registry: RegistryHandle,
  repository: string,
  tags: string[],
  options: SeedArtifactOptions = {},
): Promise<SeededManifest> {
  const m = await buildManifest(repository, tags, options);
  await pushLayout(registry, repository, [m, m.config, ...m.layers], m, tags);
  return m;
}

/**
 * Pushes a multi-platform image index (annotations on the index; each
 * platform a real image with a tar.gz layer) under every tag.
 *
 * @example
 * ```ts
 * const idx = await seedIndex(reg, "toolchains/go", ["v1.0.0"], { "io.giantswarm.klaus.name": "go" });
 * console.log(idx.digest, idx.manifests.length);
 * ```
 */
export async function seedIndex(
  registry: RegistryHandle,
  repository: string,
  tags: string[],
  annotations?: Record<string, string>,
  options: SeedIndexOptions = {},
): Promise<SeededIndex> {
  const platforms = options.platforms ??
    [{ architecture: "amd64" }, { architecture: "arm64" }];
  const manifests: SeededManifest[] = [];
  for (const p of platforms) {
    const platform = { os: p.os ?? "linux", architecture: p.architecture };
    manifests.push(
      await buildManifest(
        repository,
        tags,
        { annotations: p.annotations },
        platform,
      ),
    );
  }
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: manifests.map((m, i) =>
      descriptor(m, {
        platform: {
          architecture: platforms[i].architecture,
          os: platforms[i].os ?? "linux",
        },
      })
    ),
    ...(annotations ? { annotations } : {}),
  };
  const top = await blob(OCI_INDEX, te.encode(JSON.stringify(index)));
  const blobs = [top, ...manifests.flatMap((m) => [m, m.config, ...m.layers])];
  await pushLayout(registry, repository, blobs, top, tags);
  return { ...top, repository, tags, manifests };
}
