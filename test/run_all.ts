/**
 * `deno task test`: the Deno suite (library, CLI, Deno entry, Chromium page)
 * and then the workerd suite (the Worker inside the real Workers runtime via
 * @cloudflare/vitest-pool-workers). Both always run; the exit code is
 * non-zero when either fails. Each prints its own summary line
 * (`ok | N passed | M failed`, `Tests  N passed (N)`), which `.ci/run` sums.
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

const deno = await run(Deno.execPath(), [
  "test",
  "--allow-all",
  "--parallel",
  "test/",
]);
const workerd = await run(`${root}node_modules/.bin/vitest`, [
  "run",
  "--config",
  "vitest.workerd.config.mts",
]);
if (deno !== 0 || workerd !== 0) {
  console.error(
    `\ntest suites failed: deno exit ${deno}, workerd exit ${workerd}`,
  );
  Deno.exit(1);
}
