/**
 * The Deno entry: the same app as the Worker, served by `Deno.serve` on
 * `http://127.0.0.1:8787` (`PORT`, `HOST` override) with the filesystem
 * cache.
 *
 * With no registry configured it serves the project's `examples/`, pushed
 * on first start (and again when they change) into the git-ignored layout
 * store `.examples-store/`. `KLAUS_REGISTRY=<host/org>` (bases
 * `<host/org>/klaus-plugins`, …) or `PLUGIN_REGISTRY`,
 * `PERSONALITY_REGISTRY`, `TOOLCHAIN_REGISTRY` front real registries;
 * `PLAIN_HTTP=true` for plain-HTTP ones; credentials from `REGISTRY_AUTH`
 * or `KLAUS_OCI_REGISTRY_AUTH` (base64 Docker config) or the Docker config
 * files. Cache: `KLAUS_OCI_CACHE_DIR` (default
 * `$XDG_CACHE_HOME/klaus-oci`), off with `KLAUS_OCI_NO_CACHE=1`. The
 * example store can be moved with `KLAUS_EXAMPLES_STORE`. The
 * verification policy comes from the same `VERIFY_*` variables as on
 * Workers (results remembered in memory); an invalid one stops the start
 * with a message naming the variable.
 *
 * ```sh
 * deno task start
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import type { Hono } from "hono";
import { Client } from "../src/client.ts";
import { LayoutStore } from "../src/layout/layout_store.ts";
import { TrackedScheduler } from "../src/cache/scheduler.ts";
import {
  registerDockerConfigSecrets,
  secretsOfDockerConfig,
} from "../src/_redact.ts";
import { createApp } from "./app.ts";
import {
  ConfigError,
  configFromEnv,
  type EnvReader,
  hasRegistryConfig,
  parseBool,
} from "./config.ts";
import { edgeClient } from "./edge_client.ts";
import { seedExampleStore, storeBases } from "./examples_store.ts";
import type { RegistryBases } from "./kinds.ts";
import { hostsOfBases, trustedFetch } from "./trusted_fetch.ts";
import type { AppEnv } from "./types.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Options of {@linkcode startServer}. */
export interface ServerOptions {
  /** Environment to configure from (default `Deno.env`). */
  env?: EnvReader;
  /** Port (default `PORT` or 8787; 0 picks a free one). */
  port?: number;
  /** Interface (default `HOST` or 127.0.0.1). */
  hostname?: string;
  /** Example sources (default `<repo>/examples`). */
  examplesDir?: string;
  /** Example store (default `<repo>/.examples-store`). */
  storeDir?: string;
  /** Print the address once listening (default true). */
  log?: boolean;
}

/** A running server. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port`. */
  url: string;
  /** The registry bases served. */
  registries: RegistryBases;
  /** The app. */
  app: Hono<AppEnv>;
  /** Stops serving and waits for background revalidations. */
  close(): Promise<void>;
}

function defaultCacheDir(get: EnvReader): string {
  const xdg = get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "klaus-oci");
  return join(get("HOME") ?? ".", ".cache", "klaus-oci");
}

/**
 * Starts the server.
 *
 * @example
 * ```ts ignore
 * await using server = await startServer({ port: 0 });
 * console.log(await (await fetch(`${server.url}/healthz`)).json());
 * ```
 */
export async function startServer(
  options: ServerOptions = {},
): Promise<RunningServer> {
  const get: EnvReader = options.env ?? ((n) => Deno.env.get(n));
  const config = configFromEnv(get);
  let registries = config.registries;
  const log = options.log ?? true;
  if (!hasRegistryConfig(get)) {
    const storeDir = resolve(
      options.storeDir ??
        (get("KLAUS_EXAMPLES_STORE") || join(ROOT, ".examples-store")),
    );
    const examplesDir = options.examplesDir ?? join(ROOT, "examples");
    const pusher = new Client({ env: {} });
    try {
      const pushed = await seedExampleStore(
        pusher,
        new LayoutStore(),
        examplesDir,
        storeDir,
      );
      if (log) {
        console.log(
          pushed
            ? `pushed examples/ into ${storeDir}`
            : `examples already in ${storeDir}`,
        );
      }
    } finally {
      await pusher.close();
    }
    registries = storeBases(storeDir);
  }
  const authVar = get("REGISTRY_AUTH")
    ? "REGISTRY_AUTH"
    : "KLAUS_OCI_REGISTRY_AUTH";
  const env: Record<string, string | undefined> = {};
  for (
    const n of [
      authVar,
      "HOME",
      "DOCKER_CONFIG",
      "REGISTRY_AUTH_FILE",
      "XDG_RUNTIME_DIR",
    ]
  ) {
    env[n] = get(n);
  }
  // Known secrets before the first request: every error path redacts them.
  registerDockerConfigSecrets(get(authVar));
  const scheduler = new TrackedScheduler();
  const client = edgeClient({
    registries,
    layout: new LayoutStore(),
    plainHttp: config.plainHttp,
    registryAuthEnv: authVar,
    env,
    fetch: trustedFetch((i, init) => fetch(i, init), {
      hosts: hostsOfBases(Object.values(registries)),
    }),
    cache: parseBool(get("KLAUS_OCI_NO_CACHE")) ? undefined : {
      dir: get("KLAUS_OCI_CACHE_DIR") || defaultCacheDir(get),
      freshTtlMs: config.freshTtlMs,
      staleTtlMs: config.staleTtlMs,
      scheduler,
    },
  });
  const app = createApp({
    registries,
    client,
    freshness: { freshTtlMs: config.freshTtlMs, staleTtlMs: config.staleTtlMs },
    scheduler,
    secrets: secretsOfDockerConfig(get(authVar)),
    verification: config.verification
      ? { config: config.verification }
      : undefined,
  });
  const hostname = options.hostname ?? (get("HOST") || "127.0.0.1");
  const port = options.port ?? Number(get("PORT") || 8787);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname,
    port,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, app.fetch);
  const addr = await listening.promise;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  const url = `http://${host}:${addr.port}`;
  if (log) {
    console.log(`klaus-oci edge API listening on ${url}`);
    console.log(
      config.verification
        ? `verifying signatures: ${config.verification.summary}`
        : "signature verification off (no VERIFY_PUBLIC_KEYS, no VERIFY_CERTIFICATE_IDENTITY with an OIDC issuer)",
    );
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.shutdown();
    await scheduler.drain();
    await client.close();
  };
  return { url, registries, app, close, [Symbol.asyncDispose]: close };
}

if (import.meta.main) {
  let server: RunningServer;
  try {
    server = await startServer();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`error: invalid configuration: ${e.message}`);
    Deno.exit(1);
  }
  const stop = () => {
    server.close().finally(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
