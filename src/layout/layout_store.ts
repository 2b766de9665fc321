/**
 * An {@linkcode OciStore} over OCI image layouts on disk (`ocidir://`),
 * interoperable with skopeo's `oci:<dir>:<tag>` transport, oras and
 * regclient: `oci-layout`, `index.json` whose descriptors carry tags in
 * `org.opencontainers.image.ref.name`, content in `blobs/<alg>/<hex>`.
 *
 * @module
 */
import { verifiedBlobStream } from "../oci/verified_blob.ts";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  DigestMismatchError,
  InvalidArtifactError,
  InvalidReferenceError,
  NotFoundError,
  TooLargeError,
} from "../errors.ts";
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { digestAlgorithm, digestOf, verifyBytes } from "../oci/digest.ts";
import {
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
} from "../oci/media_types.ts";
import type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  ProgressEvent,
  RepositoryRef,
  Resolved,
  ResolveOptions,
  TagList,
  TransferOptions,
} from "../oci/store.ts";
import { OCI_LAYOUT_REGISTRY, type Reference } from "../ref/reference_type.ts";
import { ingestBlob } from "./blob_ingest.ts";
import { DEFAULT_CHUNK_SIZE, openFileStream } from "./blob_reader.ts";
import { withFileLock } from "./file_lock.ts";
import {
  fileSize,
  isAlreadyExists,
  isFile,
  isNotFound,
  writeFileAtomic,
} from "./fs_util.ts";
import { parseManifest, readManifestBlob } from "./manifest_file.ts";
import {
  emptyIndex,
  findTagged,
  type LayoutIndex,
  parseIndex,
  serializeIndex,
  tagsOf,
  withTag,
  withUntagged,
} from "./index_json.ts";
import {
  blobPath,
  layoutDir,
  OCI_IMAGE_LAYOUT_VERSION,
  OCI_INDEX_FILE,
  OCI_LAYOUT_FILE,
} from "./layout_files.ts";
import { findLayouts } from "./list_layouts.ts";
import { bytesStream } from "../_bytes.ts";
import { referrersFromTagSchema } from "../oci/referrers.ts";

/**
 * Options of {@linkcode LayoutStore}.
 */
export interface LayoutStoreOptions {
  /** Directory relative layout paths are resolved from (default: the process working directory). */
  cwd?: string;
  /** Read size when streaming blobs (default 1 MiB). */
  chunkSize?: number;
  /** How long a push waits for the `index.json.lock` of a layout (default 30 s). */
  lockTimeoutMs?: number;
  /** Age after which a left-over `index.json.lock` is broken (default 10 s). */
  staleLockMs?: number;
}

/**
 * Options of {@linkcode LayoutStore.pushBlobStream}.
 */
export interface PushBlobStreamOptions extends TransferOptions {
  /** Media type of the returned descriptor (default `application/octet-stream`). */
  mediaType?: string;
}

const INDEX_MEDIA_TYPES = new Set([
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
]);
/** How many nested indexes a digest lookup reads at most. */
const MAX_INDEXES_SEARCHED = 1000;

/**
 * OCI image layouts on disk as an {@linkcode OciStore}. A reference or
 * repository with `registry: "ocidir://"` names the layout at directory
 * `repository` (relative paths from `cwd`).
 *
 * - Tags are the `org.opencontainers.image.ref.name` annotations of the
 *   descriptors in `index.json`; when several carry the same tag, the last
 *   one wins. Pushing a tag replaces the descriptor that carried it.
 * - A digest resolves when its blob exists and it is listed in
 *   `index.json` or referenced by an image index listed there (the
 *   per-platform manifests of a multi-arch image).
 * - Everything read is verified against its digest and size; everything
 *   written goes through a temp file and a rename, `index.json` updates
 *   also through a lock file, so concurrent pushers (in any number of
 *   processes) never lose each other's tags.
 * - `listRepositories("ocidir://<root>")` lists the layouts strictly below
 *   `<root>` (the root itself has no short name and is not listed).
 */
export class LayoutStore implements OciStore {
  #cwd?: string;
  #chunkSize: number;
  #lockTimeoutMs?: number;
  #staleLockMs?: number;

  /** Creates a store; it holds no open resources. */
  constructor(options: LayoutStoreOptions = {}) {
    this.#cwd = options.cwd;
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#lockTimeoutMs = options.lockTimeoutMs;
    this.#staleLockMs = options.staleLockMs;
  }

