/**
 * A small Docker token-auth issuer for the real registry in token mode.
 *
 * It speaks the flows a client meets in the field: `GET /token` with or
 * without Basic credentials (anonymous gets a token granting nothing, as
 * Docker Hub does), `GET … &offline_token=true` returning a refresh token,
 * and `POST /token` with `grant_type=password` or `grant_type=refresh_token`
 * (Docker identity tokens). Tokens are ES256 JWTs carrying the issuer's
 * self-signed certificate in `x5c`, which distribution 2.8 verifies against
 * its `rootcertbundle` (see registry/auth/token/token.go there: `aud` is a
 * single string, `nbf`/`exp` get 60 s leeway, the leaf must chain to a root).
 *
 * @module
 */

/** One scope a client asked for, `type:name:actions`. */
export interface ScopeRequest {
  /** Resource type (`repository`, `registry`). */
  type: string;
  /** Resource name (`plugins/a`, `catalog`). */
  name: string;
  /** Requested actions (`pull`, `push`, `delete`, `*`). */
  actions: string[];
}

/** One access entry of a token (the JWT `access` claim). */
export interface ResourceAccess {
  /** Resource type. */
  type: string;
  /** Resource name. */
  name: string;
  /** Granted actions. */
  actions: string[];
}

/** What the issuer saw for one request, for assertions. */
export interface TokenRequestRecord {
  /** `GET` or `POST`. */
  method: string;
  /** `grant_type` of a POST, `""` for GET. */
  grantType: string;
  /** Authenticated subject, `""` when anonymous or refused. */
  subject: string;
  /** The `service` parameter as sent. */
  service: string | null;
  /** The raw `scope` parameters as sent. */
  scopes: string[];
  /** HTTP status answered. */
  status: number;
}

/** Options of {@linkcode startTokenIssuer}. */
export interface TokenIssuerOptions {
  /** Directory for the key and certificate (the caller removes it). */
  dir: string;
  /** The registry's service name (`aud`). */
  service: string;
  /** The issuer name (`iss`), as configured in the registry. */
  issuer: string;
  /** The one valid user. */
  username: string;
  /** Its password. */
  password: string;
  /** The refresh (identity) token accepted for `grant_type=refresh_token`. */
  refreshToken: string;
  /** Token lifetime in seconds (default 300). */
  ttlSeconds?: number;
  /**
   * Grants for an authenticated subject; the default grants every scope as
   * asked. Anonymous requests are never granted anything.
   */
  authorize?: (subject: string, scope: ScopeRequest) => string[];
}

/**
 * A running issuer.
 *
 * @example
 * ```ts
 * const issuer = await startTokenIssuer({ dir, service: "s", issuer: "i", username: "u", password: "p", refreshToken: "r" });
 * try { console.log(issuer.realm); } finally { await issuer.stop(); }
 * ```
 */
export interface TokenIssuer {
  /** `http://127.0.0.1:PORT/token`, the registry's `realm`. */
  readonly realm: string;
  /** PEM path of the self-signed certificate (`rootcertbundle`). */
  readonly certPath: string;
  /** Every request answered so far, oldest first. */
  readonly requests: readonly TokenRequestRecord[];
  /** Mints a token directly, bypassing HTTP (for negative tests). */
  mint(
    subject: string,
    access: ResourceAccess[],
    ttlSeconds?: number,
  ): Promise<string>;
  /** Stops serving. */
  stop(): Promise<void>;
}

/** Parses a `type:name:actions` scope; the name may itself hold colons. */
export function parseScope(scope: string): ScopeRequest | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  return {
    // `repository(plugin)` class suffixes are irrelevant to distribution.
    type: scope.slice(0, first).replace(/\(.*\)$/, ""),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(",").filter(Boolean),
  };
}

