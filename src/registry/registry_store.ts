/**
 * The OCI distribution client: {@linkcode OciStore} over HTTP(S).
 *
 * @module
 */
import {
  DigestMismatchError,
  InvalidReferenceError,
  NotFoundError,
  RegistryError,
  TooLargeError,
} from "../errors.ts";
import { verifiedBlobStream } from "../oci/verified_blob.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  digestAlgorithm,
  digestOf,
  isValidDigest,
  verifyBytes,
} from "../oci/digest.ts";
import {
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../oci/media_types.ts";
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
} from "../oci/store.ts";
import {
  isValidRegistry,
  isValidRepository,
  isValidTag,
} from "../ref/grammar.ts";
import type { Reference } from "../ref/reference_type.ts";
import { AuthClient, type AuthRequest } from "./auth.ts";
import { discardBody, readBodyLimited } from "./body.ts";
import { filterCatalogPage, splitCatalogBase } from "./catalog.ts";
import {
  credentialChain,
  type CredentialOptions,
  type CredentialProvider,
} from "./credentials.ts";
import { responseError } from "./http_error.ts";
import { nextLink } from "./link.ts";
import type { RetryOptions } from "./retry.ts";
import { CATALOG_SCOPE, repositoryScope } from "./scope.ts";
import type { TokenCache } from "./token_cache.ts";
import { type HttpResponse, Transport } from "./transport.ts";
import {
  uploadChunked,
  type UploadContext,
  uploadMonolithic,
} from "./upload.ts";
import { sameOriginUrl } from "./url_safety.ts";

/**
 * Largest page of a tag list or catalog read (32 MiB).
 *
 * @example
 * ```ts
 * import { MAX_LIST_PAGE_BYTES } from "@klaus/oci";
 * console.log(MAX_LIST_PAGE_BYTES / 1024 / 1024); // 32
 * ```
 */
export const MAX_LIST_PAGE_BYTES = 32 * 1024 * 1024;
/**
 * Default chunk size of {@linkcode RegistryStore.pushBlobStream} (8 MiB).
 *
 * @example
 * ```ts
 * import { DEFAULT_CHUNK_SIZE } from "@klaus/oci";
 * console.log(DEFAULT_CHUNK_SIZE / 1024 / 1024); // 8
 * ```
 */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
const MAX_PAGES = 10_000;

// Docker schema 1 types are still announced by old registries; reading them
// is the caller's business, but they are manifests, not unknown content.
const KNOWN_MANIFEST_TYPES = new Set([
  ...MANIFEST_MEDIA_TYPES,
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
]);
const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(", ");

/** Options of {@linkcode RegistryStore}. */
export interface RegistryStoreOptions extends CredentialOptions {
  /** Use `http://` instead of `https://` (for every host, loopback included). */
  plainHttp?: boolean;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** `User-Agent` header (default `klaus-oci-ts/<version>`). */
  userAgent?: string;
  /** Retry policy for transient failures. */
  retry?: RetryOptions;
  /**
   * Timeout for response headers and for each stall of a response body
   * (milliseconds, default 60 000).
   */
  timeoutMs?: number;
  /** Most redirects followed per request (default 10). */
  maxRedirects?: number;
  /**
   * Where credentials come from; default the chain of
   * {@linkcode resolveCredential} configured by the
   * {@linkcode CredentialOptions} fields.
   */
  credentials?: CredentialProvider;
  /** Token cache to share between stores (default: one per store). */
  tokenCache?: TokenCache;
  /** Chunk size of {@linkcode RegistryStore.pushBlobStream} (default 8 MiB). */
  chunkSize?: number;
  /**
   * Stream blob sources up to this size are read into memory before the
   * upload so it carries a `Content-Length` (default 8 MiB); larger ones
   * are streamed.
   */
  bufferUploadsUpTo?: number;
}

/** Options of {@linkcode RegistryStore.pushBlobStream}. */
export interface PushStreamOptions extends TransferOptions {
  /** Media type of the returned descriptor (default `application/octet-stream`). */
  mediaType?: string;
}