  /**
   * Absolute directory of the layout `repo` names.
   */
  layoutPath(repo: RepositoryRef): string {
    return layoutDir(repo, this.#cwd);
  }

  /** The descriptor of the manifest `ref` names (digest wins over tag). */
  async resolve(ref: Reference, options?: ResolveOptions): Promise<Resolved> {
    options?.signal?.throwIfAborted();
    const dir = this.layoutPath(ref);
    const name = display(ref);
    let found: Descriptor | undefined;
    if (ref.digest !== undefined) {
      digestAlgorithm(ref.digest);
      const index = await this.#readIndex(dir);
      if (index) found = await this.#findDigest(dir, index, ref.digest);
    } else if (ref.tag !== undefined && ref.tag !== "") {
      const index = await this.#readIndex(dir);
      if (index) found = findTagged(index, ref.tag);
    } else {
      throw new InvalidReferenceError(
        `reference "${name}" must include a tag or digest`,
      );
    }
    if (!found || !(await isFile(blobPath(dir, found.digest)))) {
      throw new NotFoundError(`${name}: not found`);
    }
    const mediaType = found.mediaType ??
      await this.#sniffMediaType(dir, found);
    return {
      descriptor: { mediaType, digest: found.digest, size: found.size },
    };
  }

  /** The manifest `ref` names, verified for digest and size, at most 4 MiB. */
  async fetchManifest(
    ref: Reference,
    options?: CallOptions,
  ): Promise<FetchedManifest> {
    const { descriptor } = await this.resolve(ref, options);
    const bytes = await readManifestBlob(
      blobPath(this.layoutPath(ref), descriptor.digest),
      descriptor,
    );
    return { descriptor, bytes };
  }

  /** A blob as a stream that errors at its end unless digest and size match. */
  async fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: TransferOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    options?.signal?.throwIfAborted();
    const path = blobPath(this.layoutPath(repo), descriptor.digest);
    let file: ReadableStream<Uint8Array>;
    try {
      file = await openFileStream(path, {
        chunkSize: this.#chunkSize,
        expectedSize: descriptor.size,
        signal: options?.signal,
      });
    } catch (e) {
      if (isNotFound(e)) {
        throw new NotFoundError(
          `${OCI_LAYOUT_REGISTRY}${repo.repository}@${descriptor.digest}: not found`,
        );
      }
      throw e;
    }
    return verifiedBlobStream(file, descriptor, options?.onProgress);
  }

