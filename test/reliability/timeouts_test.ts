/**
 * Nothing hangs: a registry that sends its headers and then stalls, or
 * drips one byte every 2 s, ends every operation — in the library even
 * after the `Response` object was garbage collected, in the CLI (a real
 * process) with its default 60 s timeout, and in the edge API (the Deno
 * entry, under load) with a 504 within its 10 s budget.
 */
import { equal, ok } from "node:assert/strict";
import { startServer } from "../../worker/deno_main.ts";
import { startHostileServer } from "../harness/hostile_server.ts";
import { isolatedEnv, runCliWithin } from "./cli_process.ts";

const CHILD = new URL("./gc_stall_child.ts", import.meta.url).pathname;

Deno.test("timeouts: a stalled body ends through its reader, whatever the garbage collector did", async () => {
  await using server = await startHostileServer({ kind: "stall" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--v8-flags=--expose-gc",
      CHILD,
      `${server.url}/v2/plugins/a/manifests/v1.0.0`,
      "1000",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const killer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, 20_000);
  const out = await child.output();
  clearTimeout(killer);
  ok(!hung, "the read of a stalled body never ended (abort lost after GC)");
  const line = new TextDecoder().decode(out.stdout).trim();
  const result = JSON.parse(line) as {
    ended: string;
    name?: string;
    elapsedMs: number;
    gc: boolean;
  };
  ok(result.gc, "the child collects garbage");
  equal(result.ended, "error", line);
  equal(result.name, "TimeoutError", line);
  ok(result.elapsedMs < 5_000, line);
});

Deno.test({
  name:
    "timeouts: the CLI ends on stalled and dripping registries with its default timeout",
  async fn() {
    await using stall = await startHostileServer({ kind: "stall" });
    await using drip = await startHostileServer({ kind: "drip", dripMs: 2000 });
    const dir = await Deno.makeTempDir({ prefix: "klaus-oci-timeouts-" });
    try {
      const env = await isolatedEnv(dir);
      const cases = [
        ["plugin", "describe", `${stall.host}/plugins/a:v1.0.0`],
        ["plugin", "versions", `${stall.host}/plugins/a`],
        ["plugin", "describe", `${drip.host}/plugins/a:v1.0.0`],
        ["plugin", "versions", `${drip.host}/plugins/a`],
        ["plugin", "list", "--registry", `${drip.host}/plugins`],
        ["plugin", "pull", `${drip.host}/plugins/a:v1.0.0`, `${dir}/work/a`],
      ];
      // Concurrently: each waits about a minute, mostly idle.
      const runs = await Promise.all(
        cases.map((args) =>
          runCliWithin([...args, "--plain-http"], {
            env,
            cwd: `${dir}/work`,
            limitMs: 150_000,
          })
        ),
      );
      runs.forEach((run, i) => {
        const what = cases[i].join(" ");
        ok(!run.timedOut, `${what}: still running after 150 s`);
        equal(run.code, 1, `${what}: ${run.stderr}`);
        ok(
          /no data for 60000 ms|less than 1024 \(dripping\)|deadline/.test(
            run.stderr,
          ),
          `${what}: ${run.stderr}`,
        );
        // One line: the error, nothing else.
        equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** The Deno entry of the edge API in front of `registryHost`, no cache. */
function edgeFor(registryHost: string, home: string) {
  return startServer({
    port: 0,
    log: false,
    env: (n) =>
      ({
        KLAUS_REGISTRY: `${registryHost}/org`,
        PLAIN_HTTP: "true",
        KLAUS_OCI_NO_CACHE: "1",
        HOME: home,
      })[n],
  });
}

for (const kind of ["stall", "drip"] as const) {
  Deno.test(`timeouts: the edge API answers 504 within its budget under load (${kind})`, async () => {
    const registry = await startHostileServer(
      kind === "drip" ? { kind, dripMs: 500 } : { kind },
    );
    const home = await Deno.makeTempDir({ prefix: "klaus-oci-edge-" });
    const edge = await edgeFor(registry.host, home);
    try {
      const paths: string[] = [];
      for (let i = 0; i < 12; i++) {
        paths.push(`/v1/plugins/p${i}?version=v1.0.0`);
        paths.push(`/v1/personalities/s${i}/versions`);
      }
      paths.push("/v1/plugins", "/v1/toolchains/go");
      // Load in this isolate (the edge runs in it): garbage, so collections
      // happen while the answers wait — a stall timer that depends on the
      // original Response being alive then loses its abort.
      let sink: unknown[] = [];
      const load = setInterval(() => {
        sink = Array.from({ length: 50_000 }, (_, i) => ({ i }));
      }, 5);
      const started = Date.now();
      const answers = await Promise.all(paths.map(async (path) => {
        const res = await fetch(`${edge.url}${path}`, {
          signal: AbortSignal.timeout(30_000),
        }).catch((e) => e as Error);
        const elapsed = Date.now() - started;
        if (res instanceof Error) return { path, status: 0, elapsed };
        await res.body?.cancel();
        return { path, status: res.status, elapsed };
      }));
      clearInterval(load);
      ok(sink.length > 0);
      for (const a of answers) {
        equal(a.status, 504, `${a.path}: ${a.status} after ${a.elapsed} ms`);
        ok(a.elapsed < 12_500, `${a.path}: 504 only after ${a.elapsed} ms`);
      }
    } finally {
      // The registry first: its endless bodies end, so requests an edge
      // without a budget still holds can finish and the edge can stop.
      await registry.close();
      await edge.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("the edge API does not echo a requester's user:password in a 400", async () => {
  await using registry = await startHostileServer({ kind: "manifest" });
  const home = await Deno.makeTempDir({ prefix: "klaus-oci-edge-" });
  try {
    await using edge = await edgeFor(registry.host, home);
    for (
      const version of [
        "someone:Edge-Pa55word-1@evil.example/x",
        "https://someone:Edge-Pa55word-1@evil.example/x",
      ]
    ) {
      for (const path of ["/v1/plugins/a", "/plugins/a"]) {
        const res = await fetch(
          `${edge.url}${path}?version=${encodeURIComponent(version)}`,
        );
        const body = await res.text();
        equal(res.status, 400, body);
        ok(!body.includes("Edge-Pa55word-1"), body);
        ok(!body.includes(encodeURIComponent("Edge-Pa55word-1")), body);
      }
    }
    equal(registry.requests.length, 0, "nothing reached the registry");
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});
