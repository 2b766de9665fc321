/**
 * Starts cloudflare/serverless-registry — a second, independent OCI
 * registry implementation (a Worker on R2) — under `wrangler dev --local`
 * on a free loopback port, with Basic auth, so every round trip can run
 * against it as well as against distribution 2.8 (`registry.ts`).
 *
 * The peer is a read-only checkout with a `start.sh PORT STATE_DIR [USER
 * PASS]`, found through `KLAUS_OCI_PEER_REGISTRY` (default
 * `<repo>/../shared/peers/serverless-registry`). Its npm dependencies
 * (wrangler, workerd: ~200 MB) are installed once per `package-lock.json`
 * into `${XDG_CACHE_HOME:-~/.cache}/klaus-oci-test/peer-<hash>`, under a
 * lock shared by parallel test files and processes. Each instance gets its
 * own state dir whose `app/` holds copies of the sources and a
 * `node_modules` symlink to that install — so `start.sh` skips its own
 * `npm ci`, and every instance has its own `.wrangler`, R2 data, HOME and
 * TMPDIR.
 *
 * The process runs in its own session (`setsid`), so stopping kills the
 * whole group (bash, wrangler's node, workerd, esbuild); a watchdog in the
 * group kills it too when this process dies without stopping it.
 *
 * Clients reach the peer through a small byte relay on the handle's port
 * that drops TLS handshakes at once (see {@linkcode TlsDroppingRelay}):
 * without it every skopeo call waits 10 s for a TLS answer workerd never
 * gives. Startup has a deadline (60 s) whose error carries the peer's
 * output; install and startup times are logged.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  dockerConfigBase64,
  freePort,
  writeDockerConfigFile,
} from "./registry.ts";
import type {
  DockerConfig,
  DockerConfigOptions,
  RegistryHandle,
} from "./registry.ts";
import { hasCommand, missingComponent } from "./require.ts";

/** Options of {@linkcode startPeerRegistry}. */
export interface StartPeerRegistryOptions {
  /** User name (default `"klaus"`). */
  username?: string;
  /** Password (default: random). */
  password?: string;
  /** The peer checkout (default {@linkcode peerRegistryDir}). */
  peerDir?: string;
  /** How long startup may take, install excluded (default 60 000 ms). */
  readyTimeoutMs?: number;
  /**
   * A directory whose `node_modules` to link instead of the shared install
   * (harness tests of a stand-in peer, which has nothing to install).
   */
  installDir?: string;
}

/** A running peer registry: a {@linkcode RegistryHandle} in Basic mode. */
export interface PeerRegistryHandle extends RegistryHandle {
  /** Always `"basic"`: the peer authenticates with a user and password. */
  readonly mode: "basic";
  /** Process group id of the running peer (0 when down). */
  readonly pgid: number;
  /** How long the last start took until `/v2/` answered 200 (ms). */
  readonly startupMs: number;
  /** The read-only peer checkout it was started from. */
  readonly peerDir: string;
}

const LOG_LIMIT = 64 * 1024;
const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** npm ci of wrangler takes seconds with a warm npm cache, minutes cold. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** A lock older than this belongs to an installer that is gone. */
const LOCK_STALE_MS = INSTALL_TIMEOUT_MS + 60_000;
/** Once asked to stop, how long the group gets before SIGKILL. */
const STOP_GRACE_MS = 5_000;
const MARKER = ".klaus-peer-install-complete";
/** What `start.sh` copies into its app dir (besides `node_modules`). */
const APP_FILES = [
  "index.ts",
  "src",
  "package.json",
  "package-lock.json",
  "wrangler.toml",
];

/**
 * The peer checkout: `KLAUS_OCI_PEER_REGISTRY`, or
 * `<repo>/../shared/peers/serverless-registry` (where CI lays `shared/`
 * beside the checkout).
 *
 * @example
 * ```ts
 * console.log(`${peerRegistryDir()}/start.sh`);
 * ```
 */
