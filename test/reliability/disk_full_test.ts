/**
 * Disk full: a pull whose new copy does not fit on the destination's file
 * system fails with a clear error, leaves the old copy as it was and no
 * temporary sibling behind. Needs root to mount an 8 MiB tmpfs (CI runs as
 * root); skipped loudly elsewhere, a failure in CI.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { startRegistry } from "../harness/registry.ts";
import { missing, missingComponent } from "../harness/require.ts";
import { cliEnv, PLUGIN_REPO, runCli, siblingsOf } from "./pull_helpers.ts";

function canMount(): boolean {
  if (Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync({ prefix: "klaus-tmpfs-probe-" });
  try {
    const r = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir],
      stderr: "null",
    }).outputSync();
    if (r.code !== 0) return false;
    new Deno.Command("umount", { args: [dir] }).outputSync();
    return true;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const ignore = missing("docker-registry", "mount", "umount") ||
  missingComponent(
    "a tmpfs mount (root)",
    canMount(),
    "run the reliability suite as root, as CI does",
  );

Deno.test({
  name:
    "disk full: the pull fails clearly, the old copy stays, nothing is left beside it",
  ignore,
  async fn() {
    const reg = await startRegistry({ mode: "open" });
    const tmp = await Deno.makeTempDir({ prefix: "klaus-disk-full-" });
    const mnt = `${tmp}/mnt`;
    await Deno.mkdir(mnt);
    let mounted = false;
    try {
      const client = new Client({ plainHttp: true, env: {} });
      const small = `${tmp}/small`;
      const big = `${tmp}/big`;
      await Deno.mkdir(small);
      await Deno.mkdir(big);
      await Deno.writeTextFile(`${small}/README.md`, "version one\n");
      // v1 takes 3 MiB of the 8: v2 (6 MiB) fits alone, not beside it.
      const three = new Uint8Array(3 * 1024 * 1024);
      for (let i = 0; i < three.length; i += 65536) {
        crypto.getRandomValues(three.subarray(i, i + 65536));
      }
      await Deno.writeFile(`${small}/old.bin`, three);
      const random = new Uint8Array(6 * 1024 * 1024);
      for (let i = 0; i < random.length; i += 65536) {
        crypto.getRandomValues(random.subarray(i, i + 65536));
      }
      await Deno.writeFile(`${big}/data.bin`, random);
      const v1 = reg.ref(PLUGIN_REPO, "v1.0.0");
      const v2 = reg.ref(PLUGIN_REPO, "v2.0.0");
      await client.pushPlugin(small, v1, { name: "reliable" });
      await client.pushPlugin(big, v2, { name: "reliable" });
      await client.close();

      const mount = await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt],
      }).output();
      strictEqual(mount.code, 0);
      mounted = true;
      const env = await cliEnv(tmp);
      const run = { env, cwd: tmp };
      const dest = `${mnt}/reliable`;
      const first = await runCli(
        ["--plain-http", "--no-cache", "plugin", "pull", v1, dest],
        run,
      );
      strictEqual(first.code, 0, first.stderr);
      const before = await Deno.readTextFile(`${dest}/README.md`);

      const second = await runCli(
        ["--plain-http", "--no-cache", "plugin", "pull", v2, dest],
        run,
      );
      strictEqual(second.code, 1, second.stderr);
      ok(
        /^error: .*(no space left|ENOSPC)/im.test(second.stderr),
        second.stderr,
      );
      strictEqual(second.stderr.trim().split("\n").length, 1, second.stderr);
      strictEqual(await Deno.readTextFile(`${dest}/README.md`), before);
      ok((await Deno.stat(`${dest}/.oci-cache.json`)).isFile);
      deepStrictEqual(await siblingsOf(dest), []);
      // The space the failed attempt took is given back.
      const df = await new Deno.Command("df", {
        args: ["--output=used", "-B1", mnt],
      }).output();
      const used = Number(new TextDecoder().decode(df.stdout).split("\n")[1]);
      ok(used < 4 * 1024 * 1024, `${used} bytes still used`);

      // And with room again, the same pull succeeds.
      await Deno.remove(dest, { recursive: true });
      const third = await runCli(
        ["--plain-http", "--no-cache", "plugin", "pull", v2, dest],
        run,
      );
      strictEqual(third.code, 0, third.stderr);
      strictEqual((await Deno.stat(`${dest}/data.bin`)).size, random.length);
    } finally {
      if (mounted) await new Deno.Command("umount", { args: [mnt] }).output();
      await reg.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
