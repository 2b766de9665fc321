/**
 * Validated manifests: a registry serving `{}` (or a manifest without a
 * config or a layer list) for a tag gets an `InvalidArtifactError`, never
 * a described artifact with an empty name, and nothing of it is cached —
 * the library against the hostile registry, and the CLI as a real process
 * with its file cache.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { InvalidArtifactError } from "../../src/errors.ts";
import { startHostileServer } from "../harness/hostile_server.ts";
import { filesBelow, isolatedEnv, runCliWithin } from "./cli_process.ts";

const CONFIG = {
  mediaType: "application/vnd.giantswarm.klaus-plugin.config.v1+json",
  digest: `sha256:${"a".repeat(64)}`,
  size: 2,
};

const INVALID: Record<string, string> = {
  "{}": "{}",
  "no config": JSON.stringify({ schemaVersion: 2, layers: [] }),
  "no layers": JSON.stringify({ schemaVersion: 2, config: CONFIG }),
  "schema 1": JSON.stringify({ schemaVersion: 1, config: CONFIG, layers: [] }),
  "an empty index": JSON.stringify({ schemaVersion: 2, manifests: [] }),
};

for (const [what, manifest] of Object.entries(INVALID)) {
  Deno.test(`manifests: ${what} is an InvalidArtifactError, not cached`, async () => {
    await using server = await startHostileServer({
      kind: "manifest",
      manifest,
    });
    const client = new Client({ plainHttp: true, cache: {}, env: {} });
    try {
      for (const kind of ["plugin", "personality", "toolchain"] as const) {
        const ref = `${server.host}/${kind}s/a:v1.0.0`;
        for (let i = 0; i < 2; i++) {
          await rejects(
            kind === "plugin"
              ? client.describePlugin(ref)
              : kind === "personality"
              ? client.describePersonality(ref)
              : client.describeToolchain(ref),
            (e: unknown) => e instanceof InvalidArtifactError,
            `${kind} ${what}`,
          );
        }
      }
      // Asked again every time: nothing of it was kept.
      const gets = server.requests.filter((r) =>
        r.method === "GET" && r.path.includes("/manifests/")
      );
      equal(gets.length, 6, JSON.stringify(server.requests));
    } finally {
      await client.close();
    }
  });
}

Deno.test("manifests: the CLI refuses {} and its file cache keeps none of it", async () => {
  await using server = await startHostileServer({ kind: "manifest" });
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-manifests-" });
  try {
    const env = await isolatedEnv(dir);
    for (let i = 0; i < 2; i++) {
      for (
        const args of [
          ["plugin", "describe", `${server.host}/plugins/a:v1.0.0`],
          ["plugin", "describe", `${server.host}/plugins/a`, "--json"],
          ["toolchain", "describe", `${server.host}/toolchains/go:v1.0.0`],
          ["plugin", "pull", `${server.host}/plugins/a:v1.0.0`, "pulled"],
        ]
      ) {
        const run = await runCliWithin([...args, "--plain-http"], {
          env,
          cwd: `${dir}/work`,
          limitMs: 60_000,
        });
        equal(run.code, 1, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
        equal(run.stdout, "");
        ok(
          /schemaVersion 0|not an image manifest or index/.test(run.stderr),
          run.stderr,
        );
      }
    }
    // (What the tag points at may be recorded by a pull's HEAD; the
    // document itself never is.)
    const files = await filesBelow(`${dir}/xdg-cache`);
    for (const f of files) {
      const bytes = await Deno.readFile(f);
      ok(new TextDecoder().decode(bytes) !== "{}", `{} was cached: ${f}`);
    }
    const gets = server.requests.filter((r) =>
      r.method === "GET" && r.path.includes("/manifests/")
    );
    ok(gets.length >= 6, `served from a cache: ${gets.length} GETs`);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