export function peerRegistryDir(): string {
  const fromEnv = Deno.env.get("KLAUS_OCI_PEER_REGISTRY");
  if (fromEnv) return fromEnv.replace(/\/+$/, "");
  return fileURLToPath(
    new URL("../../../shared/peers/serverless-registry", import.meta.url),
  ).replace(/\/+$/, "");
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Whether tests needing the peer registry must be ignored: `true` (with a
 * loud warning) on a developer machine without the checkout or without
 * node, npm, bash or setsid; throws in CI (`CI=true`), where a missing
 * peer fails the run.
 *
 * @example
 * ```ts
 * Deno.test({ name: "…", ignore: missingPeerRegistry(), fn: async () => {} });
 * ```
 */
export function missingPeerRegistry(): boolean {
  const dir = peerRegistryDir();
  const files = ["start.sh", ...APP_FILES.filter((f) => f !== "src")]
    .filter((f) => !isFile(`${dir}/${f}`));
  if (!isDir(`${dir}/src`)) files.push("src/");
  const commands = ["node", "npm", "bash", "setsid"].filter((c) =>
    !hasCommand(c)
  );
  const absent = [
    ...files.map((f) => `${dir}/${f}`),
    ...commands.map((c) => `command ${c}`),
  ];
  return missingComponent(
    "the peer registry (cloudflare/serverless-registry)",
    absent.length === 0,
    `missing ${absent.join(", ")}; set KLAUS_OCI_PEER_REGISTRY to its` +
      ` checkout, install Node >= 20 with npm`,
  );
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/klaus-oci-test`;
  const home = Deno.env.get("HOME");
  return home ? `${home}/.cache/klaus-oci-test` : "/tmp/klaus-oci-test";
}

interface LockOwner {
  pid: number;
  hostname: string;
  token: string;
  since: number;
}

/** Whether a lock dir's owner is gone (dead process, or far too old). */
async function lockIsStale(lock: string): Promise<string | undefined> {
  let owner: LockOwner | undefined;
  try {
    owner = JSON.parse(await Deno.readTextFile(`${lock}/owner.json`));
  } catch {
    // Just created and not yet written, or written by a crashed owner:
    // only its age can tell.
  }
  let since = owner?.since;
  if (since === undefined) {
    try {
      since = (await Deno.stat(lock)).mtime?.getTime() ?? Date.now();
    } catch {
      return undefined; // released meanwhile
    }
  }
  if (Date.now() - since > LOCK_STALE_MS) return owner?.token ?? "unowned";
  if (
    owner && owner.hostname === Deno.hostname() &&
    !(await exists(`/proc/${owner.pid}`)) && (await exists("/proc/self"))
  ) {
    return owner.token;
  }
  return undefined;
}

/**
 * Takes the install lock (a directory: `mkdir` is atomic), breaking a stale
 * one. Returns `undefined` when the install completed meanwhile.
 */
async function acquireInstallLock(
  lock: string,
  done: () => Promise<boolean>,
): Promise<(() => Promise<void>) | undefined> {
  const token = crypto.randomUUID();
  const deadline = Date.now() + LOCK_STALE_MS + 30_000;
  let waitingSaid = false;
  while (true) {
    if (await done()) return undefined;
    try {
      await Deno.mkdir(lock);
      const owner: LockOwner = {
        pid: Deno.pid,
        hostname: Deno.hostname(),
        token,
        since: Date.now(),
      };
      await Deno.writeTextFile(`${lock}/owner.json`, JSON.stringify(owner));
      return async () => {
        await Deno.remove(lock, { recursive: true }).catch(() => {});
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const stale = await lockIsStale(lock);
    if (stale !== undefined) {
      // Move it aside rather than delete it: rename is atomic, so of two
      // waiters breaking the same lock only one succeeds. Correctness does
      // not rest on the lock anyway — installs land by an atomic rename.
      const aside = `${lock}.stale-${token}`;
      try {
        await Deno.rename(lock, aside);
        await Deno.remove(aside, { recursive: true });
        console.error(`peer registry: broke a stale install lock ${lock}`);
      } catch {
        // someone else broke or released it
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`peer registry: install lock ${lock} held too long`);
    }
    if (!waitingSaid) {
      waitingSaid = true;
      console.error(
        `peer registry: waiting for another process installing into ${lock}`,
      );
    }
    await sleep(250);
  }
}

async function runNpmCi(dir: string): Promise<void> {
  const child = new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // npm needs the developer's proxy, CA and registry settings: no
    // clearEnv here.
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }, INSTALL_TIMEOUT_MS);
  try {
    const out = await child.output();
    if (!out.success) {
      const dec = new TextDecoder();
      throw new Error(
        `peer registry: npm ci in ${dir} failed (exit ${out.code}${
          out.signal ? `, ${out.signal}` : ""
        }):\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`.slice(
          0,
          LOG_LIMIT,
        ),
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Installs the peer's npm dependencies once per `package-lock.json` into
 * the shared cache and returns that directory (its `node_modules` is what
 * instances link to). Concurrent callers — parallel test files, other test
 * processes — wait for one installer; a crashed installer's lock is broken.
 *
 * @example
 * ```ts
 * const dir = await ensurePeerInstall(peerRegistryDir());
 * console.log(`${dir}/node_modules/.bin/wrangler`);
 * ```
 */
export async function ensurePeerInstall(peerDir: string): Promise<string> {
  const lockFile = await Deno.readFile(`${peerDir}/package-lock.json`);
  const hash = (await sha256Hex(lockFile)).slice(0, 16);
  const root = cacheRoot();
  const target = `${root}/peer-${hash}`;
  const complete = () => exists(`${target}/${MARKER}`);
  if (await complete()) return target;
  await Deno.mkdir(root, { recursive: true });
  const release = await acquireInstallLock(`${target}.lock`, complete);
  if (!release) return target;
  const started = performance.now();
  try {
    if (await complete()) return target;
    // Left by an installer from before the marker existed: not usable.
    if (await exists(target)) await Deno.remove(target, { recursive: true });
    await removeOldTempDirs(root, `peer-${hash}.tmp-`);
    const tmp = `${target}.tmp-${crypto.randomUUID()}`;
    await Deno.mkdir(tmp, { recursive: true });
    try {
      for (const f of ["package.json", "package-lock.json"]) {
        await Deno.writeFile(
          `${tmp}/${f}`,
          await Deno.readFile(`${peerDir}/${f}`),
        );
      }
      console.error(
        `peer registry: npm ci into ${target} (once per lock file)`,
      );
      await runNpmCi(tmp);
      if (!(await exists(`${tmp}/node_modules/.bin/wrangler`))) {
        throw new Error(
          `peer registry: npm ci in ${tmp} installed no wrangler`,
        );
      }
      await Deno.writeTextFile(`${tmp}/${MARKER}`, `${hash}\n`);
      // Atomic: a reader sees no install or a complete one. Renaming onto
      // a non-empty directory fails, so a racing installer cannot clobber.
      await Deno.rename(tmp, target);
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
    console.error(
      `peer registry: npm install took ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
    return target;
  } finally {
    await release();
  }
}

