/**
 * Global setup of the workerd suite (runs under Node, not in workerd):
 * starts a real registry (CNCF distribution, `docker-registry`) on a free
 * loopback port, seeds it with the examples and fixtures through the
 * library's push (a Deno subprocess), and starts a small control server
 * the tests call to stop and restart the registry. It also starts the
 * local sigstore services (`test/harness/sigstore_services.mjs` under
 * Node 22: mock Fulcio and Rekor, a TUF repository serving the matching
 * trusted root) and seeds a keyless-signed plugin through them
 * (`seed_keyless.ts`).
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the registry. */
    registryHost: string;
    /** Base URL of the control server (`POST /registry/down|up`). */
    controlUrl: string;
    /**
     * `kind/name:tag` → manifest digest of everything seeded, and the
     * signed fixtures' `signed/*` entries (`seed_signed.ts`).
     */
    pushed: Record<string, string>;
    /** `127.0.0.1:PORT` of a second registry that requires Basic auth. */
    basicRegistryHost: string;
    /** Its base64 Docker config with the valid credentials. */
    basicRegistryAuth: string;
    /**
     * Base URL of the local sigstore services (Fulcio, Rekor and the TUF
     * mirror share it), `http://127.0.0.1:PORT`.
     */
    sigstoreUrl: string;
    /** The TUF repository's initial `root.json` (text). */
    tufRoot: string;
    /** The services' `trusted_root.json` (text, as the TUF target). */
    trustedRoot: string;
    /** What `seed_keyless.ts` pushed (base, digests, signer). */
    keyless: KeylessFixtures;
  }
}

/** The keyless fixtures (`seed_keyless.ts`). */
export interface KeylessFixtures {
  /** The plugin base (`<host>/klaus-keyless`). */
  base: string;
  /** Manifest digest per plugin name (`keyless`, `unsigned`), at `v1.0.0`. */
  digests: Record<string, string>;
  /** The certificate identity (subject) the signature names. */
  subject: string;
  /** The OIDC issuer the certificate names. */
  issuer: string;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// The Deno that runs the suite (`deno task test` passes its own path), else
// the one on PATH: Deno is not an npm dependency of the project.
const DENO = process.env.DENO_BIN ?? "deno";
/** Node 22 from node_modules (the @sigstore packages require it). */
const NODE = join(ROOT, "node_modules/node/bin/node");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

class Registry {
  #child: ChildProcess | undefined;
  #log = "";
  constructor(
    readonly dir: string,
    readonly port: number,
    readonly htpasswd?: string,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.#child) return;
    const config = join(this.dir, "config.yml");
    await writeFile(
      config,
      JSON.stringify({
        version: 0.1,
        log: {
          level: "warn",
          accesslog: { disabled: true },
          formatter: "text",
        },
        storage: {
          filesystem: { rootdirectory: join(this.dir, "storage") },
          delete: { enabled: true },
          maintenance: { uploadpurging: { enabled: false } },
        },
        http: { addr: this.host, secret: "klaus-oci-workerd-test" },
        ...(this.htpasswd
          ? {
            auth: { htpasswd: { realm: "klaus-workerd", path: this.htpasswd } },
          }
          : {}),
      }),
    );
    const child = spawn("docker-registry", ["serve", config], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (d) => {
      this.#log = (this.#log + d).slice(-16_384);
    });
    this.#child = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        const res = await fetch(`http://${this.host}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`registry did not start on ${this.host}:\n${this.#log}`);
  }

  async down(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  }
}

/**
 * The local sigstore services under Node 22: the first line they print is
 * `{url, trustedRoot, tufRoot}`; they serve until their stdin closes.
 * `stop` closes stdin and kills the process if it has not exited within
 * five seconds; it is safe to call whether or not `start` succeeded.
 */
class SigstoreServices {
  #child: ChildProcess | undefined;
  #log = "";
  url = "";
  trustedRoot = "";
  tufRoot = "";

