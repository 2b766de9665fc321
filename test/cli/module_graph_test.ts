/**
 * Start-up cost of the command line is what it loads: the YAML parser
 * (loaded as CommonJS, ~40 ms) is for reading personality.yaml, so only a
 * personality push may load it, on demand — not the entry, not describe,
 * list or pull, not the client (the SOUL.md reader of a pull lives apart
 * for that reason). Checked on the module graphs `deno info` resolves,
 * following what runs when a module loads (code imports, not type-only or
 * dynamic ones); the personality reader is the control that the check
 * sees the parser at all. Likewise the signature verifier: only a
 * verification loads it (`verified_manifest.ts` is the control).
 */
import { deepStrictEqual } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

/** The modules that loading `entry` loads (code imports, not dynamic). */
async function loaded(entry: string): Promise<string[]> {
  const root = new URL(entry, ROOT).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: Dependency[] }[];
    redirects: Record<string, string>;
  };
  const byName = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    let s = todo.pop()!;
    s = graph.redirects[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of byName.get(s)?.dependencies ?? []) {
      if (d.code && !d.isDynamic) todo.push(d.code.specifier);
    }
  }
  return [...seen];
}

const ENTRIES = [
  "src/cli/main.ts",
  "src/cli/describe.ts",
  "src/cli/list.ts",
  "src/cli/pull.ts",
  "src/cli/push.ts",
  "src/client.ts",
  "src/artifact/pull.ts",
  "src/artifact/deps.ts",
  "src/artifact/read_personality.ts",
  "src/sign/verified_manifest.ts",
];

/** For each entry, whether it loads a module `pattern` matches. */
async function whoLoads(pattern: RegExp): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const e of ENTRIES) {
    out[e] = (await loaded(e)).some((s) => pattern.test(s));
  }
  return out;
}

Deno.test("only a personality push loads the YAML parser", async () => {
  deepStrictEqual(await whoLoads(/\/node_modules\/yaml\/|^npm:\/?yaml/), {
    "src/cli/main.ts": false,
    "src/cli/describe.ts": false,
    "src/cli/list.ts": false,
    "src/cli/pull.ts": false,
    "src/cli/push.ts": false,
    "src/client.ts": false,
    "src/artifact/pull.ts": false,
    "src/artifact/deps.ts": false,
    "src/artifact/read_personality.ts": true,
    "src/sign/verified_manifest.ts": false,
  });
});

// The signature verifier (X.509, CMS, transparency logs, the TUF client and
// its embedded root: ~40 modules, 38 ms of a 60 ms client start in Deno)
// loads when a verification policy asks for it, not before.
Deno.test("only a verification loads the signature verifier", async () => {
  deepStrictEqual(
    await whoLoads(/\/src\/sign\/(verify_bundle|x509|tuf\/updater)\.ts$/),
    {
      "src/cli/main.ts": false,
      "src/cli/describe.ts": false,
      "src/cli/list.ts": false,
      "src/cli/pull.ts": false,
      "src/cli/push.ts": false,
      "src/client.ts": false,
      "src/artifact/pull.ts": false,
      "src/artifact/deps.ts": false,
      "src/artifact/read_personality.ts": false,
      "src/sign/verified_manifest.ts": true,
    },
  );
});
