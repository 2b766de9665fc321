/**
 * Start-up cost of the command line is what it loads: the YAML parser
 * (loaded as CommonJS, ~40 ms) is for reading personality.yaml, so only a
 * personality push may load it, on demand — not the entry, not describe,
 * list or pull, not the client (the SOUL.md reader of a pull lives apart
 * for that reason). Checked on the module graphs `deno info` resolves,
 * following what runs when a module loads (code imports, not type-only or
 * dynamic ones); the personality reader is the control that the check
 * sees the parser at all.
 */
import { deepStrictEqual } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

/** Whether loading `entry` loads the YAML parser. */
async function loadsYaml(entry: string): Promise<boolean> {
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
  return [...seen].some((s) => /\/node_modules\/yaml\/|^npm:\/?yaml/.test(s));
}

Deno.test("only a personality push loads the YAML parser", async () => {
  const entries = [
    "src/cli/main.ts",
    "src/cli/describe.ts",
    "src/cli/list.ts",
    "src/cli/pull.ts",
    "src/cli/push.ts",
    "src/client.ts",
    "src/artifact/pull.ts",
    "src/artifact/read_personality.ts",
  ];
  const loads: Record<string, boolean> = {};
  for (const e of entries) loads[e] = await loadsYaml(e);
  deepStrictEqual(loads, {
    "src/cli/main.ts": false,
    "src/cli/describe.ts": false,
    "src/cli/list.ts": false,
    "src/cli/pull.ts": false,
    "src/cli/push.ts": false,
    "src/client.ts": false,
    "src/artifact/pull.ts": false,
    "src/artifact/read_personality.ts": true,
  });
});
