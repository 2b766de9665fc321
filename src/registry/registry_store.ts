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
  UnsafeUrlError,
  UnsupportedError,
} from "../errors.ts";
import { verifiedBlobStream } from "../oci/verified_blob.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { skippedPush } from "../oci/_skipped_push.ts";
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
  PushBlobOptions,
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
import { setBounded } from "../_bounded_map.ts";
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
  mountBlob,
  type Session,
  uploadBytes,
  uploadChunked,
  type UploadContext,
  uploadKnownStream,
} from "./upload.ts";
import { TimeoutError } from "./timeout_error.ts";
import { displayUrl } from "./url_safety.ts";
import {
  indexDescriptors,
  ofArtifactType,
  referrersFromTagSchema,
} from "../oci/referrers.ts";

/**
 * Largest page of a tag list or catalog read (32 MiB).
 */
export const MAX_LIST_PAGE_BYTES = 32 * 1024 * 1024;
/**
 * Default chunk size of {@linkcode RegistryStore.pushBlobStream} (8 MiB).
 */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

/** Bounds of one tag list or catalog read; see {@linkcode RegistryStoreOptions.list}. */
export interface ListLimits {
  /** `n` asked for on each page (default 100). */
  pageSize?: number;
  /** Most entries (tags or repositories) read (default 100 000). */
  maxEntries?: number;
  /** Most pages read (default 2 000). */
  maxPages?: number;
  /** Most bytes of page bodies read in all (default 64 MiB). */
  maxBytes?: number;
  /** Time budget of the whole listing in milliseconds (default 120 000). */
  deadlineMs?: number;
}

const DEFAULT_LIST_LIMITS: Required<ListLimits> = {
  pageSize: 100,
  maxEntries: 100_000,
  maxPages: 2_000,
  maxBytes: 64 * 1024 * 1024,
  deadlineMs: 120_000,
};

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
  /**
   * Hosts spoken to over `http://` instead of `https://`: `true` for every
   * host, a list of `host[:port]` names, or a predicate. Anything else is
   * https.
   */
  plainHttp?: boolean | readonly string[] | ((host: string) => boolean);
  /** Bounds of tag lists and catalogs (page size, entries, pages, bytes, time). */
  list?: ListLimits;
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
  /**
   * Size of the `PATCH` chunks of streamed uploads (default 8 MiB; the
   * registry's `OCI-Chunk-Min-Length`/`-Max-Length` bound it). Two chunks
   * are in memory at a time: one on the wire, the next one being read.
   */
  chunkSize?: number;
  /**
   * Stream blob sources up to this size are read into memory and go up in
   * one `PUT` (default 8 MiB); larger ones go up in chunks.
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
 */
