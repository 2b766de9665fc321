/**
 * A small hostile registry on loopback (`Deno.serve`), for the failures a
 * real registry does not produce on demand and the reliability suite needs
 * (test/reliability/):
 *
 * - `stall`: every `/v2/<name>/…` GET answers 200 with its headers and the
 *   first bytes of a JSON body, then sends nothing more;
 * - `drip`: the same, then one byte every `dripMs` (default 2 s), forever —
 *   never silent long enough for a plain "no data" timer;
 * - `manifest`: a well-formed registry whose manifests are the given
 *   document (default `{}`), with one tag `v1.0.0` per repository;
 * - `echo`: a registry demanding Basic or Bearer credentials (with its own
 *   token endpoint, issuing the given access and refresh tokens) that
 *   answers every authenticated request with a 403 whose error text
 *   echoes the credentials it was sent, in every form it can: the
 *   `Authorization` header, the decoded password, the base64 pair, the
 *   bare token, refresh tokens it saw, JSON-escaped, with a forged line.
 * - `tags`: one repository with `tagCount` tags in a single page.
 *
 * Streams still open when the server closes are ended, so `close()` never
 * waits for a body that was designed never to finish.
 *
 * @module
 */

/** Behaviour of a {@linkcode startHostileServer} server. */
export type HostileMode =
  | { kind: "stall" }
  | { kind: "drip"; dripMs?: number }
  | { kind: "manifest"; manifest?: string }
  | {
    kind: "echo";
    auth: "basic" | "bearer";
    /** Bearer: the access token the token endpoint issues. */
    accessToken?: string;
    /** Bearer: the refresh token the token endpoint issues. */
    refreshToken?: string;
  }
  | { kind: "tags"; tagCount: number };

/** A request the server saw. */
export interface HostileRequest {
  /** HTTP method. */
  method: string;
  /** Path and query. */
  path: string;
  /** The `Authorization` header, if any. */
  authorization: string | null;
}

/** A running hostile server. */
export interface HostileServer extends AsyncDisposable {
  /** `127.0.0.1:PORT`, the registry part of references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every request, oldest first. */
  readonly requests: readonly HostileRequest[];
  /** Stops serving; ends every open body. Idempotent. */
  close(): Promise<void>;
}

