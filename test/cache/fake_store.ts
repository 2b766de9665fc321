/**
 * A small in-memory OciStore with call counters and fault injection, the
 * inner store of the cache tests (the Go tests' `cacheRegistry`).
 */
import { DigestMismatchError, NotFoundError } from "../../src/errors.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { digestOf, verifyingStream } from "../../src/oci/digest.ts";
import { createHash } from "node:crypto";
import {
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../../src/oci/media_types.ts";
import type {
  BlobSource,
  CallOptions,
  FetchedManifest,
  ListTagsOptions,
  OciStore,
  RepositoryRef,
  Resolved,
  ResolveOptions,
  TagList,
  TransferOptions,
} from "../../src/oci/store.ts";
import type { Reference } from "../../src/ref/reference_type.ts";
import { referrersFromTagSchema } from "../../src/oci/referrers.ts";

export const REGISTRY = "fake.test";
export const CONFIG_TYPE =
  "application/vnd.giantswarm.klaus-plugin.config.v1+json";
export const LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

export type Op =
  | "resolve"
  | "fetchManifest"
  | "fetchBlob"
  | "blobExists"
  | "pushBlob"
  | "pushManifest"
  | "listTags"
  | "listRepositories";

export interface Calls {
  resolve: number;
  resolveConditional: number;
  fetchManifest: number;
  fetchBlob: number;
  blobExists: number;
  pushBlob: number;
  pushManifest: number;
  listTags: number;
  listTagsConditional: number;
  notModified: number;
  listRepositories: number;
}

function zeroCalls(): Calls {
  return {
    resolve: 0,
    resolveConditional: 0,
    fetchManifest: 0,
    fetchBlob: 0,
    blobExists: 0,
    pushBlob: 0,
    pushManifest: 0,
    listTags: 0,
    listTagsConditional: 0,
    notModified: 0,
    listRepositories: 0,
  };
}

/** Sum of every network-like call (conditional sub-counts excluded). */
export function totalCalls(c: Calls): number {
  return c.resolve + c.fetchManifest + c.fetchBlob + c.blobExists +
    c.pushBlob + c.pushManifest + c.listTags + c.listRepositories;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic pseudo-random bytes. */
export function bytesOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function chunked(bytes: Uint8Array, size = 16 * 1024) {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.byteLength) return c.close();
      c.enqueue(bytes.slice(off, off + size));
      off += size;
    },
  });
}

export class FakeStore implements OciStore {
  calls: Calls = zeroCalls();
  /** Delay of every call, so concurrent callers overlap. */
  delayMs = 0;
  /** When set, every matching call throws what it returns (if anything). */
  fail?: (op: Op) => unknown;
  /** Whether fetchBlob verifies what it serves (a conforming store does). */
  verify = true;
  /** Digests served with one byte flipped. */
  corrupt = new Set<string>();
  #tags = new Map<string, Map<string, string>>();
  #manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>();
  #blobs = new Map<string, Uint8Array>();

  resetCalls(): void {
    this.calls = zeroCalls();
  }

  ref(repository: string, tag?: string, digest?: string): Reference {
    const r: Reference = { registry: REGISTRY, repository };
    if (tag) r.tag = tag;
    if (digest) r.digest = digest;
    return r;
  }

  repo(repository: string): RepositoryRef {
    return { registry: REGISTRY, repository };
  }

  addBlob(bytes: Uint8Array, mediaType = LAYER_TYPE): Descriptor {
    const digest = digestOf(bytes);
    this.#blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  /** Adds an artifact (config + optional layer) and tags it. */
  addArtifact(
    repository: string,
    tag: string | undefined,
    config: unknown,
    layer?: Uint8Array,
    annotations?: Record<string, string>,
  ): { manifest: Descriptor; config: Descriptor; layer?: Descriptor } {
    const configDesc = this.addBlob(enc(JSON.stringify(config)), CONFIG_TYPE);
    const layerDesc = layer ? this.addBlob(layer) : undefined;
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: configDesc,
      layers: layerDesc ? [layerDesc] : [],
      ...(annotations ? { annotations } : {}),
    };
    const bytes = enc(JSON.stringify(manifest));
    const digest = digestOf(bytes);
    this.#manifests.set(digest, { bytes, mediaType: MEDIA_TYPE_OCI_MANIFEST });
    if (tag) this.setTag(repository, tag, digest);
    else this.#repoTags(repository);
    return {
      manifest: {
        mediaType: MEDIA_TYPE_OCI_MANIFEST,
        digest,
        size: bytes.byteLength,
      },
      config: configDesc,
      layer: layerDesc,
    };
  }

  setTag(repository: string, tag: string, digest: string): void {
    this.#repoTags(repository).set(tag, digest);
  }

  deleteRepository(repository: string): void {
    this.#tags.delete(repository);
  }