/** Removes install temp dirs older than an hour (crashed installers). */
async function removeOldTempDirs(root: string, prefix: string): Promise<void> {
  for await (const e of Deno.readDir(root)) {
    if (!e.name.startsWith(prefix)) continue;
    try {
      const age = Date.now() -
        ((await Deno.stat(`${root}/${e.name}`)).mtime?.getTime() ?? 0);
      if (age > 60 * 60_000) {
        await Deno.remove(`${root}/${e.name}`, { recursive: true });
      }
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Whether a process of group `pgid` is still running (zombies do not
 * count: they only wait for a parent — here maybe PID 1 — to reap them).
 */
async function groupAlive(pgid: number): Promise<boolean> {
  if (!(await exists("/proc/self"))) return false; // no procfs: trust SIGTERM
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat: string;
    try {
      stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

/** Copies a file tree with fresh, writable modes (the checkout is read-only). */
async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  } else {
    await Deno.writeFile(to, await Deno.readFile(from));
  }
}

/**
 * The group leader: runs `start.sh` and a watchdog that kills the whole
 * group when its stdin — a pipe from this process — reaches EOF, that is
 * when this process exits without stopping the peer. Background jobs get
 * `/dev/null` as stdin in a non-interactive shell, hence fd 3.
 */
const WRAPPER = `
start=$1; shift
exec 3<&0
bash "$start" "$@" </dev/null 3<&- &
server=$!
( while read -r -u 3 _; do :; done; kill -TERM -- -$$ 2>/dev/null ) &
watch=$!
exec 3<&-
wait "$server"; code=$?
kill "$watch" 2>/dev/null
exit "$code"
`;

/**
 * A byte relay in front of the peer that drops TLS attempts at once.
 * skopeo (containers/image) always tries https before http; distribution
 * answers a TLS ClientHello with `400` and skopeo falls back immediately,
 * but workerd waits for a request line that never comes, so every skopeo
 * call would sit out its 10 s TLS handshake timeout. Everything else —
 * the Host header the peer builds its `Link`s from included — passes
 * through unchanged.
 */
class TlsDroppingRelay {
  #listener: Deno.TcpListener | undefined;
  #conns = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void> | undefined;
  port = 0;

  constructor(readonly upstreamPort: () => number) {}

  /** Listens on `port` (0: a free one, then kept for later `listen`s). */
  listen(port = this.port): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          this.#conns.add(conn);
          const task = this.#serve(conn).finally(() => {
            this.#conns.delete(conn);
            this.#tasks.delete(task);
          });
          this.#tasks.add(task);
        }
      } catch {
        // listener closed
      }
    })();
  }

  async #serve(client: Deno.Conn): Promise<void> {
    let upstream: Deno.Conn | undefined;
    try {
      const first = new Uint8Array(64 * 1024);
      const n = await client.read(first);
      // 0x16: a TLS handshake record.
      if (n === null || first[0] === 0x16) return;
      upstream = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.upstreamPort(),
      });
      this.#conns.add(upstream);
      await writeAll(upstream, first.subarray(0, n));
      await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
    } catch {
      // a side went away: close both
    } finally {
      for (const c of [client, upstream]) {
        if (!c) continue;
        this.#conns.delete(c);
        try {
          c.close();
        } catch {
          // already closed
        }
      }
    }
  }

  /** Stops listening and cuts every relayed connection. */
  async close(): Promise<void> {
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    this.#listener = undefined;
    await this.#accepting;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#tasks);
  }
}

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await to.write(bytes.subarray(off));
}

