/**
 * `deno compile` of the CLI into one binary that runs offline. Compiling
 * needs Deno's `denort` runtime binary, which deno downloads on first use;
 * offline it must already be there: `$DENORT_BIN`, or the zip in
 * `$DENO_DIR/dl/release/v<version>/`. Without it the test is skipped,
 * loudly (the npm `deno` package ships the full CLI only, which cannot
 * stand in for denort).
 */

import { equal, ok } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { MAIN } from "./helpers.ts";

function denoDir(): string {
  return Deno.env.get("DENO_DIR") ??
    `${
      Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`
    }/deno`;
}

function denortAvailable(): boolean {
  const bin = Deno.env.get("DENORT_BIN");
  const candidates = bin ? [bin] : [
    `${denoDir()}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`,
  ];
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return true;
    } catch {
      // not there
    }
  }
  console.error(
    "\n!!! SKIPPING the deno compile test: no denort runtime binary " +
      "($DENORT_BIN or the cached download) and no network to fetch it.\n",
  );
  return false;
}

Deno.test({
  name: "deno compile builds a klaus-oci binary whose --version runs offline",
  ignore: !denortAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "klaus-oci-compile-" });
    try {
      const binary = `${dir}/klaus-oci`;
      const compiled = await new Deno.Command(Deno.execPath(), {
        args: ["compile", "--allow-all", "--quiet", "--output", binary, MAIN],
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(compiled.code, 0, new TextDecoder().decode(compiled.stderr));
      const run = await new Deno.Command(binary, {
        args: ["--version"],
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin", HOME: dir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(run.code, 0, new TextDecoder().decode(run.stderr));
      equal(
        new TextDecoder().decode(run.stdout),
        `klaus-oci ${denoJson.version}\n`,
      );
      const usage = await new Deno.Command(binary, {
        args: ["plugin", "nope"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(usage.code, 2);
      ok(new TextDecoder().decode(usage.stderr).includes("usage: klaus-oci"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