  async start(): Promise<void> {
    const child = spawn(NODE, [
      join(ROOT, "test/harness/sigstore_services.mjs"),
    ], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    child.stderr?.on("data", (d) => {
      this.#log = (this.#log + d).slice(-16_384);
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => done(new Error("no answer within 30 s")),
        30_000,
      );
      const done = (error?: Error, text?: string) => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
        if (error) reject(error);
        else resolve(text!);
      };
      const onData = (d: Buffer) => {
        out += d;
        const nl = out.indexOf("\n");
        if (nl >= 0) done(undefined, out.slice(0, nl));
      };
      const onExit = (code: number | null) =>
        done(new Error(`exited (${code}) before printing its address`));
      const onError = (e: Error) => done(e);
      child.stdout?.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
    }).catch((e) => {
      throw new Error(
        `sigstore services did not start: ${e.message}\n${this.#log}`,
      );
    });
    // Nothing more is read from stdout; keep the pipe drained.
    child.stdout?.resume();
    const started = JSON.parse(line) as {
      url: string;
      trustedRoot: string;
      tufRoot: string;
    };
    this.url = started.url;
    this.trustedRoot = started.trustedRoot;
    this.tufRoot = started.tufRoot;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {
      cwd: ROOT,
      maxBuffer: 1 << 20,
      env: { ...process.env, ...env },
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function seed<T = Record<string, string>>(
  host: string,
  auth?: string,
  script = "test/worker/seed_registry.ts",
  args: string[] = [],
): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      DENO,
      ["run", "-A", join(ROOT, script), host, ...args],
      {
        cwd: ROOT,
        maxBuffer: 1 << 20,
        env: { ...process.env, ...(auth ? { SEED_REGISTRY_AUTH: auth } : {}) },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`seeding failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").pop()!));
      },
    );
  });
}

/** Tags `repo:from`'s manifest as `repo:to` too (a tag list that changes). */
async function retag(
  host: string,
  repo: string,
  from: string,
  to: string,
): Promise<void> {
  const accept = "application/vnd.oci.image.manifest.v1+json";
  const got = await fetch(`http://${host}/v2/${repo}/manifests/${from}`, {
    headers: { Accept: accept },
  });
  if (!got.ok) throw new Error(`GET ${repo}:${from}: ${got.status}`);
  const bytes = new Uint8Array(await got.arrayBuffer());
  const put = await fetch(`http://${host}/v2/${repo}/manifests/${to}`, {
    method: "PUT",
    headers: { "Content-Type": got.headers.get("content-type") ?? accept },
    body: bytes,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`PUT ${repo}:${to}: ${put.status}`);
}

function control(registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const done = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://control");
    const action = req.method === "POST" ? url.pathname : undefined;
    const work = action === "/registry/down"
      ? registry.down()
      : action === "/registry/up"
      ? registry.up()
      : action === "/registry/retag"
      ? retag(
        registry.host,
        url.searchParams.get("repo")!,
        url.searchParams.get("from")!,
        url.searchParams.get("to")!,
      )
      : undefined;
    if (!work) return done(404, { error: "unknown" });
    work.then(
      () => done(200, { ok: true }),
      (e) => done(500, { error: String(e) }),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server))
  );
}

/** Vitest global setup. */
export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "klaus-workerd-"));
  const registry = new Registry(join(dir, "open"), await freePort());
  const htpasswd = join(dir, "htpasswd");
  const basic = new Registry(join(dir, "basic"), await freePort(), htpasswd);
  const sigstore = new SigstoreServices();
  let server: Server | undefined;
  const stop = async () => {
    await new Promise((r) => server ? server.close(r) : r(undefined));
    // Every child is stopped even when another fails to.
    const stopped = await Promise.allSettled([
      registry.down(),
      basic.down(),
      sigstore.stop(),
    ]);
    await rm(dir, { recursive: true, force: true });
    for (const s of stopped) if (s.status === "rejected") throw s.reason;
  };
  try {
    await mkdir(registry.dir);
    await mkdir(basic.dir);
    const password = `pw-${randomUUID()}`;
    await writeFile(
      htpasswd,
      await run("htpasswd", ["-Bbn", "klaus", password]),
    );
    const auth = btoa(JSON.stringify({
      auths: { [basic.host]: { auth: btoa(`klaus:${password}`) } },
    }));
    await Promise.all([registry.up(), basic.up(), sigstore.start()]);
    const [examples, signed, keyless] = await Promise.all([
      seed(registry.host),
      // Signed, unsigned and wrongly signed plugins under their own base
      // (`signed/*` entries: base, public key, digests).
      seed(registry.host, undefined, "test/worker/seed_signed.ts"),
      // A keyless-signed plugin (Fulcio certificate, Rekor entry through
      // the local services) and an unsigned one under `<host>/klaus-keyless`.
      seed<KeylessFixtures>(
        registry.host,
        undefined,
        "test/worker/seed_keyless.ts",
        [sigstore.url],
      ),
      seed(basic.host, auth),
    ]);
    const pushed = { ...examples, ...signed };
    server = await control(registry);
    const { port } = server.address() as AddressInfo;
    project.provide("registryHost", registry.host);
    project.provide("controlUrl", `http://127.0.0.1:${port}`);
    project.provide("pushed", pushed);
    project.provide("basicRegistryHost", basic.host);
    project.provide("basicRegistryAuth", auth);
    project.provide("sigstoreUrl", sigstore.url);
    project.provide("tufRoot", sigstore.tufRoot);
    project.provide("trustedRoot", sigstore.trustedRoot);
    project.provide("keyless", keyless);
  } catch (e) {
    // The setup's own error is the one to report.
    await stop().catch(() => {});
    throw e;
  }
  return stop;
}
