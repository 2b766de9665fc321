/**
 * A small in-process registry for the faults a real registry will not
 * produce on demand: 429/503 with `Retry-After`, 5xx bursts, truncated
 * bodies, wrong digests, missing `Docker-Content-Digest`, redirects to
 * another origin, hostile `Link` and `Location` URLs, hangs, paginated tag
 * lists and catalogs, and Basic or Bearer challenges with a fake token
 * endpoint. Happy-path behaviour is deliberately minimal; real-registry
 * behaviour is tested against docker-registry (test/harness/registry.ts).
 *
 * Faults are handlers tried before the built-in routes: the first that
 * returns a Response answers the request.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A request the server saw. */
export interface SeenRequest {
  /** HTTP method. */
  method: string;
  /** Path and query. */
  path: string;
  /** Request headers. */
  headers: Headers;
  /** Bytes of request body received. */
  bodyBytes: number;
}

/** Authentication the fake registry demands. */
export type FakeAuth =
  | { kind: "none" }
  | { kind: "basic"; username: string; password: string }
  | {
    kind: "bearer";
    /** Accepted Basic credentials at the token endpoint. */
    username?: string;
    password?: string;
    /** Accepted refresh token (POST grant_type=refresh_token). */
    refreshToken?: string;
    /** `expires_in` of issued tokens (seconds); omitted when undefined. */
    expiresIn?: number;
    /** Whether anonymous token requests get pull access (default false). */
    anonymousPull?: boolean;
  };

/** A token request the fake token endpoint saw. */
export interface SeenTokenRequest {
  /** GET or POST. */
  method: string;
  /** Query (GET) or form (POST) parameters. */
  params: URLSearchParams;
  /** The Authorization header, if any. */
  authorization: string | null;
  /** Status answered. */
  status: number;
}

/** What a fault handler gets besides the request. */
export interface FaultContext {
  /** The request body (already read from `request`). */
  body: Uint8Array;
  /** Resolves when the server closes (release hanging handlers). */
  closed: Promise<void>;
}

/** A fault handler: return a Response to answer, `undefined` to pass. */
export type Fault = (
  request: Request,
  url: URL,
  context: FaultContext,
) => Response | undefined | Promise<Response | undefined>;

/** Options of {@linkcode startFaultyRegistry}. */
export interface FaultyRegistryOptions {
  /** Authentication mode (default none). */
  auth?: FakeAuth;
  /** Tags per page (default: all on one page unless `n` is given). */
  tagPageSize?: number;
  /** Repositories per catalog page (default: all unless `n` is given). */
  catalogPageSize?: number;
  /** `OCI-Chunk-Min-Length` announced on upload sessions. */
  chunkMinLength?: number;
  /**
   * Answer 411 Length Required to a request body sent without
   * `Content-Length` (chunked transfer encoding), as registries behind some
   * proxies and Workers-based ones do.
   */
  requireLength?: boolean;
  /**
   * How the `Link` of a next page is written: `angle` (default,
   * `</v2/…>; rel="next"`), `bare` (`/v2/…; rel=next`, relative),
   * `bare-absolute` (`http://host/v2/…; rel=next`, as Quay and the peer do).
   */
  linkStyle?: "angle" | "bare" | "bare-absolute";
  /** Send a `Link` on the last catalog page too (pointing past the end). */
  catalogLinkOnLastPage?: boolean;
  /** No catalog API: `/v2/_catalog` answers 404 `UNSUPPORTED` (GHCR, ECR). */
  noCatalog?: boolean;
  /** Largest page for tag lists and catalogs whatever `n` asks for. */
  maxPageSize?: number;
  /**
   * For the n-th `PATCH` (1-based), keep only this many bytes of its body
   * and answer 500, as when a connection drops midway; `undefined` passes.
   */
  partialPatch?: (n: number) => number | undefined;
  /** Answer 416 to a `PATCH` body over this many bytes (GHCR: 4 MiB). */
  maxPatchBytes?: number;
}

interface Upload {
  repo: string;
  parts: Uint8Array[];
  size: number;
}