  /** Whether the layout holds the blob. */
  async blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options?: CallOptions,
  ): Promise<boolean> {
    options?.signal?.throwIfAborted();
    return await isFile(blobPath(this.layoutPath(repo), descriptor.digest));
  }

  /**
   * Stores a blob of known digest and size, verified while it is written.
   * A blob already present with that size is skipped. Creates the layout
   * when it does not exist.
   */
  async pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options?: TransferOptions,
  ): Promise<void> {
    options?.signal?.throwIfAborted();
    const dir = this.layoutPath(repo);
    const target = blobPath(dir, descriptor.digest);
    const onProgress = options?.onProgress;
    const event = (
      transferred: number,
      done: boolean,
      skipped?: boolean,
    ): ProgressEvent => ({
      direction: "push",
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      transferred,
      total: descriptor.size,
      done,
      ...(skipped ? { skipped } : {}),
    });
    if ((await fileSize(target)) === descriptor.size) {
      onProgress?.(event(descriptor.size, true, true));
      return;
    }
    if (content instanceof Uint8Array) {
      // Checked before anything touches the disk.
      verifyBytes(content, descriptor.digest, descriptor.size);
    }
    await this.#ensureLayout(dir, options?.signal);
    await ingestBlob(
      dir,
      content instanceof Uint8Array ? bytesStream(content) : content(),
      {
        expectedDigest: descriptor.digest,
        expectedSize: descriptor.size,
        onBytes: onProgress && ((n) => onProgress(event(n, false))),
        signal: options?.signal,
      },
    );
    onProgress?.(event(descriptor.size, true));
  }

  /**
   * Stores content of unknown length and digest: it is hashed while it is
   * written, and the blob's descriptor is returned.
   */
  async pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options?: PushBlobStreamOptions,
  ): Promise<Descriptor> {
    const dir = this.layoutPath(repo);
    const onProgress = options?.onProgress;
    try {
      options?.signal?.throwIfAborted();
      await this.#ensureLayout(dir, options?.signal);
    } catch (e) {
      await stream.cancel(e).catch(() => {});
      throw e;
    }
    const { digest, size } = await ingestBlob(dir, stream, {
      onBytes: onProgress &&
        ((n) =>
          onProgress({
            direction: "push",
            digest: "",
            mediaType: options?.mediaType,
            transferred: n,
            total: 0,
            done: false,
          })),
      signal: options?.signal,
    });
    const mediaType = options?.mediaType ?? "application/octet-stream";
    onProgress?.({
      direction: "push",
      digest,
      mediaType,
      transferred: size,
      total: size,
      done: true,
    });
    return { mediaType, digest, size };
  }

  /**
   * Stores a manifest and lists it in `index.json`: under the reference's
   * tag (replacing the tag's previous descriptor), or untagged for a
   * digest-only reference. The blobs it references must already be in the
   * layout.
   */
  async pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Descriptor> {
    options?.signal?.throwIfAborted();
    const dir = this.layoutPath(ref);
    const name = display(ref);
    const tag = ref.tag === "" ? undefined : ref.tag;
    if (tag === undefined && ref.digest === undefined) {
      throw new InvalidReferenceError(
        `reference "${name}" must include a tag or digest`,
      );
    }
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new TooLargeError(
        `manifest of ${bytes.byteLength} bytes exceeds the limit of ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    const digest = digestOf(
      bytes,
      ref.digest !== undefined ? digestAlgorithm(ref.digest) : "sha256",
    );
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new DigestMismatchError(
        `digest mismatch: got ${digest}, want ${ref.digest}`,
      );
    }
    const manifest = parseManifest(bytes);
    await this.#checkReferencedBlobs(dir, name, manifest);
    const descriptor: Descriptor = {
      mediaType,
      digest,
      size: bytes.byteLength,
    };
    await this.pushBlob(ref, descriptor, bytes, options);
    const entry: Descriptor = typeof manifest.artifactType === "string"
      ? { ...descriptor, artifactType: manifest.artifactType }
      : descriptor;
    await this.#updateIndex(
      dir,
      (index) =>
        tag !== undefined
          ? withTag(index, entry, tag, childDigests(manifest))
          : withUntagged(index, entry),
      options?.signal,
    );
    return descriptor;
  }

  /**
   * Every tag of the layout, each once, in `index.json` order. The ETag is
   * the digest of `index.json`, so a caller can skip unchanged listings.
   */
  /**
   * Referrers in a layout follow the referrers tag schema (an index tagged
   * `<alg>-<hex>`), which skopeo and oras read as well.
   */
  listReferrers(
    repo: RepositoryRef,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    return referrersFromTagSchema(this, repo, digest, options);
  }

  async listTags(
    repo: RepositoryRef,
    options?: ListTagsOptions,
  ): Promise<TagList> {
    options?.signal?.throwIfAborted();
    const dir = this.layoutPath(repo);
    const raw = await readIndexBytes(dir);
    if (!raw) {
      throw new NotFoundError(
        `${OCI_LAYOUT_REGISTRY}${repo.repository}: not found`,
      );
    }
    const etag = `"${digestOf(raw)}"`;
    if (options?.ifNoneMatch === etag) {
      return { tags: [], etag, notModified: true };
    }
    const index = parseIndex(raw, join(dir, OCI_INDEX_FILE));
    return { tags: tagsOf(index), etag };
  }

  /**
   * Every layout strictly below `ocidir://<root>`, as
   * `ocidir://<root>/<relative path>`, sorted byte-wise. Throws
   * {@linkcode NotFoundError} when `<root>` does not exist.
   */
  async listRepositories(
    base: string,
    options?: CallOptions,
  ): Promise<string[]> {
    if (!base.startsWith(OCI_LAYOUT_REGISTRY)) {
      throw new InvalidReferenceError(
        `not an OCI layout base: ${JSON.stringify(base)}`,
      );
    }
    const root = base.slice(OCI_LAYOUT_REGISTRY.length);
    const dir = layoutDir(
      { registry: OCI_LAYOUT_REGISTRY, repository: root },
      this.#cwd,
    );
    let rels: string[];
    try {
      rels = await findLayouts(dir, options?.signal);
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError(`${base}: not found`);
      throw e;
    }
    const prefix = base.endsWith("/") ? base : `${base}/`;
    return rels.map((rel) => prefix + rel);
  }

  async #readIndex(dir: string): Promise<LayoutIndex | undefined> {
    const raw = await readIndexBytes(dir);
    return raw && parseIndex(raw, join(dir, OCI_INDEX_FILE));
  }

  /**
   * The descriptor of `digest` from `index.json`, or from an image index
   * reachable from it (breadth-first, each index read once).
   */
  async #findDigest(
    dir: string,
    index: LayoutIndex,
    digest: string,
  ): Promise<Descriptor | undefined> {
    const direct = index.manifests.find((d) => d.digest === digest);
    if (direct) return direct;
    const queue = index.manifests.filter(isIndexDescriptor);
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < MAX_INDEXES_SEARCHED) {
      const next = queue.shift()!;
      if (seen.has(next.digest)) continue;
      seen.add(next.digest);
      let child: ImageManifest;
      try {
        child = parseManifest(
          await readManifestBlob(blobPath(dir, next.digest), next),
        );
      } catch (e) {
        // A missing child index only hides what it references.
        if (e instanceof NotFoundError) continue;
        throw e;
      }
      for (const d of child.manifests ?? []) {
        if (d.digest === digest) return d;
        if (isIndexDescriptor(d)) queue.push(d);
      }
    }
    return undefined;
  }

  /** Media type from the document itself, for descriptors that lack one. */
  async #sniffMediaType(dir: string, d: Descriptor): Promise<string> {
    const doc = parseManifest(
      await readManifestBlob(blobPath(dir, d.digest), d),
    );
    if (typeof doc.mediaType === "string") return doc.mediaType;
    throw new InvalidArtifactError(
      `manifest ${d.digest} has no media type in ${
        join(dir, OCI_INDEX_FILE)
      } or in itself`,
    );
  }

  /**
   * Refuses manifests whose config, layers or child manifests are not in
   * the layout, as a registry does: such a layout would break every
   * reader (skopeo included). Descriptors with `urls` are foreign content.
   */
  async #checkReferencedBlobs(
    dir: string,
    name: string,
    manifest: ImageManifest,
  ): Promise<void> {
    const refs = [
      ...(manifest.config ? [manifest.config] : []),
      ...(manifest.layers ?? []),
      ...(manifest.manifests ?? []),
    ];
    for (const d of refs) {
      if (Array.isArray((d as { urls?: unknown }).urls)) continue;
      if (typeof d.digest !== "string") {
        throw new InvalidArtifactError(
          `invalid manifest: descriptor without digest`,
        );
      }
      if (!(await isFile(blobPath(dir, d.digest)))) {
        throw new NotFoundError(
          `${name}: manifest references ${d.digest}, which is not in the layout`,
        );
      }
    }
  }

  /**
   * Makes `dir` a layout if it is not one yet: `blobs/`, `oci-layout` and
   * an empty `index.json` (created under the lock, so it never replaces a
   * concurrent pusher's index).
   */
  async #ensureLayout(dir: string, signal?: AbortSignal): Promise<void> {
    await mkdir(join(dir, "blobs"), { recursive: true });
    try {
      // 31 bytes in one write: readers never see a partial marker.
      await writeFile(
        join(dir, OCI_LAYOUT_FILE),
        JSON.stringify({ imageLayoutVersion: OCI_IMAGE_LAYOUT_VERSION }),
        { flag: "wx", mode: 0o644 },
      );
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    if (await isFile(join(dir, OCI_INDEX_FILE))) return;
    await this.#updateIndex(dir, () => undefined, signal);
  }

  /**
   * Read-modify-write of `index.json` under its lock. `edit` returns the
   * new index, or `undefined` for no change (a missing index is still
   * created).
   */
  async #updateIndex(
    dir: string,
    edit: (index: LayoutIndex) => LayoutIndex | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = join(dir, OCI_INDEX_FILE);
    await withFileLock(
      `${path}.lock`,
      async () => {
        const raw = await readIndexBytes(dir);
        const current = raw ? parseIndex(raw, path) : emptyIndex();
        const next = edit(current) ?? (raw ? undefined : current);
        if (next) await writeFileAtomic(path, serializeIndex(next));
      },
      {
        timeoutMs: this.#lockTimeoutMs,
        staleMs: this.#staleLockMs,
        signal,
      },
    );
  }
}

function display(ref: Reference): string {
  let s = `${OCI_LAYOUT_REGISTRY}${ref.repository}`;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

function childDigests(manifest: ImageManifest): string[] {
  return (manifest.manifests ?? []).map((d) => d.digest);
}

function isIndexDescriptor(d: Descriptor): boolean {
  return INDEX_MEDIA_TYPES.has(d.mediaType);
}

async function readIndexBytes(dir: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(join(dir, OCI_INDEX_FILE));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