/** Decodes a JWT's header and claims without verifying it. */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split(".");
  const dec = (s: string) =>
    JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(
          atob(
            s.replaceAll("-", "+").replaceAll("_", "/") +
              "===".slice((s.length + 3) % 4),
          ),
          (ch) => ch.charCodeAt(0),
        ),
      ),
    );
  return { header: dec(h), claims: dec(c) };
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const m = pem.match(
    new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`),
  );
  if (!m) throw new Error(`no ${label} in PEM`);
  return Uint8Array.from(
    atob(m[1].replace(/\s+/g, "")),
    (c) => c.charCodeAt(0),
  );
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args[0]} failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
}

/** Makes a P-256 key and a self-signed certificate for it with openssl. */
async function makeKeyAndCert(
  dir: string,
): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = `${dir}/token-key.pem`;
  const certPath = `${dir}/token-cert.pem`;
  // OpenSSL 3 writes the key as PKCS#8 ("PRIVATE KEY"), which Web Crypto imports.
  await run("openssl", [
    "req",
    "-x509",
    "-nodes",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    "/CN=klaus-oci-test-token-issuer",
  ]);
  return { keyPath, certPath };
}

const te = new TextEncoder();

function unauthorized(message: string): Response {
  return Response.json({ errors: [{ code: "UNAUTHORIZED", message }] }, {
    status: 401,
  });
}

/**
 * Starts the issuer on a free loopback port.
 *
 * @example
 * ```ts
 * const issuer = await startTokenIssuer({ dir, service: "registry", issuer: "issuer", username: "u", password: "p", refreshToken: "r" });
 * await issuer.stop();
 * ```
 */
export async function startTokenIssuer(
  options: TokenIssuerOptions,
): Promise<TokenIssuer> {
  const { keyPath, certPath } = await makeKeyAndCert(options.dir);
  const certPem = await Deno.readTextFile(certPath);
  const x5c = [btoa(String.fromCharCode(...pemBody(certPem, "CERTIFICATE")))];
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(await Deno.readTextFile(keyPath), "PRIVATE KEY"),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const ttl = options.ttlSeconds ?? 300;
  const authorize = options.authorize ??
    ((_s: string, scope: ScopeRequest) => scope.actions);
  const requests: TokenRequestRecord[] = [];

  async function mint(
    subject: string,
    access: ResourceAccess[],
    ttlSeconds = ttl,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c };
    const claims = {
      iss: options.issuer,
      sub: subject,
      aud: options.service,
      exp: now + ttlSeconds,
      nbf: now - 1,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const signingInput = `${b64url(te.encode(JSON.stringify(header)))}.${
      b64url(te.encode(JSON.stringify(claims)))
    }`;
    // Web Crypto's ECDSA signature is already the JWS form: raw r || s.
    const sig = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        key,
        te.encode(signingInput),
      ),
    );
    return `${signingInput}.${b64url(sig)}`;
  }

  function grant(subject: string, scopes: string[]): ResourceAccess[] {
    if (subject === "") return [];
    const access: ResourceAccess[] = [];
    for (const raw of scopes) {
      for (const one of raw.split(" ").filter(Boolean)) {
        const scope = parseScope(one);
        if (!scope) continue;
        const actions = authorize(subject, scope);
        if (actions.length > 0) {
          access.push({ type: scope.type, name: scope.name, actions });
        }
      }
    }
    return access;
  }

  function basicUser(req: Request): string | null | undefined {
    const h = req.headers.get("authorization");
    if (!h) return undefined;
    const m = h.match(/^Basic\s+(.+)$/i);
    if (!m) return null;
    let decoded: string;
    try {
      decoded = atob(m[1]);
    } catch {
      return null;
    }
    const i = decoded.indexOf(":");
    const user = decoded.slice(0, i);
    const pass = decoded.slice(i + 1);
    return i > 0 && user === options.username && pass === options.password
      ? user
      : null;
  }

  async function answer(
    req: Request,
    record: TokenRequestRecord,
  ): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/token") {
      return new Response("not found", { status: 404 });
    }
    let subject = "";
    let offline = false;
    if (req.method === "GET") {
      record.service = url.searchParams.get("service");
      record.scopes = url.searchParams.getAll("scope");
      offline = url.searchParams.get("offline_token") === "true";
      const user = basicUser(req);
      if (user === null) return unauthorized("invalid username or password");
      subject = user ?? "";
    } else if (req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      record.grantType = form.get("grant_type") ?? "";
      record.service = form.get("service");
      record.scopes = form.getAll("scope");
      if (record.grantType === "refresh_token") {
        if (form.get("refresh_token") !== options.refreshToken) {
          return unauthorized("invalid refresh token");
        }
        subject = options.username;
      } else if (record.grantType === "password") {
        if (
          form.get("username") !== options.username ||
          form.get("password") !== options.password
        ) {
          return unauthorized("invalid username or password");
        }
        subject = options.username;
        offline = form.get("access_type") === "offline";
      } else {
        return Response.json({ error: "unsupported_grant_type" }, {
          status: 400,
        });
      }
    } else {
      return new Response("method not allowed", { status: 405 });
    }
    if (record.service !== null && record.service !== options.service) {
      return Response.json({
        error: "invalid_request",
        detail: "unknown service",
      }, { status: 400 });
    }
    record.subject = subject;
    const token = await mint(subject, grant(subject, record.scopes));
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: ttl,
      issued_at: new Date().toISOString(),
    };
    if (offline && subject !== "") body.refresh_token = options.refreshToken;
    return Response.json(body);
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const record: TokenRequestRecord = {
        method: req.method,
        grantType: "",
        subject: "",
        service: null,
        scopes: [],
        status: 0,
      };
      const res = await answer(req, record);
      record.status = res.status;
      requests.push(record);
      return res;
    },
  );

  return {
    realm: `http://127.0.0.1:${server.addr.port}/token`,
    certPath,
    requests,
    mint,
    async stop() {
      await server.shutdown();
    },
  };
}
