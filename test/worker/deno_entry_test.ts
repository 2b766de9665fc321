/**
 * The Deno entry (`worker/deno_main.ts`): the same HTTP contract as the
 * Worker, served by `Deno.serve` with the filesystem cache against a real
 * registry; and `deno task start` serving the bundled examples from a
 * fresh layout store, idempotently.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort, startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import { startServer } from "../../worker/deno_main.ts";
import { contractCases } from "./contract.ts";
import { registryBases, seedRegistry } from "./seed_registry.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DENO = Deno.execPath();

function envReader(
  vars: Record<string, string>,
): (n: string) => string | undefined {
  return (n) => vars[n];
}

Deno.test({
  name:
    "Deno entry: the HTTP contract against a real registry, filesystem cache",
  ignore: missing("docker-registry"),
  async fn(t) {
    await using reg = await startRegistry({ mode: "open" });
    const pushed = await seedRegistry(reg.host);
    const cacheDir = await Deno.makeTempDir({ prefix: "klaus-deno-entry-" });
    try {
      await using server = await startServer({
        port: 0,
        log: false,
        env: envReader({
          KLAUS_REGISTRY: reg.host,
          PLAIN_HTTP: "true",
          KLAUS_OCI_CACHE_DIR: cacheDir,
        }),
      });
      deepStrictEqual(server.registries, registryBases(reg.host));
      for (
        const c of contractCases({
          request: (path, init) => fetch(`${server.url}${path}`, init),
          bases: server.registries,
          pushed,
        })
      ) {
        await t.step(c.name, c.fn);
      }

      await t.step(
        "a second answer comes from the filesystem cache",
        async () => {
          const path = `${server.url}/v1/toolchains/example-go?version=1.0.0`;
          const first = await fetch(path);
          equal(first.status, 200);
          await first.body?.cancel();
          const second = await fetch(path);
          equal(second.headers.get("x-klaus-cache"), "fresh");
          match(
            second.headers.get("cache-control") ?? "",
            /max-age=(30|29|28)\b/,
          );
          await second.body?.cancel();
          const files = [...Deno.readDirSync(cacheDir)].map((e) => e.name);
          ok(files.length > 0, "cache directory written");
        },
      );

      await t.step(
        "a stopped registry gives stale answers, then 502 for unknown names",
        async () => {
          await reg.down();
          try {
            const cached = await fetch(`${server.url}/v1/plugins/example-git`);
            equal(cached.status, 200);
            await cached.body?.cancel();
            const cold = await fetch(
              `${server.url}/v1/plugins/not-cached-anywhere/versions`,
            );
            ok([502, 504].includes(cold.status), `status ${cold.status}`);
            const body = await cold.json();
            match(body.error.code, /^registry_/);
          } finally {
            await reg.up();
          }
        },
      );
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});

async function waitHealthy(
  url: string,
  child: Deno.ChildProcess,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error("deno task start exited early");
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) {
        await res.body?.cancel();
        return;
      }
      await res.body?.cancel();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no /healthz on ${url} within ${ms} ms`);
}

function passThrough(names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function runStart(
  port: number,
  env: Record<string, string>,
): Promise<string> {
  const child = new Deno.Command(DENO, {
    args: ["task", "start"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      // Reaching the npm registry (first run of the task fetches its npm
      // packages) may need the machine's proxy and CA settings.
      ...passThrough([
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "DENO_CERT",
        "DENO_TLS_CA_STORE",
        "DENO_DIR",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "no_proxy",
      ]),
      HOME: env.HOME,
      PORT: String(port),
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Its own process group: `deno task` may run the server through the
    // npm `deno` shim, a chain of processes that must all stop.
    detached: true,
  }).spawn();
  const out = (async () => {
    const chunks: string[] = [];
    const dec = new TextDecoder();
    for await (const c of child.stdout) {
      chunks.push(dec.decode(c, { stream: true }));
    }
    return chunks.join("");
  })();
  const err = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child, 60_000);
    const plugins = await (await fetch(`${url}/v1/plugins`)).json() as {
      items: { name: string; version: string; repository: string }[];
    };
    deepStrictEqual(plugins.items.map((i) => [i.name, i.version]), [
      ["example-docs", "v1.0.0"],
      ["example-git", "v0.2.0"],
      ["example-kubernetes", "v0.2.0"],
    ]);
    ok(
      plugins.items.every((i) =>
        i.repository.startsWith(`ocidir://${env.KLAUS_EXAMPLES_STORE}/`)
      ),
    );
    const deps = await (await fetch(`${url}/v1/personalities/example-sre/deps`))
      .json();
    equal(deps.toolchain.toolchain.name, "example-go");
    deepStrictEqual(
      deps.plugins.map((p: { plugin: { name: string } }) => p.plugin.name),
      [
        "example-kubernetes",
        "example-git",
      ],
    );
    deepStrictEqual(deps.warnings, []);
    const tc = await (await fetch(`${url}/v1/toolchains/example-go`)).json();
    equal(tc.toolchain.description, "Go toolchain for Klaus (example)");
    const page = await fetch(`${url}/`);
    equal(page.status, 200);
    ok((await page.text()).includes('href="/personalities/example-writer"'));
  } catch (e) {
    // Say why the server did not come up (its stderr), not just that.
    try {
      Deno.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    throw new Error(
      `${
        e instanceof Error ? e.message : e
      }\nstdout:\n${await out}\nstderr:\n${await err}`,
    );
  }
  Deno.kill(-child.pid, "SIGTERM");
  await child.status;
  const stdout = await out;
  await err;
  return stdout;
}

Deno.test({
  name: "deno task start serves the examples, pushed once into a fresh store",
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "klaus-start-" });
    try {
      const env = {
        HOME: tmp,
        KLAUS_EXAMPLES_STORE: `${tmp}/store`,
        KLAUS_OCI_CACHE_DIR: `${tmp}/cache`,
      };
      const first = await runStart(freePort(), env);
      match(first, /pushed examples\/ into /);
      match(first, /listening on http:\/\/127\.0\.0\.1:\d+/);
      const second = await runStart(freePort(), env);
      match(second, /examples already in /);
      // The store is a set of OCI layouts skopeo could read.
      const layout = JSON.parse(
        await Deno.readTextFile(
          `${tmp}/store/klaus-plugins/example-git/oci-layout`,
        ),
      );
      equal(layout.imageLayoutVersion, "1.0.0");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
