/**
 * `runCli` in-process with a stand-in client: what the subprocess tests
 * cannot observe (client options, the bounded close, progress on a fake
 * terminal, secret scrubbing).
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { CliClient } from "../../src/cli/context.ts";
import type { CliClientOptions } from "../../src/cli/options.ts";
import { type CliIo, runCli } from "../../src/cli/run.ts";
import { Sink } from "./helpers.ts";

const DIGEST = "sha256:" + "c".repeat(64);

function fakeClient(overrides: Partial<CliClient>): CliClient {
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected call ${name}`);
  };
  const base: Record<string, unknown> = {};
  for (
    const name of [
      "resolve",
      "resolvePluginRef",
      "resolvePersonalityRef",
      "resolveToolchainRef",
      "listPlugins",
      "listPersonalities",
      "listToolchains",
      "listPluginVersions",
      "listPersonalityVersions",
      "listToolchainVersions",
      "describePlugin",
      "describePersonality",
      "describeToolchain",
      "resolvePersonalityDeps",
      "pullPlugin",
      "pullPersonality",
      "pushPlugin",
      "pushPersonality",
    ]
  ) base[name] = unexpected(name);
  base.close = () => Promise.resolve();
  return { ...base, ...overrides } as CliClient;
}

function io(
  client: (o: CliClientOptions) => CliClient,
  env: Record<string, string> = {},
  tty = false,
): CliIo & { out: Sink; err: Sink } {
  const out = new Sink(false);
  const err = new Sink(tty);
  return {
    out,
    err,
    stdout: out,
    stderr: err,
    env: (n) => env[n],
    createClient: client,
    version: "9.9.9",
    closeTimeoutMs: 200,
  };
}

Deno.test("runCli hands the flags and environment to the client", async () => {
  let seen: CliClientOptions | undefined;
  const h = io((o) => {
    seen = o;
    return fakeClient({
      listPluginVersions: (n) => Promise.resolve([`${n}-v1`]),
    });
  }, { KLAUS_OCI_CACHE_DIR: "/tmp/c" });
  const code = await runCli(
    [
      "plugin",
      "versions",
      "x",
      "--plain-http",
      "--concurrency",
      "3",
      "--registry",
      "r.example/p",
      "--json",
    ],
    h,
  );
  equal(code, 0, h.err.text);
  deepStrictEqual(JSON.parse(h.out.text), ["x-v1"]);
  deepStrictEqual(seen, {
    plainHttp: true,
    registryAuthEnv: "KLAUS_OCI_REGISTRY_AUTH",
    concurrency: 3,
    registries: { plugin: "r.example/p" },
    cache: { dir: "/tmp/c" },
  });
});

Deno.test("runCli awaits close, but no longer than the bound", async () => {
  let closed = false;
  const h = io(() =>
    fakeClient({
      resolvePluginRef: (r) => Promise.resolve(`r/${r}:v1`),
      close: async () => {
        await new Promise((r) => setTimeout(r, 20));
        closed = true;
      },
    })
  );
  equal(await runCli(["plugin", "resolve", "x"], h), 0);
  ok(closed, "background work finished before exit");

  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = io(() =>
    fakeClient({
      resolvePluginRef: () => Promise.reject(new Error("boom")),
      close: () =>
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5_000);
        }),
    })
  );
  const started = Date.now();
  equal(await runCli(["plugin", "resolve", "x"], hang), 1);
  const took = Date.now() - started;
  clearTimeout(timer);
  ok(took >= 150 && took < 2_000, `bounded close took ${took} ms`);
  equal(hang.err.text, "error: boom\n");
});

Deno.test("runCli scrubs registry credentials from error messages", async () => {
  const auth = btoa(
    JSON.stringify({
      auths: { "r.example": { auth: btoa("me:s3cr3t-pass") } },
    }),
  );
  const h = io(
    () =>
      fakeClient({
        describePlugin: () =>
          Promise.reject(new Error("denied for me:s3cr3t-pass")),
      }),
    { KLAUS_OCI_REGISTRY_AUTH: auth },
  );
  equal(await runCli(["plugin", "describe", "x:v1"], h), 1);
  // The whole decoded pair is a registered secret, not only the password.
  equal(h.err.text, "error: denied for ***\n");
  equal(h.out.text, "");
});

Deno.test("runCli draws progress on a terminal, interjects warnings, then prints", async () => {
  const make = (tty: boolean) =>
    io(
      (o) =>
        fakeClient({
          resolvePluginRef: (r) => Promise.resolve(`r.example/p/${r}:v1`),
          pullPlugin: (ref, dir, opts) => {
            const e = {
              direction: "pull" as const,
              digest: DIGEST,
              mediaType: "x.tar+gzip",
              total: 100,
            };
            o.onProgress?.({ ...e, transferred: 0, done: false });
            opts?.onWarning?.("skipped symlink evil");
            o.onProgress?.({ ...e, transferred: 100, done: true });
            return Promise.resolve({
              ref,
              tag: "v1",
              digest: DIGEST,
              plugin: { name: "x" },
              dir,
              cached: false,
            });
          },
        }),
      { NO_COLOR: "1" },
      tty,
    );
  const h = make(true);
  equal(await runCli(["plugin", "pull", "x", "/tmp/x"], h), 0, h.err.text);
  ok(h.err.text.includes("\x1b[2K"), "bars drawn");
  ok(/layer +cccccccccccc \[#+\] 100% .*done/.test(h.err.text), h.err.text);
  ok(
    h.err.text.includes("\x1b[1A\r\x1b[0JWarning: skipped symlink evil\n"),
    JSON.stringify(h.err.text),
  );
  equal(h.out.text, "x: pulled (sha256:cccccccccccc)\n");

  for (const [quiet, tty] of [[true, true], [false, false]]) {
    const q = make(tty);
    equal(
      await runCli(
        ["plugin", "pull", "x", "/tmp/x", ...(quiet ? ["-q"] : [])],
        q,
      ),
      0,
    );
    equal(q.err.text, "Warning: skipped symlink evil\n", "no bars");
  }
});

Deno.test("runCli --version and help need no client", async () => {
  const h = io(() => {
    throw new Error("no client");
  });
  equal(await runCli(["--version"], h), 0);
  equal(h.out.text, "klaus-oci 9.9.9\n");
  equal(await runCli(["plugin", "list", "--help"], h), 0);
  equal(h.err.text, "");
});
