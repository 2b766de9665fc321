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

/**
 * Each entry and what loading it may load: the YAML parser (only for
 * reading personality.yaml) and the signature verifier (X.509, CMS,
 * transparency logs, the TUF client and its embedded root: ~40 modules,
 * 38 ms of a 60 ms client start in Deno; only when a policy asks for it).
 * `read_personality.ts` and `verified_manifest.ts` are the controls.
 */
const EXPECTED: Record<string, { yaml: boolean; verifier: boolean }> = {
  "src/cli/main.ts": { yaml: false, verifier: false },
  "src/cli/describe.ts": { yaml: false, verifier: false },
  "src/cli/list.ts": { yaml: false, verifier: false },
  "src/cli/pull.ts": { yaml: false, verifier: false },
  "src/cli/push.ts": { yaml: false, verifier: false },
  "src/client.ts": { yaml: false, verifier: false },
  "src/artifact/pull.ts": { yaml: false, verifier: false },
  "src/artifact/deps.ts": { yaml: false, verifier: false },
  "src/artifact/read_personality.ts": { yaml: true, verifier: false },
  "src/sign/verified_manifest.ts": { yaml: false, verifier: true },
};

const YAML = /\/node_modules\/yaml\/|^npm:\/?yaml/;
const VERIFIER = /\/src\/sign\/(verify_bundle|x509|tuf\/updater)\.ts$/;

Deno.test("only a personality push loads the YAML parser, only a verification the verifier", async () => {
  const actual: typeof EXPECTED = {};
  for (const entry of Object.keys(EXPECTED)) {
    const modules = await loaded(entry);
    actual[entry] = {
      yaml: modules.some((s) => YAML.test(s)),
      verifier: modules.some((s) => VERIFIER.test(s)),
    };
  }
  deepStrictEqual(actual, EXPECTED);
});