const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
const te = new TextEncoder();

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return `sha256:${
    Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

function json(status: number, body: unknown, headers: HeadersInit = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** `/v2/<name>/<kind>/<rest>` parts, or undefined. */
function route(
  path: string,
): { name: string; kind: string; rest: string } | undefined {
  const m = path.match(/^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/);
  return m ? { name: m[1], kind: m[2], rest: m[3] } : undefined;
}

/**
 * Starts the server on a free loopback port.
 *
 * @example
 * ```ts ignore
 * await using server = await startHostileServer({ kind: "drip", dripMs: 100 });
 * const res = await fetch(`${server.url}/v2/p/a/tags/list`);
 * console.log(res.status); // 200, and a body that never ends
 * ```
 */
export async function startHostileServer(
  mode: HostileMode,
): Promise<HostileServer> {
  const requests: HostileRequest[] = [];
  const open = new Set<() => void>();
  const refreshSeen = new Set<string>();
  if (mode.kind === "echo" && mode.refreshToken) {
    refreshSeen.add(mode.refreshToken);
  }
  let host = "";

  /** A 200 whose body starts with `head`, then stalls or drips. */
  const endless = (head: string, contentType: string): Response => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const end = () => {
      clearInterval(timer);
      open.delete(end);
      try {
        controller.close();
      } catch {
        // already closed or cancelled
      }
    };
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        open.add(end);
        c.enqueue(te.encode(head));
        if (mode.kind === "drip") {
          timer = setInterval(() => {
            try {
              c.enqueue(te.encode(" "));
            } catch {
              end();
            }
          }, mode.dripMs ?? 2000);
        }
      },
      cancel() {
        clearInterval(timer);
        open.delete(end);
      },
    });
    return new Response(body, {
      status: 200,
      // A length the body never reaches: the client may not stop early.
      headers: { "content-type": contentType, "content-length": "65536" },
    });
  };

  const echo = (authorization: string): Response => {
    const forms: string[] = [`Authorization=${authorization}`];
    const [scheme, value = ""] = authorization.split(/\s+/, 2);
    if (scheme.toLowerCase() === "basic") {
      let pair = "";
      try {
        pair = atob(value);
      } catch {
        // not base64
      }
      const colon = pair.indexOf(":");
      forms.push(
        `user ${pair.slice(0, colon)} password ${
          pair.slice(colon + 1)
        } pair ${value}`,
      );
    } else {
      forms.push(`token ${value}`);
    }
    forms.push(
      `refresh ${[...refreshSeen].join(" ")} ${
        JSON.stringify({ authorization })
      }\r\nerror: forged line`,
    );
    return json(403, {
      errors: forms.map((message) => ({ code: "DENIED", message })),
    });
  };

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const authorization = request.headers.get("authorization");
    requests.push({
      method: request.method,
      path: url.pathname + url.search,
      authorization,
    });
    if (mode.kind === "echo") {
      if (url.pathname === "/token") {
        if (request.method === "POST") {
          const form = new URLSearchParams(await request.text());
          const rt = form.get("refresh_token");
          if (rt) refreshSeen.add(rt);
        }
        return json(200, {
          token: mode.accessToken ?? "hostile-access-token",
          access_token: mode.accessToken ?? "hostile-access-token",
          refresh_token: mode.refreshToken,
          expires_in: 300,
        });
      }
      if (!url.pathname.startsWith("/v2/")) return json(404, {});
      if (!authorization) {
        const challenge = mode.auth === "basic"
          ? 'Basic realm="hostile"'
          : `Bearer realm="http://${host}/token",service="hostile"`;
        return json(401, {
          errors: [{
            code: "UNAUTHORIZED",
            message: "authentication required",
          }],
        }, { "www-authenticate": challenge });
      }
      if (url.pathname === "/v2/") return json(200, {});
      return echo(authorization);
    }
    if (url.pathname === "/v2/") return json(200, {});
    if (mode.kind === "stall" || mode.kind === "drip") {
      if (url.pathname === "/v2/_catalog") {
        return endless('{"repositories":["plugins/a"', "application/json");
      }
      const r = route(url.pathname);
      if (!r) return json(404, {});
      if (r.kind === "manifests") {
        if (request.method === "HEAD") {
          return new Response(null, {
            status: 200,
            headers: {
              "content-type": MANIFEST_TYPE,
              "content-length": "65536",
              "docker-content-digest": `sha256:${"0".repeat(64)}`,
            },
          });
        }
        return endless('{"schemaVersion":2', MANIFEST_TYPE);
      }
      if (r.kind === "tags") {
        return endless(
          `{"name":"${r.name}","tags":["v1.0.0"`,
          "application/json",
        );
      }
      return endless("\u001f\u008b", "application/octet-stream");
    }
    if (url.pathname === "/v2/_catalog") {
      return json(200, { repositories: ["plugins/a", "plugins/b"] });
    }
    const r = route(url.pathname);
    if (!r) return json(404, {});
    if (mode.kind === "tags") {
      if (r.kind !== "tags") return json(404, {});
      const tags = Array.from({ length: mode.tagCount }, (_, i) => `v${i}.0.0`);
      return json(200, { name: r.name, tags });
    }
    if (r.kind === "tags") return json(200, { name: r.name, tags: ["v1.0.0"] });
    if (r.kind === "manifests") {
      const bytes = te.encode(mode.manifest ?? "{}");
      return new Response(request.method === "HEAD" ? null : bytes, {
        status: 200,
        headers: {
          "content-type": MANIFEST_TYPE,
          "content-length": String(bytes.byteLength),
          "docker-content-digest": await sha256(bytes),
        },
      });
    }
    return json(404, { errors: [{ code: "BLOB_UNKNOWN", message: "no" }] });
  };

  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, handle);
  const addr = await listening.promise;
  host = `127.0.0.1:${addr.port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const end of [...open]) end();
      await server.shutdown();
    })();
    return closing;
  };
  return {
    host,
    url: `http://${host}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}