/** Copies `from` to `to` until EOF, then half-closes `to`. */
async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await from.read(buf);
    if (n === null) break;
    await writeAll(to, buf.subarray(0, n));
  }
  await to.closeWrite().catch(() => {});
}

class PeerRegistry implements PeerRegistryHandle {
  readonly mode = "basic" as const;
  readonly username: string;
  readonly password: string;
  readonly refreshToken = "";
  readonly service = "";
  readonly realm = "";
  readonly tokenRequests = 0;
  readonly tokenLog = [] as const;
  readonly tokenIssuer = undefined;
  readonly dir: string;
  readonly peerDir: string;
  startupMs = 0;
  /** Where wrangler listens; clients reach it through {@linkcode #relay}. */
  #upstreamPort = 0;
  #relay = new TlsDroppingRelay(() => this.#upstreamPort);
  #readyTimeoutMs: number;
  #child: Deno.ChildProcess | undefined;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #drain: Promise<void> | undefined;
  #log = "";
  #stopped = false;

  constructor(dir: string, peerDir: string, options: StartPeerRegistryOptions) {
    this.dir = dir;
    this.peerDir = peerDir;
    this.username = options.username ?? "klaus";
    this.password = options.password ??
      `pw-${crypto.randomUUID().replaceAll("-", "")}`;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  }