export class RegistryStore implements OciStore {
  #auth: AuthClient;
  // Repositories whose registry answered 404 to the referrers API: per the
  // distribution spec a registry with the API never does, so later
  // listings go straight to the tag schema (as oras-go remembers it).
  #noReferrersApi = new Map<string, true>();
  #plainHttp: (host: string) => boolean;
  #listLimits: Required<ListLimits>;
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
    const plain = options.plainHttp ?? false;
    this.#plainHttp = typeof plain === "function"
      ? plain
      : typeof plain === "boolean"
      ? () => plain
      : (host) => plain.includes(host);
    this.#listLimits = {
      ...DEFAULT_LIST_LIMITS,
      ...Object.fromEntries(
        Object.entries(options.list ?? {}).filter(([, v]) => v !== undefined),
      ),
    };
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
    options: PushBlobOptions = {},
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
    const ctx = this.#uploadContext(repo);
    let session: Session | undefined;
    for (const from of options.mountFrom ?? []) {
      if (from === repo.repository || !isValidRepository(from)) continue;
      const mounted = await mountBlob(
        ctx,
        descriptor,
        from,
        repositoryScope(from),
        options.signal,
      );
      if (mounted === true) {
        options.onProgress?.(skippedPush(descriptor));
        return;
      }
      // The registry opened an upload instead: use it.
      session = mounted;
      break;
    }
    if (source instanceof Uint8Array) {
      await uploadBytes(ctx, descriptor, source, options, session);
    } else {
      await uploadKnownStream(ctx, descriptor, source, options, session);
    }
  }

  /**
   * Uploads content of unknown length: `POST`, then `PATCH` chunks of
   * {@linkcode RegistryStoreOptions.chunkSize} (at least the registry's
   * `OCI-Chunk-Min-Length`), each buffered so it carries a `Content-Range`
   * and can be resent, then `PUT ?digest=` with the digest computed on the
   * way. Content smaller than one chunk goes up in a single `PUT`. Returns
   * the blob's descriptor.
   */
  async pushBlobStream(
    repo: RepositoryRef,
    stream: ReadableStream<Uint8Array>,
    options: PushStreamOptions = {},
  ): Promise<Descriptor> {
    return await uploadChunked(this.#uploadContext(repo), stream, options);
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
    const what = `tag list of ${repo.registry}/${repo.repository}`;
    const tags: string[] = [];
    let etag: string | undefined;
    let pages = 0;
    for await (
      const page of this.#pages(
        first,
        [repositoryScope(repo.repository)],
        options,
        what,
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
      let added = 0;
      if (Array.isArray(list)) {
        for (const t of list) {
          if (typeof t !== "string") continue;
          tags.push(t);
          added++;
        }
      }
      this.#checkEntries(tags.length, what);
      page.setCount(added);
    }
    return etag === undefined ? { tags } : { tags, etag };
  }

  async listReferrers(
    repo: RepositoryRef,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    digestAlgorithm(digest);
    const key = `${repo.registry}/${repo.repository}`;
    if (this.#noReferrersApi.has(key)) {
      return await referrersFromTagSchema(this, repo, digest, options);
    }
    const first = this.#url(repo, `referrers/${digest}`);
    if (options.artifactType) {
      first.searchParams.set("artifactType", options.artifactType);
    }
    const out: Descriptor[] = [];
    try {
      for await (
        const page of this.#pages(
          first,
          [repositoryScope(repo.repository)],
          { signal: options.signal },
          `referrers of ${repo.registry}/${repo.repository}@${digest}`,
          { accept: MEDIA_TYPE_OCI_INDEX, paged: false },
        )
      ) {
        const list = indexDescriptors(page.doc);
        for (const d of list) out.push(d);
        this.#checkEntries(out.length, `referrers of ${digest}`);
        page.setCount(list.length);
      }
    } catch (e) {
      // No referrers API (distribution 2.8, GHCR): the tag schema.
      if (e instanceof NotFoundError && out.length === 0) {
        // An unknown repository says nothing about the API.
        if (!/\bNAME_UNKNOWN\b/.test(e.message)) {
          setBounded(this.#noReferrersApi, key, true, 1024);
        }
        return await referrersFromTagSchema(this, repo, digest, options);
      }
      throw e;
    }
    // Filtered again: a registry may ignore the filter (OCI-Filters-Applied).
    return ofArtifactType(out, options.artifactType);
  }

  async listRepositories(
    base: string,
    options: CallOptions = {},
  ): Promise<string[]> {
    const { host, prefix } = splitCatalogBase(base);
    if (!isValidRegistry(host)) {
      throw new InvalidReferenceError(`invalid registry "${host}"`);
    }
    const first = new URL(`${this.#scheme(host)}://${host}/v2/_catalog`);
    // `last` is exclusive: starting at the bare prefix skips everything
    // before it and the repository named exactly like the prefix.
    if (prefix) first.searchParams.set("last", prefix.slice(0, -1));
    const what = `catalog of ${host}`;
    const out: string[] = [];
    let seen = 0;
    for await (
      const page of this.#pages(first, [CATALOG_SCOPE], {
        signal: options.signal,
      }, what)
    ) {
      const names = (page.doc as { repositories?: unknown }).repositories;
      const list = Array.isArray(names)
        ? names.filter((n): n is string => typeof n === "string")
        : [];
      seen += list.length;
      this.#checkEntries(seen, what);
      page.setCount(list.length);
      const step = filterCatalogPage(list, host, prefix);
      for (const name of step.keep) out.push(name);
      if (step.stop) break;
    }
    return out;
  }

  #checkEntries(count: number, what: string): void {
    if (count > this.#listLimits.maxEntries) {
      throw new TooLargeError(
        `${what}: more than ${this.#listLimits.maxEntries} entries`,
      );
    }
  }

  /**
   * The JSON pages of a paginated listing. Each request names its page size
   * (`n`); the next page comes from the `Link` header in any of the forms
   * registries write, reduced to its path and query on the registry's own
   * origin, so no other host is ever contacted and credentials go nowhere
   * else. Paging stops at a page without `Link`, an empty page, or a page
   * URL seen before; it fails — never returns a short list — when a page
   * fails, or when the listing runs past its page, byte or time budget.
   */
  async *#pages(
    first: URL,
    scopes: string[],
    options: ListTagsOptions,
    what: string,
    format: { accept?: string; paged?: boolean } = {},
  ): AsyncGenerator<{
    doc: unknown;
    etag?: string;
    notModified?: boolean;
    setCount(n: number): void;
  }> {
    const limits = this.#listLimits;
    const started = Date.now();
    const deadline = AbortSignal.timeout(limits.deadlineMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, deadline])
      : deadline;
    // The referrers API has no `n`: its pages are the registry's choice.
    const pageSize = format.paged === false ? undefined : limits.pageSize;
    let url: URL | undefined = withPageSize(first, pageSize);
    const seen = new Set<string>();
    let bytesRead = 0;
    for (let n = 0; url; n++) {
      if (seen.has(url.pathname + url.search)) return;
      if (n >= limits.maxPages) {
        throw new TooLargeError(
          `${what}: more than ${limits.maxPages} pages`,
        );
      }
      seen.add(url.pathname + url.search);
      const headers = new Headers({
        accept: format.accept ?? "application/json",
      });
      if (n === 0 && options.ifNoneMatch) {
        headers.set("if-none-match", options.ifNoneMatch);
      }
      let res: HttpResponse;
      let bytes: Uint8Array;
      try {
        res = await this.#send({
          method: "GET",
          url,
          headers,
          scopes,
          signal,
        });
        const { response } = res;
        if (n === 0 && response.status === 304 && options.ifNoneMatch) {
          yield {
            doc: {},
            etag: response.headers.get("etag") ?? undefined,
            notModified: true,
            setCount() {},
          };
          return;
        }
        if (response.status !== 200) {
          throw await listError(url, response, n === 0);
        }
        bytes = await readBodyLimited(
          response,
          Math.min(MAX_LIST_PAGE_BYTES, limits.maxBytes - bytesRead),
          `GET "${displayUrl(url)}"`,
        );
      } catch (e) {
        if (deadline.aborted && !options.signal?.aborted) {
          throw new TimeoutError(
            `${what}: not complete after ${limits.deadlineMs} ms (${n} pages read)`,
            { timeoutMs: limits.deadlineMs, cause: e },
          );
        }
        throw e;
      }
      bytesRead += bytes.byteLength;
      let doc: unknown;
      try {
        doc = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new RegistryError(
          `GET "${displayUrl(url)}": response is not JSON`,
          { status: res.response.status },
        );
      }
      if (typeof doc !== "object" || doc === null) doc = {};
      const link = nextLink(res.response.headers.get("link"));
      const etag = res.response.headers.get("etag") ?? undefined;
      let count = 0;
      yield { doc, etag, setCount: (c) => (count = c) };
      // An empty page ends the list whatever its Link says (some registries
      // always send one, pointing past the end).
      url = link === undefined || (count === 0 && n > 0)
        ? undefined
        : nextPageUrl(link, res.url, first, pageSize);
      if (Date.now() - started > limits.deadlineMs) {
        throw new TimeoutError(
          `${what}: not complete after ${limits.deadlineMs} ms (${
            n + 1
          } pages read)`,
          { timeoutMs: limits.deadlineMs },
        );
      }
    }
  }

  #uploadContext(repo: RepositoryRef): UploadContext {
    return {
      send: (r) => this.#send(r),
      uploadsUrl: this.#url(repo, "blobs/uploads/"),
      scopes: [repositoryScope(repo.repository, true)],
      chunkSize: this.#chunkSize,
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
      `${
        this.#scheme(repo.registry)
      }://${repo.registry}/v2/${repo.repository}/${tail}`,
    );
  }

  #scheme(host: string): "http" | "https" {
    return this.#plainHttp(host) ? "http" : "https";
  }

  #send(request: AuthRequest): Promise<HttpResponse> {
    return this.#auth.send(request);
  }
}

