/**
 * Starts a real CNCF distribution 2.8 registry (`docker-registry` from
 * Debian) on a free loopback port, in one of three modes: open, htpasswd
 * Basic auth, or Bearer token auth backed by {@linkcode startTokenIssuer}.
 *
 * The registry is configured from scratch in a temp dir and run with a clean
 * environment, so neither the Debian service config nor `REGISTRY_*`
 * variables of the developer leak in.
 *
 * @module
 */
import {
  startTokenIssuer,
  type TokenIssuer,
  type TokenRequestRecord,
} from "./token_issuer.ts";

/** How the registry authenticates clients. */
export type RegistryMode = "open" | "basic" | "token";

/** Options of {@linkcode startRegistry}. */
export interface StartRegistryOptions {
  /** Authentication mode (default `"open"`). */
  mode?: RegistryMode;
  /** User name for basic/token modes (default `"klaus"`). */
  username?: string;
  /** Password for basic/token modes (default: random). */
  password?: string;
  /** Lifetime of issued tokens in seconds (token mode, default 300). */
  tokenTtlSeconds?: number;
  /** `catalog.maxentries` (default 1000). */
  catalogMaxEntries?: number;
}

/** Options of the Docker config helpers. */
export interface DockerConfigOptions {
  /**
   * Token mode: store the issuer's refresh token as `identitytoken` (with the
   * `<token>` user Docker writes for identity tokens) instead of a password.
   */
  identityToken?: boolean;
  /** Write these credentials instead of the valid ones (negative tests). */
  username?: string;
  /** Password to write instead of the valid one. */
  password?: string;
}

/** A Docker config document (`~/.docker/config.json`). */
export interface DockerConfig {
  /** Per-host credentials. */
  auths: Record<string, { auth?: string; identitytoken?: string }>;
}

