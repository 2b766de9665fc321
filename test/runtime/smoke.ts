/**
 * The runtime smoke script: one push → resolve → describe → list → pull
 * round trip through the library's public entry (`src/mod.ts`) against a
 * real registry, written with nothing but web standards and `node:`
 * built-ins so that the very same file runs under Deno, Bun, Node ≥ 22.6
 * (type stripping) and, bundled, under older Node.
 *
 * Environment:
 * - `KLAUS_SMOKE_REGISTRY`  `127.0.0.1:PORT` of a plain-HTTP registry (required);
 * - `KLAUS_SMOKE_NAMESPACE` repository prefix of this run (default `smoke`);
 * - `KLAUS_SMOKE_FIXTURES`  the shared fixtures root (default: `../fixtures`
 *   next to this file);
 * - `KLAUS_SMOKE_PULL_REF`  optional: a plugin reference pushed by another
 *   runtime, pulled and compared byte for byte with the fixture.
 *
 * Prints one JSON line (`{"ok":true,…}`) and exits 0, or prints the error
 * and exits 1.
 *
 * @module
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  Client,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../../src/mod.ts";

/** What the script reports on success. */
export interface SmokeReport {
  /** Always true (a failure exits 1 instead). */
  ok: true;
  /** Runtime name and version. */
  runtime: string;
  /** The plugin reference pushed. */
  pluginRef: string;
  /** Manifest digest of the pushed plugin. */
  pluginDigest: string;
  /** Digest of its content layer (depends on the runtime's deflate). */
  layerDigest: string;
  /** The personality reference pushed. */
  personalityRef: string;
  /** Manifest digest of the pushed personality. */
  personalityDigest: string;
  /** Whether `KLAUS_SMOKE_PULL_REF` was pulled and matched. */
  crossPulled: boolean;
  /** Requests of a describe answered by the warm file cache (must be 0). */
  warmCacheRequests: number;
}

function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`smoke check failed: ${what}`);
}

function same(a: unknown, b: unknown, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  check(x === y, `${what}: got ${x}, want ${y}`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** Runs the round trip; returns the report. */
export async function smoke(): Promise<SmokeReport> {
  const host = process.env.KLAUS_SMOKE_REGISTRY;
  if (!host) throw new Error("KLAUS_SMOKE_REGISTRY is not set");
  const ns = process.env.KLAUS_SMOKE_NAMESPACE || "smoke";
  const fixtures = process.env.KLAUS_SMOKE_FIXTURES ||
    fileURLToPath(new URL("../fixtures/", import.meta.url));
  const pluginDir = join(fixtures, "plugins", "base");
  const personalityDir = join(fixtures, "personalities", "sre");
  const work = await mkdtemp(join(tmpdir(), "klaus-oci-smoke-"));

  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  const pluginBase = `${host}/${ns}/plugins`;
  const client = new Client({
    plainHttp: true,
    fetch: counting,
    registries: { plugin: pluginBase },
  });
  try {
    // push
    const plugin = await readPluginFromDir(pluginDir);
    const pluginRef = `${pluginBase}/base:v0.1.0`;
    const pushed = await client.pushPlugin(pluginDir, pluginRef, plugin);
    check(/^sha256:[a-f0-9]{64}$/.test(pushed.digest), "push returns a digest");

    // resolve, describe (by tag and by short name), list, versions
    same(await client.resolve(pluginRef), pushed.digest, "resolve");
    const d = await client.describePlugin(pluginRef);
    same(d.digest, pushed.digest, "describe digest");
    same(d.plugin.name, "base", "describe name");
    same(d.plugin.commands, ["hello"], "describe commands");
    const short = await client.describePlugin("base");
    same(short.ref, pluginRef, "describe by short name");
    same(
      (await client.listPlugins()).map((e) => e.reference),
      [pluginRef],
      "list",
    );
    same(await client.listPluginVersions("base"), ["v0.1.0"], "versions");

    // pull, then an up-to-date pull
    const dest = join(work, "base");
    const pulled = await client.pullPlugin(pluginRef, dest);
    same(pulled.cached, false, "first pull is not cached");
    same(pulled.digest, pushed.digest, "pulled digest");
    const want = await readFile(join(pluginDir, "commands", "hello.md"));
    const got = await readFile(join(dest, "commands", "hello.md"));
    check(equalBytes(want, got), "pulled hello.md equals the fixture");
    same(
      (await client.pullPlugin(pluginRef, dest)).cached,
      true,
      "second pull",
    );

    // what another runtime pushed
    let crossPulled = false;
    const crossRef = process.env.KLAUS_SMOKE_PULL_REF;
    if (crossRef) {
      const crossDest = join(work, "cross");
      await client.pullPlugin(crossRef, crossDest);
      const cross = await readFile(join(crossDest, "commands", "hello.md"));
      check(equalBytes(want, cross), "cross-runtime pull content");
      crossPulled = true;
    }

    // personality round trip
    const personality = await readPersonalityFromDir(personalityDir);
    const personalityRef = `${host}/${ns}/personalities/sre:v1.0.0`;
    const pp = await client.pushPersonality(
      personalityDir,
      personalityRef,
      personality,
    );
    const pulledP = await client.pullPersonality(
      personalityRef,
      join(work, "sre"),
    );
    same(pulledP.digest, pp.digest, "personality digest");
    check(pulledP.soul.includes("SRE"), "SOUL.md pulled");
    same(pulledP.personality.toolchain?.tag, "0.1.14", "personality toolchain");

    // the layer digest, from the manifest the registry serves
    const manifest = await (await fetch(
      `http://${host}/v2/${ns}/plugins/base/manifests/${pushed.digest}`,
      { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } },
    )).json();

    // the file cache: a second describe makes no request
    const cached = new Client({
      plainHttp: true,
      fetch: counting,
      cache: { dir: join(work, "cache") },
    });
    try {
      await cached.describePlugin(pluginRef);
      requests = 0;
      const again = await cached.describePlugin(pluginRef);
      same(again.digest, pushed.digest, "cached describe");
    } finally {
      await cached.close();
    }

    return {
      ok: true,
      runtime: runtimeName(),
      pluginRef,
      pluginDigest: pushed.digest,
      layerDigest: manifest.layers[0].digest,
      personalityRef,
      personalityDigest: pp.digest,
      crossPulled,
      warmCacheRequests: requests,
    };
  } finally {
    await client.close();
    await rm(work, { recursive: true, force: true });
  }
}

// Run when executed directly (`import.meta.main` is not on every runtime;
// bundles set KLAUS_SMOKE_RUN instead).
const meta = import.meta as ImportMeta & { main?: boolean; url: string };
const direct = meta.main === true ||
  process.env.KLAUS_SMOKE_RUN === "1" ||
  (process.argv[1] !== undefined &&
    fileURLToPath(meta.url) === process.argv[1]);
if (direct) {
  try {
    const report = await smoke();
    if (report.warmCacheRequests !== 0) {
      throw new Error(
        `smoke check failed: warm cache made ${report.warmCacheRequests} requests`,
      );
    }
    console.log(JSON.stringify(report));
  } catch (e) {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  }
}
