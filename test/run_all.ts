/**
 * `deno task test`: the Deno suite (library, CLI, Deno entry, Chromium page),
 * the documentation examples of the published source (`deno test --doc
 * src/`: every `@example` that is not `ts ignore` is type-checked and run),
 * and then the workerd suite (the Worker inside the real Workers runtime via
 * @cloudflare/vitest-pool-workers). All three always run; the exit code is
 * non-zero when any fails. Each prints its own summary line
 * (`ok | N passed | M failed` for both Deno runs, `Tests  N passed (N)`),
 * which `.ci/run` sums.
 */

async function run(cmd: string, args: string[]): Promise<number> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "inherit",
    stderr: "inherit",
    env: {
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      DENO_BIN: Deno.execPath(),
    },
  }).spawn();
  return (await child.status).code;
}

const root = new URL("..", import.meta.url).pathname;
Deno.chdir(root);

// The npm-side tooling (wrangler, the Workers test pool, Bun and Node for the
// runtime smoke, @types/node for type checks) comes from package-lock.json;
// install it on a fresh clone so the README's one command is enough.
try {
  Deno.statSync("node_modules/.package-lock.json");
} catch {
  console.error("node_modules missing: running npm ci");
  const code = await run("npm", ["ci", "--no-audit", "--no-fund"]);
  if (code !== 0) {
    console.error("npm ci failed");
    Deno.exit(1);
  }
}

const deno = await run(Deno.execPath(), [
  "test",
  "--allow-all",
  "--parallel",
  "test/",
]);
const docs = await run(Deno.execPath(), [
  "test",
  "--doc",
  "--allow-all",
  "src/",
]);
const workerd = await run(`${root}node_modules/.bin/vitest`, [
  "run",
  "--config",
  "vitest.workerd.config.mts",
]);
if (deno !== 0 || docs !== 0 || workerd !== 0) {
  console.error(
    `\ntest suites failed: deno exit ${deno}, doc examples exit ${docs}, workerd exit ${workerd}`,
  );
  Deno.exit(1);
}