/**
 * An {@linkcode OciStore} speaking the OCI distribution API to registries.
 *
 * @example
 * ```ts
 * import { RegistryStore } from "@klaus/oci";
 * const store = new RegistryStore({ plainHttp: true });
 * const { tags } = await store.listTags({ registry: "localhost:5000", repository: "plugins/base" });
 * console.log(tags);
 * ```
 */
export class RegistryStore implements OciStore {
  #auth: AuthClient;
  #scheme: string;
  #chunkSize: number;
  #bufferUpTo: number;

  /** Creates a store; nothing is contacted before the first call. */
  constructor(options: RegistryStoreOptions = {}) {
    const transport = new Transport({
      fetch: options.fetch,
      userAgent: options.userAgent,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      maxRedirects: options.maxRedirects,
    });
    this.#auth = new AuthClient({
      transport,
      credentials: options.credentials ?? credentialChain(options),
      tokenCache: options.tokenCache,
    });
    this.#scheme = options.plainHttp ? "http" : "https";
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#bufferUpTo = options.bufferUploadsUpTo ?? 8 * 1024 * 1024;
  }

  async resolve(
    ref: Reference,
    options: ResolveOptions = {},
  ): Promise<Resolved> {
    const target = manifestTarget(ref);
    const url = this.#url(ref, `manifests/${target}`);
    const headers = new Headers({ accept: ACCEPT_MANIFESTS });
    if (options.ifNoneMatch) headers.set("if-none-match", options.ifNoneMatch);
    const { response } = await this.#send({
      method: "HEAD",
      url,
      headers,
      scopes: [repositoryScope(ref.repository)],
      signal: options.signal,
    });
    if (response.status === 404) {
      throw new NotFoundError(`${refString(ref)}: not found`);
    }
    if (response.status !== 200 && response.status !== 304) {
      throw await responseError("HEAD", url.href, response);
    }
    const etag = response.headers.get("etag") ?? undefined;
    const header = response.headers.get("docker-content-digest");
    const size = Number(response.headers.get("content-length") ?? NaN);
    const mediaType = mediaTypeOf(response.headers.get("content-type"));
    if (
      header && isValidDigest(header) && Number.isSafeInteger(size) &&
      size >= 0 && mediaType && KNOWN_MANIFEST_TYPES.has(mediaType) &&
      !(response.status === 304 && size === 0)
    ) {
      if (ref.digest) {
        if (sameAlgorithm(header, ref.digest) && header !== ref.digest) {
          throw new DigestMismatchError(
            `${refString(ref)}: registry announced digest ${header}`,
          );
        }
        return { descriptor: { mediaType, digest: ref.digest, size }, etag };
      }
      return { descriptor: { mediaType, digest: header, size }, etag };
    }
    // The registry left something out (ECR, Red Hat: no digest on HEAD):
    // fetch the manifest and hash it.
    const fetched = await this.fetchManifest(ref, options);
    return { descriptor: fetched.descriptor, etag };
  }

  async fetchManifest(
    ref: Reference,
    options: CallOptions = {},
  ): Promise<FetchedManifest> {
    const target = manifestTarget(ref);
    const url = this.#url(ref, `manifests/${target}`);
    const { response } = await this.#send({
      method: "GET",
      url,
      headers: { accept: ACCEPT_MANIFESTS },
      scopes: [repositoryScope(ref.repository)],
      signal: options.signal,
    });
    if (response.status === 404) {
      await discardBody(response);
      throw new NotFoundError(`${refString(ref)}: not found`);
    }
    if (response.status !== 200) {
      throw await responseError("GET", url.href, response);
    }
    const header = response.headers.get("docker-content-digest");
    const contentType = mediaTypeOf(response.headers.get("content-type"));
    const bytes = await readBodyLimited(
      response,
      MAX_MANIFEST_BYTES,
      `manifest ${refString(ref)}`,
    );
    let digest: string;
    if (ref.digest) {
      verifyBytes(bytes, ref.digest);
      digest = ref.digest;
    } else if (header && isValidDigest(header)) {
      // Whoever uses the header must check it (distribution spec).
      verifyBytes(bytes, header);
      digest = header;
    } else {
      digest = digestOf(bytes);
    }
    return {
      descriptor: {
        mediaType: manifestMediaType(bytes, contentType, ref),
        digest,
        size: bytes.byteLength,
      },
      bytes,
    };
  }

  async fetchBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options: TransferOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    digestAlgorithm(descriptor.digest);
    const url = this.#url(repo, `blobs/${descriptor.digest}`);
    const { response } = await this.#send({
      method: "GET",
      url,
      scopes: [repositoryScope(repo.repository)],
      signal: options.signal,
    });
    if (response.status === 404) {
      await discardBody(response);
      throw new NotFoundError(`${descriptor.digest}: not found`);
    }
    if (response.status !== 200) {
      throw await responseError("GET", url.href, response);
    }
    const declared = response.headers.get("content-length");
    // With a Content-Encoding the length is of the encoded bytes.
    if (
      declared !== null && !response.headers.has("content-encoding") &&
      Number(declared) !== descriptor.size
    ) {
      await discardBody(response);
      throw new DigestMismatchError(
        `GET "${url.href}": content length ${declared}, want ${descriptor.size}`,
      );
    }
    const body = response.body ?? new Blob([]).stream();
    return verifiedBlobStream(body, descriptor, options.onProgress);
  }

  async blobExists(
    repo: RepositoryRef,
    descriptor: Descriptor,
    options: CallOptions = {},
  ): Promise<boolean> {
    digestAlgorithm(descriptor.digest);
    const url = this.#url(repo, `blobs/${descriptor.digest}`);
    const { response } = await this.#send({
      method: "HEAD",
      url,
      scopes: [repositoryScope(repo.repository)],
      signal: options.signal,
    });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await responseError("HEAD", url.href, response);
  }

  async pushBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    content: BlobSource,
    options: TransferOptions = {},
  ): Promise<void> {
    digestAlgorithm(descriptor.digest);
    let source = content;
    if (
      source instanceof Uint8Array && source.byteLength !== descriptor.size
    ) {
      throw new DigestMismatchError(
        `size mismatch for ${descriptor.digest}: content has ${source.byteLength} bytes, want ${descriptor.size}`,
      );
    }
    if (typeof source === "function" && descriptor.size <= this.#bufferUpTo) {
      source = await readAll(source(), descriptor.size);
    }
    await uploadMonolithic(
      this.#uploadContext(repo),
      descriptor,
      source,
      options,
    );
  }

  /**
   * Uploads content of unknown length: `POST`, then `PATCH` chunks of
   * {@linkcode RegistryStoreOptions.chunkSize} (at least the registry's
   * `OCI-Chunk-Min-Length`), each buffered so it carries a `Content-Range`
   * and can be resent, then `PUT ?digest=` with the digest computed on the
   * way. Content smaller than one chunk goes up in a single `PUT`. Returns
   * the blob's descriptor.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "@klaus/oci";
   * const store = new RegistryStore({ plainHttp: true });
   * const desc = await store.pushBlobStream(
   *   { registry: "localhost:5000", repository: "plugins/base" },
   *   new Blob(["hello"]).stream(),
   * );
   * console.log(desc.digest);
   * ```
   */
  async pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options: PushStreamOptions = {},
  ): Promise<Descriptor> {
    return await uploadChunked(
      this.#uploadContext(repo),
      stream,
      this.#chunkSize,
      options,
    );
  }

  async pushManifest(
    ref: Reference,
    bytes: Uint8Array,
    mediaType: string,
    options: CallOptions = {},
  ): Promise<Descriptor> {
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new TooLargeError(
        `manifest for ${
          refString(ref)
        }: ${bytes.byteLength} bytes exceeds limit ${MAX_MANIFEST_BYTES}`,
      );
    }
    let digest = digestOf(bytes);
    if (ref.digest) {
      verifyBytes(bytes, ref.digest);
      digest = ref.digest;
    }
    const target = ref.tag ?? ref.digest;
    if (!target) {
      throw new InvalidReferenceError(
        `reference "${refString(ref)}" must include a tag or digest`,
      );
    }
    const url = this.#url(
      ref,
      `manifests/${ref.tag ? checkedTag(ref.tag) : target}`,
    );
    const { response } = await this.#send({
      method: "PUT",
      url,
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [repositoryScope(ref.repository, true)],
      signal: options.signal,
    });
    if (response.status < 200 || response.status > 299) {
      throw await responseError("PUT", url.href, response);
    }
    await discardBody(response);
    const header = response.headers.get("docker-content-digest");
    if (
      header && isValidDigest(header) && sameAlgorithm(header, digest) &&
      header !== digest
    ) {
      throw new DigestMismatchError(
        `PUT "${url.href}": registry stored digest ${header}, want ${digest}`,
      );
    }
    return { mediaType, digest, size: bytes.byteLength };
  }

  async listTags(
    repo: RepositoryRef,
    options: ListTagsOptions = {},
  ): Promise<TagList> {
    const first = this.#url(repo, "tags/list");
    const tags: string[] = [];
    let etag: string | undefined;
    let pages = 0;
    for await (
      const page of this.#pages(
        first,
        [repositoryScope(repo.repository)],
        options,
      )
    ) {
      if (page.notModified) {
        return {
          tags: [],
          etag: page.etag ?? options.ifNoneMatch,
          notModified: true,
        };
      }
      if (pages++ === 0) etag = page.etag;
      const list = (page.doc as { tags?: unknown }).tags;
      if (Array.isArray(list)) {
        for (const t of list) if (typeof t === "string") tags.push(t);
      }
    }
    return etag === undefined ? { tags } : { tags, etag };
  }

  async listRepositories(
    base: string,
    options: CallOptions = {},
  ): Promise<string[]> {
    const { host, prefix } = splitCatalogBase(base);
    if (!isValidRegistry(host)) {
      throw new InvalidReferenceError(`invalid registry "${host}"`);
    }
    const first = new URL(`${this.#scheme}://${host}/v2/_catalog`);
    // `last` is exclusive: starting at the bare prefix skips everything
    // before it and the repository named exactly like the prefix.
    if (prefix) first.searchParams.set("last", prefix.slice(0, -1));
    const out: string[] = [];
    for await (
      const page of this.#pages(first, [CATALOG_SCOPE], {
        signal: options.signal,
      })
    ) {
      const names = (page.doc as { repositories?: unknown }).repositories;
      const list = Array.isArray(names)
        ? names.filter((n): n is string => typeof n === "string")
        : [];
      const step = filterCatalogPage(list, host, prefix);
      out.push(...step.keep);
      if (step.stop) break;
    }
    return out;
  }

  /**
   * The JSON pages of a paginated listing, following `Link: <…>;
   * rel="next"` on the registry's origin only.
   */
  async *#pages(
    first: URL,
    scopes: string[],
    options: ListTagsOptions,
  ): AsyncGenerator<{ doc: unknown; etag?: string; notModified?: boolean }> {
    let url: URL | undefined = first;
    const seen = new Set<string>();
    for (let n = 0; url; n++) {
      if (n >= MAX_PAGES || seen.has(url.href)) {
        throw new RegistryError(
          `GET "${first.href}": pagination does not end (page ${
            n + 1
          }: ${url.pathname}${url.search})`,
        );
      }
      seen.add(url.href);
      const headers = new Headers({ accept: "application/json" });
      if (n === 0 && options.ifNoneMatch) {
        headers.set("if-none-match", options.ifNoneMatch);
      }
      const res: HttpResponse = await this.#send({
        method: "GET",
        url,
        headers,
        scopes,
        signal: options.signal,
      });
      const { response } = res;
      if (n === 0 && response.status === 304 && options.ifNoneMatch) {
        yield {
          doc: {},
          etag: response.headers.get("etag") ?? undefined,
          notModified: true,
        };
        return;
      }
      if (response.status !== 200) {
        throw await responseError("GET", url.href, response);
      }
      const bytes = await readBodyLimited(
        response,
        MAX_LIST_PAGE_BYTES,
        `GET "${url.href}"`,
      );
      let doc: unknown;
      try {
        doc = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new RegistryError(
          `GET "${url.href}": response is not JSON`,
          { status: response.status },
        );
      }
      if (typeof doc !== "object" || doc === null) doc = {};
      const link = nextLink(response.headers.get("link"));
      const etag = response.headers.get("etag") ?? undefined;
      const current: URL = url;
      url = link === undefined
        ? undefined
        : sameOriginUrlOf(link, res.url, current);
      yield { doc, etag };
    }
  }

  #uploadContext(repo: RepositoryRef): UploadContext {
    return {
      send: (r) => this.#send(r),
      uploadsUrl: this.#url(repo, "blobs/uploads/"),
      scopes: [repositoryScope(repo.repository, true)],
      bufferUpTo: this.#bufferUpTo,
    };
  }

  #url(repo: RepositoryRef, tail: string): URL {
    if (!isValidRegistry(repo.registry)) {
      throw new InvalidReferenceError(`invalid registry "${repo.registry}"`);
    }
    if (!isValidRepository(repo.repository)) {
      throw new InvalidReferenceError(
        `invalid repository "${repo.repository}"`,
      );
    }
    return new URL(
      `${this.#scheme}://${repo.registry}/v2/${repo.repository}/${tail}`,
    );
  }

  #send(request: AuthRequest): Promise<HttpResponse> {
    return this.#auth.send(request);
  }
}

