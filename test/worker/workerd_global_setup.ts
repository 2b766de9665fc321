/**
 * Global setup of the workerd suite (runs under Node, not in workerd):
 * starts a real registry (CNCF distribution, `docker-registry`) on a free
 * loopback port, seeds it with the examples and fixtures through the
 * library's push (a Deno subprocess), and starts a small control server
 * the tests call to stop and restart the registry.
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
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// The Deno that runs the suite (`deno task test` passes its own path), else
// the one on PATH: Deno is not an npm dependency of the project.
const DENO = process.env.DENO_BIN ?? "deno";

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

function seed(
  host: string,
  auth?: string,
  script = "test/worker/seed_registry.ts",
): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(
      DENO,
      ["run", "-A", join(ROOT, script), host],
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
  let server: Server | undefined;
  const stop = async () => {
    await new Promise((r) => server ? server.close(r) : r(undefined));
    await registry.down();
    await basic.down();
    await rm(dir, { recursive: true, force: true });
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
    await Promise.all([registry.up(), basic.up()]);
    const [examples, signed] = await Promise.all([
      seed(registry.host),
      // Signed, unsigned and wrongly signed plugins under their own base
      // (`signed/*` entries: base, public key, digests).
      seed(registry.host, undefined, "test/worker/seed_signed.ts"),
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
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}