/** Process and data of one running registry. */
export interface RegistryHandle extends AsyncDisposable {
  /** Authentication mode. */
  readonly mode: RegistryMode;
  /** `127.0.0.1:PORT`, the registry part of references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Valid user (basic/token modes; `""` when open). */
  readonly username: string;
  /** Valid password (basic/token modes; `""` when open). */
  readonly password: string;
  /** Token mode: the refresh token the issuer accepts (identity token). */
  readonly refreshToken: string;
  /** Token mode: the `service` of the Bearer challenge. */
  readonly service: string;
  /** Token mode: the token endpoint (`realm`); `""` otherwise. */
  readonly realm: string;
  /** Token mode: how many requests reached the token issuer. */
  readonly tokenRequests: number;
  /** Token mode: what the issuer saw, oldest first. */
  readonly tokenLog: readonly TokenRequestRecord[];
  /** Token mode: the issuer itself (to mint tokens directly). */
  readonly tokenIssuer: TokenIssuer | undefined;
  /** The temp dir holding config, storage and auth files. */
  readonly dir: string;
  /** Whether the registry process is running. */
  readonly running: boolean;
  /** `host/repo[:tag|@digest]`. */
  ref(repository: string, tagOrDigest?: string): string;
  /** The Docker config JSON granting the valid credentials for `host`. */
  dockerConfig(options?: DockerConfigOptions): DockerConfig;
  /** {@linkcode dockerConfig} as base64 (the `registryAuthEnv` format). */
  dockerConfigBase64(options?: DockerConfigOptions): string;
  /** Writes `<dir>/config.json` (a `DOCKER_CONFIG` dir); returns its path. */
  writeDockerConfig(
    dir: string,
    options?: DockerConfigOptions,
  ): Promise<string>;
  /** The registry's recent log output (for failure messages). */
  logs(): string;
  /** Stops the registry process, keeping its storage (registry down). */
  down(): Promise<void>;
  /** Starts the process again on the same port with the same storage. */
  up(): Promise<void>;
  /** {@linkcode down} then {@linkcode up}. */
  restart(): Promise<void>;
  /** Stops everything and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;
const READY_TIMEOUT_MS = 15_000;

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  // Servers started side by side each ask for a port before either binds
  // it; never hand the same one out twice in a process.
  for (;;) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
const handedOut = new Set<number>();

/** A Docker config as base64 (the `registryAuthEnv` format). */
export function dockerConfigBase64(config: DockerConfig): string {
  return b64(JSON.stringify(config));
}

/** Writes `config` as `<dir>/config.json`; returns the path. */
export async function writeDockerConfigFile(
  dir: string,
  config: DockerConfig,
): Promise<string> {
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return path;
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

async function htpasswd(
  path: string,
  user: string,
  pass: string,
): Promise<void> {
  // distribution only accepts bcrypt entries.
  const out = await new Deno.Command("htpasswd", {
    args: ["-Bbn", user, pass],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `htpasswd failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  await Deno.writeFile(path, out.stdout);
}

class Registry implements RegistryHandle {
  readonly mode: RegistryMode;
  readonly username: string;
  readonly password: string;
  readonly refreshToken: string;
  readonly service: string;
  readonly dir: string;
  tokenIssuer: TokenIssuer | undefined;
  #port = 0;
  #configExtra: Record<string, unknown> = {};
  #catalogMax: number;
  #child: Deno.ChildProcess | undefined;
  #drain: Promise<void> | undefined;
  #log = "";
  #stopped = false;

  constructor(dir: string, options: StartRegistryOptions) {
    this.dir = dir;
    this.mode = options.mode ?? "open";
    const authed = this.mode !== "open";
    this.username = authed ? options.username ?? "klaus" : "";
    this.password = authed
      ? options.password ?? `pw-${crypto.randomUUID().replaceAll("-", "")}`
      : "";
    this.refreshToken = this.mode === "token"
      ? `refresh-${crypto.randomUUID()}`
      : "";
    this.service = this.mode === "token" ? "klaus-test-registry" : "";
    this.#catalogMax = options.catalogMaxEntries ?? 1000;
  }

  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }
  get url(): string {
    return `http://${this.host}`;
  }
  get realm(): string {
    return this.tokenIssuer?.realm ?? "";
  }
  get tokenRequests(): number {
    return this.tokenIssuer?.requests.length ?? 0;
  }
  get tokenLog(): readonly TokenRequestRecord[] {
    return this.tokenIssuer?.requests ?? [];
  }
  get running(): boolean {
    return this.#child !== undefined;
  }

  ref(repository: string, tagOrDigest?: string): string {
    if (!tagOrDigest) return `${this.host}/${repository}`;
    return `${this.host}/${repository}${
      tagOrDigest.includes(":") ? "@" : ":"
    }${tagOrDigest}`;
  }

  dockerConfig(options: DockerConfigOptions = {}): DockerConfig {
    if (this.mode === "open" && options.username === undefined) {
      return { auths: {} };
    }
    if (options.identityToken) {
      return {
        auths: {
          [this.host]: {
            auth: b64("<token>:"),
            identitytoken: this.refreshToken,
          },
        },
      };
    }
    const user = options.username ?? this.username;
    const pass = options.password ?? this.password;
    return { auths: { [this.host]: { auth: b64(`${user}:${pass}`) } } };
  }

  dockerConfigBase64(options?: DockerConfigOptions): string {
    return dockerConfigBase64(this.dockerConfig(options));
  }

  writeDockerConfig(
    dir: string,
    options?: DockerConfigOptions,
  ): Promise<string> {
    return writeDockerConfigFile(dir, this.dockerConfig(options));
  }

  logs(): string {
    return this.#log;
  }

  async setup(options: StartRegistryOptions): Promise<void> {
    await Deno.mkdir(`${this.dir}/storage`);
    if (this.mode === "basic") {
      await htpasswd(`${this.dir}/htpasswd`, this.username, this.password);
      this.#configExtra = {
        auth: {
          htpasswd: { realm: "klaus-test-basic", path: `${this.dir}/htpasswd` },
        },
      };
    } else if (this.mode === "token") {
      this.tokenIssuer = await startTokenIssuer({
        dir: this.dir,
        service: this.service,
        issuer: "klaus-test-issuer",
        username: this.username,
        password: this.password,
        refreshToken: this.refreshToken,
        ttlSeconds: options.tokenTtlSeconds,
      });
      this.#configExtra = {
        auth: {
          token: {
            realm: this.tokenIssuer.realm,
            service: this.service,
            issuer: "klaus-test-issuer",
            rootcertbundle: this.tokenIssuer.certPath,
          },
        },
      };
    }
  }

  async #writeConfig(): Promise<string> {
    const config = {
      version: 0.1,
      log: { level: "warn", accesslog: { disabled: true }, formatter: "text" },
      storage: {
        filesystem: { rootdirectory: `${this.dir}/storage` },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: this.host,
        secret: "klaus-oci-test-secret",
        headers: { "X-Content-Type-Options": ["nosniff"] },
      },
      catalog: { maxentries: this.#catalogMax },
      ...this.#configExtra,
    };
    // YAML is a superset of JSON, so the registry reads this as is.
    const path = `${this.dir}/config.yml`;
    await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
    return path;
  }

  #spawn(configPath: string): void {
    const child = new Deno.Command("docker-registry", {
      args: ["serve", configPath],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#drain = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#log += dec.decode(chunk, { stream: true });
        if (this.#log.length > LOG_LIMIT) {
          this.#log = this.#log.slice(-LOG_LIMIT);
        }
      }
    })();
  }

  /** Resolves true when `/v2/` answers, false when the process died. */
  async #waitReady(): Promise<boolean> {
    const child = this.#child!;
    let exited = false;
    const status = child.status.then(() => {
      exited = true;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) return false;
      try {
        const res = await fetch(`${this.url}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return true;
      } catch {
        // not listening yet
      }
      await Promise.race([status, new Promise((r) => setTimeout(r, 50))]);
    }
    throw new Error(
      `registry on ${this.host} not ready after ${READY_TIMEOUT_MS} ms:\n${this.#log}`,
    );
  }

  async #reap(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
    await this.#drain;
  }

  /** Starts on a fresh free port, retrying when another process took it. */
  async start(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      this.#port = freePort();
      this.#spawn(await this.#writeConfig());
      if (await this.#waitReady()) return;
      await this.#reap();
      if (!/address already in use/i.test(this.#log)) break;
    }
    throw new Error(`registry did not start:\n${this.#log}`);
  }

  async up(): Promise<void> {
    if (this.#stopped) throw new Error("registry was stopped");
    if (this.#child) return;
    this.#spawn(await this.#writeConfig());
    if (!(await this.#waitReady())) {
      await this.#reap();
      throw new Error(
        `registry did not come back on ${this.host}:\n${this.#log}`,
      );
    }
  }

  async down(): Promise<void> {
    await this.#reap();
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await this.#reap();
      await this.tokenIssuer?.stop();
    } finally {
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts a registry and waits until `GET /v2/` answers.
 *
 * @example
 * ```ts
 * const reg = await startRegistry({ mode: "basic" });
 * try {
 *   const res = await fetch(`${reg.url}/v2/`);
 *   console.log(res.status); // 401
 * } finally {
 *   await reg.stop();
 * }
 * ```
 */
export async function startRegistry(
  options: StartRegistryOptions = {},
): Promise<RegistryHandle> {
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-registry-" });
  const reg = new Registry(dir, options);
  try {
    await reg.setup(options);
    await reg.start();
  } catch (e) {
    await reg.stop();
    throw e;
  }
  return reg;
}

/** The three modes, for table-driven tests. */
export const REGISTRY_MODES: readonly RegistryMode[] = [
  "open",
  "basic",
  "token",
];