function sameOriginUrlOf(link: string, responseUrl: URL, requestUrl: URL): URL {
  // Resolve against the URL that answered, but only ever stay on the
  // registry's origin (oras-go v2.6.2: a Link to elsewhere is an SSRF).
  return sameOriginUrl(link, responseUrl, "pagination link", requestUrl);
}

function manifestTarget(ref: Reference): string {
  if (ref.digest) {
    digestAlgorithm(ref.digest);
    return ref.digest;
  }
  if (ref.tag) return checkedTag(ref.tag);
  throw new InvalidReferenceError(
    `reference "${refString(ref)}" must include a tag or digest`,
  );
}

function checkedTag(tag: string): string {
  if (!isValidTag(tag)) throw new InvalidReferenceError(`invalid tag "${tag}"`);
  return tag;
}

function refString(ref: Reference): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest) return `${base}@${ref.digest}`;
  if (ref.tag) return `${base}:${ref.tag}`;
  return base;
}

function mediaTypeOf(contentType: string | null): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(";")[0].trim().toLowerCase();
  return t || undefined;
}

function sameAlgorithm(a: string, b: string): boolean {
  return a.slice(0, a.indexOf(":")) === b.slice(0, b.indexOf(":"));
}

/**
 * The manifest's media type: `Content-Type` when it names a manifest type
 * (it must then agree with the document's own `mediaType`), else the
 * document's `mediaType`, else guessed from its shape.
 */