/** A running fake registry. */
export interface FaultyRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request to the registry endpoints (`/v2/…`). */
  requests: SeenRequest[];
  /** Every request to the token endpoint. */
  tokenRequests: SeenTokenRequest[];
  /** Stored blobs by digest. */
  blobs: Map<string, Uint8Array>;
  /** Repositories listed by the catalog (sorted on output). */
  repositories: Set<string>;
  /** Adds a blob to `repo`; returns its digest. */
  addBlob(repo: string, bytes: Uint8Array): string;
  /** Stores a manifest under `tag` (and its digest); returns its digest. */
  addManifest(
    repo: string,
    tag: string | undefined,
    bytes: Uint8Array,
    mediaType: string,
  ): string;
  /** Tags of `repo`. */
  tags(repo: string): string[];
  /** Manifest bytes stored under a tag or digest. */
  manifest(repo: string, reference: string): Uint8Array | undefined;
  /** Forgets every issued token (the next use of one gets a 401). */
  revokeTokens(): void;
  /** Adds a fault; returns a function removing it. */
  fault(handler: Fault): () => void;
  /** Drops all faults. */
  clearFaults(): void;
  /** Stops the server (hanging handlers are released first). */
  close(): Promise<void>;
}

/** sha256 digest of bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * A handler that never answers until the server closes: for timeout tests
 * (the client gives up on its own; the handler is released by `close()`).
 */
export function hang(
  _request: Request,
  closed: Promise<void>,
): Promise<Response> {
  return closed.then(() => new Response("late", { status: 200 }));
}

/** A running plain server (for "another origin"). */
export interface PlainServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** `127.0.0.1:<port>`. */
  host: string;
  /** Every request seen. */
  requests: SeenRequest[];
  /** Resolves when the server starts closing (for hanging handlers). */
  closed: Promise<void>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts a plain HTTP server on 127.0.0.1 with `handler`. */
export function startServer(
  handler: (
    request: Request,
    url: URL,
    seen: SeenRequest,
  ) => Response | Promise<Response>,
): PlainServer {
  const requests: SeenRequest[] = [];
  const controller = new AbortController();
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: controller.signal,
      onListen() {},
    },
    async (request) => {
      const url = new URL(request.url);
      const seen: SeenRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers: new Headers(request.headers),
        bodyBytes: 0,
      };
      requests.push(seen);
      return await handler(request, url, seen);
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  return {
    origin: `http://${host}`,
    host,
    requests,
    closed,
    async close() {
      markClosed();
      controller.abort();
      await server.finished;
    },
  };
}

const NAME =
  "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";
const MANIFEST_RE = new RegExp(`^/v2/(${NAME})/manifests/([^/]+)$`);
const BLOB_RE = new RegExp(`^/v2/(${NAME})/blobs/(sha256:[a-f0-9]{64})$`);
const UPLOADS_RE = new RegExp(`^/v2/(${NAME})/blobs/uploads/$`);
const UPLOAD_RE = new RegExp(`^/v2/(${NAME})/blobs/uploads/([a-z0-9-]+)$`);
const TAGS_RE = new RegExp(`^/v2/(${NAME})/tags/list$`);

/**
 * Starts the fake registry on 127.0.0.1 (random port).
 *
 * @example
 * const reg = startFaultyRegistry();
 * reg.fault((req, url) => url.pathname.endsWith("/tags/list") ? new Response(null, { status: 503 }) : undefined);
 * // … run the client with plainHttp against reg.host …
 * await reg.close();
 */
