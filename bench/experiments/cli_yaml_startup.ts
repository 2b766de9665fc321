/**
 * One-off measurement (session 3): `plugin describe` and an up-to-date
 * `plugin pull` as whole `deno run` processes, two checkouts side by side
 * (before and after a change), hyperfine 3 warm-ups + 30 runs.
 *
 *   git worktree add /tmp/before <commit>
 *   deno run -A bench/experiments/cli_yaml_startup.ts /tmp/before .
 */
import { startRegistry } from "../../test/harness/registry.ts";
import { Client } from "../../src/client.ts";

const roots = Deno.args;
if (roots.length === 0) throw new Error("usage: <checkout> [<checkout> …]");
const reg = await startRegistry({ mode: "open" });
const tmp = await Deno.makeTempDir({ prefix: "klaus-startup-" });
try {
  const client = new Client({ plainHttp: true, env: {} });
  const fixture = new URL("../../test/fixtures/plugins/base", import.meta.url)
    .pathname;
  await client.pushPlugin(fixture, `${reg.host}/p/base:v1`, { name: "base" });
  await client.close();
  const commands: string[] = [];
  roots.forEach((root, i) => {
    const cli = `${Deno.execPath()} run -A --node-modules-dir=none ${
      Deno.realPathSync(root)
    }/src/cli/main.ts --plain-http plugin`;
    commands.push(`${cli} describe ${reg.host}/p/base:v1`);
    commands.push(`${cli} pull ${reg.host}/p/base:v1 ${tmp}/pulled-${i}`);
  });
  const json = `${tmp}/hyperfine.json`;
  await new Deno.Command("hyperfine", {
    args: ["-N", "-w", "3", "-r", "30", "--export-json", json, ...commands],
  }).output();
  const { results } = JSON.parse(await Deno.readTextFile(json)) as {
    results: { command: string; median: number }[];
  };
  for (const r of results) {
    console.log(Math.round(r.median * 1000), "ms", r.command);
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
  await reg.stop();
}