/**
 * The next page's URL: only the path and query of `link` (resolved against
 * the URL that answered, since it may be relative), on the registry's own
 * origin. Registries write absolute links with the wrong host or without
 * the port, and a link to anywhere else must not take credentials there
 * (oras-go GHSA-jxpm-75mh-9fp7), so the link's origin is never used.
 */
function nextPageUrl(
  link: string,
  responseUrl: URL,
  first: URL,
  pageSize: number | undefined,
): URL {
  let resolved: URL;
  try {
    resolved = new URL(link, responseUrl);
  } catch {
    throw new UnsafeUrlError(
      `invalid pagination link ${JSON.stringify(link.slice(0, 200))}`,
    );
  }
  if (
    (resolved.protocol !== "http:" && resolved.protocol !== "https:") ||
    !resolved.pathname.startsWith("/v2/")
  ) {
    throw new UnsafeUrlError(
      `refusing pagination link ${
        JSON.stringify(displayUrl(resolved))
      }: not a registry API path`,
    );
  }
  const next = new URL(`${resolved.pathname}${resolved.search}`, first.origin);
  return withPageSize(next, pageSize);
}

/** `url` with `n` set unless the registry already chose one. */
function withPageSize(url: URL, pageSize: number | undefined): URL {
  if (pageSize === undefined || url.searchParams.has("n")) return url;
  const out = new URL(url);
  out.searchParams.set("n", String(pageSize));
  return out;
}

/**
 * The error of a failed list page. A registry without a catalog API (GHCR,
 * ECR, Docker Hub) answers the first catalog page with 404, or with 401,
 * 403 or 405 and the code `UNSUPPORTED`.
 */
async function listError(
  url: URL,
  response: Response,
  firstPage: boolean,
): Promise<Error> {
  // Without the query: `n` and `last` are ours, and noise in a message.
  const error = await responseError("GET", displayUrl(url), response);
  const catalog = url.pathname === "/v2/_catalog";
  if (
    catalog && firstPage &&
    (response.status === 404 ||
      [401, 403, 405].includes(response.status) &&
        /unsupported/i.test(error.message))
  ) {
    return new UnsupportedError(
      `${url.host} does not support listing repositories (${error.message}); ` +
        `list the versions of a repository instead ("versions <repository>")`,
      { cause: error },
    );
  }
  return error;
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