  get host(): string {
    return `127.0.0.1:${this.#relay.port}`;
  }
  get url(): string {
    return `http://${this.host}`;
  }
  get running(): boolean {
    return this.#child !== undefined;
  }
  get pgid(): number {
    // setsid execs in place (its caller is no group leader), so the
    // child's pid is the new session's and group's id.
    return this.#child?.pid ?? 0;
  }

  ref(repository: string, tagOrDigest?: string): string {
    if (!tagOrDigest) return `${this.host}/${repository}`;
    return `${this.host}/${repository}${
      tagOrDigest.includes(":") ? "@" : ":"
    }${tagOrDigest}`;
  }

  dockerConfig(options: DockerConfigOptions = {}): DockerConfig {
    if (options.identityToken) {
      throw new Error("the peer registry has no token mode (identity tokens)");
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

  /** Copies the sources and links the shared install into `<dir>/app`. */
  async setup(install: string): Promise<void> {
    const app = `${this.dir}/app`;
    await Deno.mkdir(app, { recursive: true });
    for (const f of APP_FILES) {
      await copyTree(`${this.peerDir}/${f}`, `${app}/${f}`);
    }
    await Deno.symlink(`${install}/node_modules`, `${app}/node_modules`);
    for (const d of ["home", "tmp", "wrangler-cache"]) {
      await Deno.mkdir(`${this.dir}/${d}`);
    }
  }

  #spawn(): void {
    this.#pinInspectorPort();
    const child = new Deno.Command("setsid", {
      args: [
        "bash",
        "-c",
        WRAPPER,
        "peer-registry",
        `${this.peerDir}/start.sh`,
        String(this.#upstreamPort),
        this.dir,
        this.username,
        this.password,
      ],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        // Wrangler writes logs, its dev registry and caches below HOME,
        // TMPDIR and next to node_modules (shared by every instance):
        // keep each instance's writes in its own state dir.
        HOME: `${this.dir}/home`,
        XDG_CONFIG_HOME: `${this.dir}/home/.config`,
        TMPDIR: `${this.dir}/tmp`,
        WRANGLER_CACHE_DIR: `${this.dir}/wrangler-cache`,
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const dec = new TextDecoder();
    const append = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#log += dec.decode(chunk, { stream: true });
        if (this.#log.length > LOG_LIMIT) {
          this.#log = this.#log.slice(-LOG_LIMIT);
        }
      }
    };
    this.#drain = Promise.all([append(child.stdout), append(child.stderr)])
      .then(() => {});
  }

  /**
   * Wrangler's inspector takes the first free port from 9229 on, probed
   * before it binds: peers started side by side can both choose 9229 and
   * the loser's dev server never answers. Each start gets a port of its own.
   */
  #pinInspectorPort(): void {
    const toml = `${this.dir}/app/wrangler.toml`;
    const original = Deno.readTextFileSync(`${this.peerDir}/wrangler.toml`);
    if (/^\s*\[dev\]/m.test(original)) return;
    Deno.writeTextFileSync(
      toml,
      `${original.trimEnd()}\n\n[dev]\ninspector_port = ${freePort()}\n`,
    );
  }

  /** Resolves true once `/v2/` answers 200, false when the process died. */
  async #waitReady(): Promise<boolean> {
    const child = this.#child!;
    let exited = false;
    const status = child.status.then(() => {
      exited = true;
    });
    const auth = `Basic ${b64(`${this.username}:${this.password}`)}`;
    const deadline = Date.now() + this.#readyTimeoutMs;
    let lastProbe = "no answer yet";
    while (Date.now() < deadline) {
      if (exited) return false;
      try {
        const res = await fetch(`${this.url}/v2/`, {
          headers: { authorization: auth },
          signal: AbortSignal.timeout(5_000),
        });
        await res.body?.cancel();
        if (res.status === 200) return true;
        lastProbe = `HTTP ${res.status}`;
      } catch (e) {
        lastProbe = e instanceof Error ? e.message : String(e);
      }
      await Promise.race([status, sleep(100)]);
    }
    await this.#reap();
    throw new Error(
      `peer registry on ${this.host} not ready after ${this.#readyTimeoutMs} ms` +
        ` (last probe of /v2/: ${lastProbe}; state ${this.dir}):\n${this.#log}`,
    );
  }