function manifestMediaType(
  bytes: Uint8Array,
  contentType: string | undefined,
  ref: Reference,
): string {
  let declared: string | undefined;
  let isIndex = false;
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof doc?.mediaType === "string" && doc.mediaType) {
      declared = doc.mediaType;
    }
    isIndex = Array.isArray(doc?.manifests);
  } catch {
    // Not JSON: the caller's parser reports it with context.
  }
  if (contentType && KNOWN_MANIFEST_TYPES.has(contentType)) {
    if (declared && declared !== contentType) {
      throw new RegistryError(
        `${
          refString(ref)
        }: manifest media type ${declared} does not match Content-Type ${contentType}`,
      );
    }
    return contentType;
  }
  if (declared) return declared;
  return isIndex ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST;
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
  expectedSize: number,
): Promise<Uint8Array> {
  const bytes = await readBodyLimited(
    new Response(stream),
    expectedSize,
    "blob source",
  ).catch((e) => {
    if (e instanceof TooLargeError) {
      throw new DigestMismatchError(
        `size mismatch: blob source has more than ${expectedSize} bytes`,
      );
    }
    throw e;
  });
  if (bytes.byteLength !== expectedSize) {
    throw new DigestMismatchError(
      `size mismatch: blob source has ${bytes.byteLength} bytes, want ${expectedSize}`,
    );
  }
  return bytes;
}