export function startFaultyRegistry(
  options: FaultyRegistryOptions = {},
): FaultyRegistry {
  const auth = options.auth ?? { kind: "none" };
  const manifests = new Map<
    string,
    Map<string, { bytes: Uint8Array; mediaType: string }>
  >();
  const tagMap = new Map<string, Set<string>>();
  const blobs = new Map<string, Uint8Array>();
  const repositories = new Set<string>();
  const uploads = new Map<string, Upload>();
  const tokens = new Map<string, { scopes: string[]; expiresAt: number }>();
  const tokenRequests: SeenTokenRequest[] = [];
  let faults: Fault[] = [];
  let uploadSeq = 0;
  let patchSeq = 0;

  const json = (body: unknown, status = 200, headers: HeadersInit = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  const ociError = (status: number, code: string, message: string) =>
    json({ errors: [{ code, message }] }, status);

  let origin = "";
  const server: PlainServer = startServer(async (request, url, seen) => {
    if (!url.pathname.startsWith("/v2")) {
      return await tokenEndpoint(request, url);
    }
    if (
      options.requireLength && request.body &&
      !request.headers.has("content-length")
    ) {
      await request.body.cancel().catch(() => {});
      return ociError(411, "LENGTH_REQUIRED", "length required");
    }
    const body = request.body
      ? new Uint8Array(await request.arrayBuffer())
      : new Uint8Array(0);
    seen.bodyBytes = body.byteLength;
    for (const f of faults) {
      const r = await f(request, url, { body, closed: server.closed });
      if (r) return r;
    }
    const denied = authorize(request, url);
    if (denied) return denied;
    return route(request, url, body);
  });
  origin = server.origin;

  function neededScope(method: string, path: string): string {
    if (path.startsWith("/v2/_catalog")) return "registry:catalog:*";
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
    if (!m) return "";
    const push = method !== "GET" && method !== "HEAD";
    return `repository:${m[1]}:${push ? "pull,push" : "pull"}`;
  }

  function authorize(request: Request, url: URL): Response | undefined {
    if (auth.kind === "none") return undefined;
    const header = request.headers.get("authorization") ?? "";
    if (auth.kind === "basic") {
      const want = "Basic " + btoa(`${auth.username}:${auth.password}`);
      if (header === want) return undefined;
      return new Response(
        JSON.stringify({
          errors: [{
            code: "UNAUTHORIZED",
            message: "authentication required",
          }],
        }),
        {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Basic realm="faulty"`,
          },
        },
      );
    }
    const scope = neededScope(request.method, url.pathname);
    const challenge = `Bearer realm="${origin}/token",service="faulty"${
      scope ? `,scope="${scope}"` : ""
    }`;
    const unauthorized = () =>
      new Response(
        JSON.stringify({
          errors: [{
            code: "UNAUTHORIZED",
            message: "authentication required",
          }],
        }),
        {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": challenge,
          },
        },
      );
    if (!header.startsWith("Bearer ")) return unauthorized();
    const t = tokens.get(header.slice(7));
    if (!t || Date.now() >= t.expiresAt) return unauthorized();
    if (url.pathname === "/v2/" || !scope) return undefined;
    if (!grants(t.scopes, scope)) return unauthorized();
    return undefined;
  }

  function grants(granted: string[], needed: string): boolean {
    const i = needed.lastIndexOf(":");
    const resource = needed.slice(0, i);
    const actions = needed.slice(i + 1).split(",");
    const have = new Set<string>();
    for (const g of granted) {
      const j = g.lastIndexOf(":");
      if (g.slice(0, j) === resource) {
        for (const a of g.slice(j + 1).split(",")) have.add(a);
      }
    }
    return have.has("*") || actions.every((a) => have.has(a));
  }

  async function tokenEndpoint(request: Request, url: URL): Promise<Response> {
    const seen: SeenTokenRequest = {
      method: request.method,
      params: url.searchParams,
      authorization: request.headers.get("authorization"),
      status: 200,
    };
    tokenRequests.push(seen);
    for (const f of faults) {
      const r = await f(request, url, {
        body: new Uint8Array(0),
        closed: server.closed,
      });
      if (r) {
        seen.status = r.status;
        return r;
      }
    }
    if (auth.kind !== "bearer" || url.pathname !== "/token") {
      seen.status = 404;
      return new Response("not found", { status: 404 });
    }
    let scopes: string[];
    let authenticated = false;
    if (request.method === "POST") {
      const form = new URLSearchParams(await request.text());
      seen.params = form;
      if (
        form.get("grant_type") !== "refresh_token" ||
        !auth.refreshToken || form.get("refresh_token") !== auth.refreshToken
      ) {
        seen.status = 401;
        return json({ error: "invalid_grant" }, 401);
      }
      authenticated = true;
      scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
    } else {
      const header = request.headers.get("authorization");
      if (header) {
        const want = "Basic " + btoa(`${auth.username}:${auth.password}`);
        if (!auth.username || header !== want) {
          seen.status = 401;
          return json({ details: "incorrect username or password" }, 401);
        }
        authenticated = true;
      }
      scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "));
    }
    const granted = authenticated
      ? scopes
      : auth.anonymousPull
      ? scopes.map((s) => s.replace(/:[^:]*$/, ":pull"))
      : [];
    const token = crypto.randomUUID();
    const lifetime = auth.expiresIn ?? 60;
    tokens.set(token, {
      scopes: granted,
      expiresAt: Date.now() + lifetime * 1000,
    });
    const body: Record<string, unknown> = request.method === "POST"
      ? { access_token: token }
      : { token };
    if (auth.expiresIn !== undefined) body.expires_in = auth.expiresIn;
    return json(body);
  }

  function route(request: Request, url: URL, body: Uint8Array): Response {
    const path = url.pathname;
    const method = request.method;
    if (path === "/v2/" || path === "/v2") return json({});
    if (path === "/v2/_catalog") {
      if (options.noCatalog) {
        return ociError(404, "UNSUPPORTED", "The operation is unsupported.");
      }
      return catalog(url);
    }
    let m = TAGS_RE.exec(path);
    if (m && method === "GET") return tagList(request, url, m[1]);
    m = MANIFEST_RE.exec(path);
    if (m) return manifestRoute(request, m[1], decodeURIComponent(m[2]), body);
    m = BLOB_RE.exec(path);
    if (m && (method === "GET" || method === "HEAD")) {
      const bytes = blobs.get(m[2]);
      if (!bytes) {
        return ociError(404, "BLOB_UNKNOWN", "blob unknown to registry");
      }
      return new Response(method === "HEAD" ? null : bytes as BodyInit, {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(bytes.byteLength),
          "docker-content-digest": m[2],
        },
      });
    }
    m = UPLOADS_RE.exec(path);
    if (m && method === "POST") {
      const id = `u${++uploadSeq}`;
      uploads.set(id, { repo: m[1], parts: [], size: 0 });
      const headers: Record<string, string> = {
        location: `/v2/${m[1]}/blobs/uploads/${id}?_state=s%3D${id}`,
        range: "0-0",
        "docker-upload-uuid": id,
      };
      if (options.chunkMinLength) {
        headers["oci-chunk-min-length"] = String(options.chunkMinLength);
      }
      return new Response(null, { status: 202, headers });
    }
    m = UPLOAD_RE.exec(path);
    if (m) {
      const up = uploads.get(m[2]);
      if (!up) return ociError(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
      if (method === "GET") {
        return new Response(null, {
          status: 204,
          headers: {
            location: `/v2/${m[1]}/blobs/uploads/${m[2]}?_state=s%3D${up.size}`,
            range: `0-${Math.max(0, up.size - 1)}`,
            "docker-upload-uuid": m[2],
          },
        });
      }
      if (method === "DELETE") {
        uploads.delete(m[2]);
        return new Response(null, { status: 204 });
      }
      if (method === "PATCH") {
        const range = request.headers.get("content-range");
        if (range) {
          const [start] = range.split("-").map(Number);
          if (start !== up.size) {
            return new Response(null, { status: 416 });
          }
        }
        if (
          options.maxPatchBytes !== undefined &&
          body.byteLength > options.maxPatchBytes
        ) {
          return ociError(416, "BLOB_UPLOAD_INVALID", "chunk too large");
        }
        const keep = options.partialPatch?.(++patchSeq);
        if (keep !== undefined) {
          up.parts.push(body.slice(0, keep));
          up.size += Math.min(keep, body.byteLength);
          return ociError(500, "UNKNOWN", "connection reset");
        }
        up.parts.push(body);
        up.size += body.byteLength;
        return new Response(null, {
          status: 202,
          headers: {
            location: `/v2/${m[1]}/blobs/uploads/${m[2]}?_state=s%3D${up.size}`,
            range: `0-${up.size - 1}`,
          },
        });
      }
      if (method === "PUT") {
        up.parts.push(body);
        up.size += body.byteLength;
        const all = concat(up.parts);
        const digest = url.searchParams.get("digest") ?? "";
        if (sha256(all) !== digest) {
          return ociError(
            400,
            "DIGEST_INVALID",
            "provided digest did not match uploaded content",
          );
        }
        blobs.set(digest, all);
        repositories.add(up.repo);
        uploads.delete(m[2]);
        return new Response(null, {
          status: 201,
          headers: {
            location: `/v2/${m[1]}/blobs/${digest}`,
            "docker-content-digest": digest,
          },
        });
      }
    }
    return ociError(
      404,
      "NAME_UNKNOWN",
      "repository name not known to registry",
    );
  }

  function manifestRoute(
    request: Request,
    repo: string,
    reference: string,
    body: Uint8Array,
  ): Response {
    if (request.method === "PUT") {
      const digest = api.addManifest(
        repo,
        reference.startsWith("sha256:") ? undefined : reference,
        body,
        request.headers.get("content-type") ?? "",
      );
      return new Response(null, {
        status: 201,
        headers: {
          location: `/v2/${repo}/manifests/${digest}`,
          "docker-content-digest": digest,
        },
      });
    }
    const m = manifests.get(repo)?.get(reference);
    if (!m) {
      return ociError(404, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    const digest = sha256(m.bytes);
    const etag = `"${digest}"`;
    const headers = {
      "content-type": m.mediaType,
      "content-length": String(m.bytes.byteLength),
      "docker-content-digest": digest,
      etag,
    };
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(
      request.method === "HEAD" ? null : m.bytes as BodyInit,
      {
        headers,
      },
    );
  }

  function tagList(request: Request, url: URL, repo: string): Response {
    const all = [...(tagMap.get(repo) ?? [])].sort();
    if (!tagMap.has(repo)) {
      return ociError(
        404,
        "NAME_UNKNOWN",
        "repository name not known to registry",
      );
    }
    const etag = `"${sha256(new TextEncoder().encode(all.join("\n")))}"`;
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    const { page, link } = paginate(all, url, options.tagPageSize);
    return json({ name: repo, tags: page }, 200, {
      etag,
      ...(link ? { link } : {}),
    });
  }

  function catalog(url: URL): Response {
    const all = [...repositories].sort();
    let { page, link } = paginate(all, url, options.catalogPageSize);
    if (!link && options.catalogLinkOnLastPage) {
      const next = new URL(url.pathname, "http://x");
      const last = page.at(-1) ?? url.searchParams.get("last");
      if (last) next.searchParams.set("last", last);
      link = formatLink(`${next.pathname}${next.search}`);
    }
    return json({ repositories: page }, 200, link ? { link } : {});
  }

  function formatLink(target: string): string {
    switch (options.linkStyle ?? "angle") {
      case "bare":
        return `${target}; rel=next`;
      case "bare-absolute":
        // Like the peer: absolute, and without the port.
        return `http://127.0.0.1${target}; rel=next`;
      default:
        return `<${target}>; rel="next"`;
    }
  }

  function paginate(
    all: string[],
    url: URL,
    pageSize: number | undefined,
  ): { page: string[]; link?: string } {
    const last = url.searchParams.get("last");
    const nParam = url.searchParams.get("n");
    // A registry pages at its own size when that is smaller than `n`.
    const sizes = [
      nParam !== null ? Number(nParam) : undefined,
      pageSize,
      options.maxPageSize,
    ].filter((x): x is number => x !== undefined);
    const n = sizes.length ? Math.min(...sizes) : undefined;
    let rest = last === null ? all : all.filter((x) => x > last);
    if (n === undefined || rest.length <= n) return { page: rest };
    rest = rest.slice(0, n);
    const next = new URL(url.pathname, "http://x");
    next.searchParams.set("last", rest[rest.length - 1]);
    next.searchParams.set("n", String(n));
    return { page: rest, link: formatLink(`${next.pathname}${next.search}`) };
  }

  const api: FaultyRegistry = {
    host: server.host,
    origin: server.origin,
    get requests() {
      return server.requests.filter((r) => r.path.startsWith("/v2"));
    },
    tokenRequests,
    blobs,
    repositories,
    addBlob(repo, bytes) {
      const digest = sha256(bytes);
      blobs.set(digest, bytes);
      repositories.add(repo);
      return digest;
    },
    addManifest(repo, tag, bytes, mediaType) {
      const digest = sha256(bytes);
      const byRef = manifests.get(repo) ?? new Map();
      manifests.set(repo, byRef);
      byRef.set(digest, { bytes, mediaType });
      if (tag) {
        byRef.set(tag, { bytes, mediaType });
        const t = tagMap.get(repo) ?? new Set<string>();
        t.add(tag);
        tagMap.set(repo, t);
      } else if (!tagMap.has(repo)) {
        tagMap.set(repo, new Set());
      }
      repositories.add(repo);
      return digest;
    },
    tags(repo) {
      return [...(tagMap.get(repo) ?? [])].sort();
    },
    manifest(repo, reference) {
      return manifests.get(repo)?.get(reference)?.bytes;
    },
    fault(handler) {
      faults.push(handler);
      return () => {
        faults = faults.filter((f) => f !== handler);
      };
    },
    clearFaults() {
      faults = [];
    },
    revokeTokens() {
      tokens.clear();
    },
    close: () => server.close(),
  };
  return api;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