  /** Stops the process group: SIGTERM, then SIGKILL after a grace period. */
  async #reap(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const pgid = child.pid;
    const signal = (s: Deno.Signal) => {
      try {
        Deno.kill(-pgid, s);
      } catch {
        // the group is gone
      }
    };
    signal("SIGTERM");
    await this.#stdin?.close().catch(() => {});
    this.#stdin = undefined;
    await child.status;
    // Our pipes reach EOF once every process holding them has exited, but
    // workerd talks to wrangler through pipes of its own and may still be
    // shutting down: wait until no process of the group is left.
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && await groupAlive(pgid)) await sleep(50);
    if (await groupAlive(pgid)) {
      signal("SIGKILL");
      while (await groupAlive(pgid)) await sleep(50);
    }
    await this.#drain;
  }

  /** Starts on a fresh free port, retrying when another process took it. */
  async start(): Promise<void> {
    this.#relay.listen(0);
    for (let attempt = 0; attempt < 5; attempt++) {
      this.#upstreamPort = freePort();
      this.#log = "";
      const t0 = performance.now();
      this.#spawn();
      if (await this.#waitReady()) {
        this.startupMs = Math.round(performance.now() - t0);
        return;
      }
      await this.#reap();
      if (!/address already in use|EADDRINUSE/i.test(this.#log)) break;
    }
    throw new Error(
      `peer registry did not start (state ${this.dir}):\n${this.#log}`,
    );
  }

  async up(): Promise<void> {
    if (this.#stopped) throw new Error("peer registry was stopped");
    if (this.#child) return;
    const t0 = performance.now();
    this.#relay.listen();
    this.#spawn();
    if (!(await this.#waitReady())) {
      await this.#reap();
      throw new Error(
        `peer registry did not come back on ${this.host}:\n${this.#log}`,
      );
    }
    this.startupMs = Math.round(performance.now() - t0);
  }

  async down(): Promise<void> {
    await this.#reap();
    await this.#relay.close();
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
      await this.#relay.close();
    } finally {
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts the peer registry (installing its npm dependencies into the
 * shared cache first if needed) and waits until `GET /v2/` with the
 * credentials answers 200. Logs how long the install and the start took.
 *
 * @example
 * ```ts
 * await using peer = await startPeerRegistry();
 * const res = await fetch(`${peer.url}/v2/`);
 * console.log(res.status); // 401: Basic auth
 * ```
 */
export async function startPeerRegistry(
  options: StartPeerRegistryOptions = {},
): Promise<PeerRegistryHandle> {
  const peerDir = options.peerDir ?? peerRegistryDir();
  const install = options.installDir ?? await ensurePeerInstall(peerDir);
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-peer-" });
  const peer = new PeerRegistry(dir, peerDir, options);
  try {
    await peer.setup(install);
    await peer.start();
  } catch (e) {
    await peer.stop();
    throw e;
  }
  console.error(
    `peer registry: serverless-registry ready on ${peer.host} in ${peer.startupMs} ms`,
  );
  return peer;
}