  #repoTags(repository: string): Map<string, string> {
    let m = this.#tags.get(repository);
    if (!m) this.#tags.set(repository, m = new Map());
    return m;
  }

  async #enter(op: Op, signal?: AbortSignal): Promise<void> {
    this.calls[op]++;
    if (this.delayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.delayMs);
        signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(signal.reason);
        }, { once: true });
      });
    }
    signal?.throwIfAborted();
    const e = this.fail?.(op);
    if (e !== undefined) throw e;
  }

  #digestOf(ref: Reference): string {
    if (ref.digest) {
      if (!this.#manifests.has(ref.digest)) {
        throw new NotFoundError(`${ref.repository}@${ref.digest}: not found`);
      }
      return ref.digest;
    }
    const d = this.#tags.get(ref.repository)?.get(ref.tag ?? "");
    if (!d) throw new NotFoundError(`${ref.repository}:${ref.tag}: not found`);
    return d;
  }

  async resolve(
    ref: Reference,
    options: ResolveOptions = {},
  ): Promise<Resolved> {
    await this.#enter("resolve", options.signal);
    if (options.ifNoneMatch) this.calls.resolveConditional++;
    const digest = this.#digestOf(ref);
    const m = this.#manifests.get(digest)!;
    return {
      descriptor: { mediaType: m.mediaType, digest, size: m.bytes.byteLength },
      etag: `"${digest}"`,
    };
  }

  async fetchManifest(
    ref: Reference,
    options: CallOptions = {},
  ): Promise<FetchedManifest> {
    await this.#enter("fetchManifest", options.signal);
    const digest = this.#digestOf(ref);
    const m = this.#manifests.get(digest)!;
    let bytes = m.bytes.slice();
    if (this.corrupt.has(digest)) {
      bytes = bytes.slice();
      bytes[bytes.length - 2] ^= 1;
      if (this.verify) {
        throw new DigestMismatchError(`digest mismatch: want ${digest}`);
      }
    }
    return {
      descriptor: { mediaType: m.mediaType, digest, size: bytes.byteLength },
      bytes,
    };
  }

  async fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options: TransferOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    await this.#enter("fetchBlob", options.signal);
    const stored = this.#blobs.get(descriptor.digest);
    if (!stored) {
      throw new NotFoundError(
        `${repo.repository}@${descriptor.digest}: not found`,
      );
    }
    let bytes = stored;
    if (this.corrupt.has(descriptor.digest)) {
      bytes = stored.slice();
      bytes[bytes.length - 1] ^= 1;
    }
    const s = chunked(bytes);
    return this.verify
      ? s.pipeThrough(verifyingStream(descriptor.digest, descriptor.size))
      : s;
  }

  async blobExists(
    _repo: RepositoryRef,
    descriptor: Descriptor,
    options: CallOptions = {},
  ): Promise<boolean> {
    await this.#enter("blobExists", options.signal);
    return this.#blobs.has(descriptor.digest);
  }

  async pushBlob(
    _repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options: TransferOptions = {},
  ): Promise<void> {
    await this.#enter("pushBlob", options.signal);
    const bytes = content instanceof Uint8Array
      ? content
      : new Uint8Array(await new Response(content()).arrayBuffer());
    this.#blobs.set(descriptor.digest, bytes);
  }

  async listReferrers(
    repo: RepositoryRef,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    return await referrersFromTagSchema(this, repo, digest, options);
  }

  async pushBlobStream(
    _repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options: TransferOptions & { mediaType?: string } = {},
  ): Promise<Descriptor> {
    await this.#enter("pushBlob", options.signal);
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    this.#blobs.set(digest, bytes);
    return {
      mediaType: options.mediaType ?? "application/octet-stream",
      digest,
      size: bytes.byteLength,
    };
  }

  async pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options: CallOptions = {},
  ): Promise<Descriptor> {
    await this.#enter("pushManifest", options.signal);
    const digest = digestOf(bytes);
    this.#manifests.set(digest, { bytes: bytes.slice(), mediaType });
    if (ref.tag) this.setTag(ref.repository, ref.tag, digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  tagsEtag(repository: string): string {
    const tags = [...(this.#tags.get(repository)?.keys() ?? [])].sort();
    return `"${digestOf(enc(tags.join(","))).slice(7, 19)}"`;
  }

  async listTags(
    repo: RepositoryRef,
    options: ListTagsOptions = {},
  ): Promise<TagList> {
    await this.#enter("listTags", options.signal);
    const tags = this.#tags.get(repo.repository);
    if (!tags) throw new NotFoundError(`${repo.repository}: not found`);
    const etag = this.tagsEtag(repo.repository);
    if (options.ifNoneMatch) {
      this.calls.listTagsConditional++;
      if (options.ifNoneMatch === etag) {
        this.calls.notModified++;
        return { tags: [], etag, notModified: true };
      }
    }
    return { tags: [...tags.keys()], etag };
  }

  async listRepositories(
    base: string,
    options: CallOptions = {},
  ): Promise<string[]> {
    await this.#enter("listRepositories", options.signal);
    const path = base.replace(/\/+$/, "").slice(REGISTRY.length + 1);
    const prefix = path ? path + "/" : "";
    return [...this.#tags.keys()].sort()
      .filter((r) => r.startsWith(prefix))
      .map((r) => `${REGISTRY}/${r}`);
  }
}

export { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST };

/** A controllable clock. */
export class Clock {
  t: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}
