/**
 * Issue 11 item 5: `pull <ref> .`, or into any unrelated directory, used to
 * silently delete what was there. Now: `.`, the working directory, a parent
 * of it, `/` and the home directory are refused even with `--force`
 * (`overwrite: true`); a non-empty directory no pull made (no
 * `.oci-cache.json`), or a file, is refused without `--force` and replaced
 * with it; empty directories and earlier pulls are replaced as before.
 * Every refusal leaves everything as it was, and happens before any
 * request for the artifact.
 *
 * Before the fix every one of these pulls went ahead (and `--force` was an
 * unknown flag, exit 2).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { UnsafeDestinationError } from "../../src/mod.ts";
import { clientFor, errorOf } from "../artifact/fixtures_ops.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import {
  cliEnv,
  type CliRun,
  contentTree,
  exists,
  PLUGIN_REPO,
  pushPlugin,
  runCli,
  siblingsOf,
} from "./pull_helpers.ts";

Deno.test({
  name:
    "pull destinations: protected ones never, foreign ones only with --force / overwrite",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    let requests = 0;
    const client = clientFor(reg, {
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const dir = await Deno.makeTempDir({ prefix: "klaus-reliability-dest-" });
    try {
      const pushed = await pushPlugin(reg, "v1", {
        "commands/hello.md": "hello\n",
      });
      const ref = reg.ref(PLUGIN_REPO, "v1");
      const env = await cliEnv(dir);
      const home = env.HOME;
      const work = `${dir}/work/project`;
      await Deno.mkdir(work, { recursive: true });
      await Deno.writeTextFile(`${work}/precious.txt`, "my work");
      await Deno.writeTextFile(`${home}/.profile`, "my home");
      const run: CliRun = { env, cwd: work };
      const pull = (dest: string, ...flags: string[]) =>
        runCli(["plugin", "pull", ref, dest, "--plain-http", ...flags], run);
      const everything = async () => ({
        work: await contentTree(work),
        home: await contentTree(home),
        parent: (await Array.fromAsync(Deno.readDir(`${dir}/work`)))
          .map((e) => e.name).sort(),
      });
      const before = await everything();

      for (
        const [dest, reason, label] of [
          [".", "the working directory", "."],
          [work, "the working directory", "<cwd>"],
          ["..", "a parent of the working directory", ".."],
          [dir, "a parent of the working directory", "<cwd>/../.."],
          [home, "the home directory", "$HOME"],
          ["/", "the root directory", "/"],
        ]
      ) {
        await t.step(
          `CLI: ${label} is refused even with --force`,
          async () => {
            for (const flags of [[], ["--force"]]) {
              const r = await pull(dest, ...flags);
              strictEqual(r.code, 1, `${flags}: ${r.stderr}`);
              ok(r.stderr.includes(`it is ${reason}`), r.stderr);
              ok(r.stderr.includes("not even with --force"), r.stderr);
              deepStrictEqual(await everything(), before);
            }
          },
        );
      }

      await t.step(
        "CLI: an unrelated non-empty directory needs --force",
        async () => {
          const mine = `${work}/mine`;
          await Deno.mkdir(mine);
          await Deno.writeTextFile(`${mine}/notes.txt`, "not a plugin");
          const refused = await pull("mine");
          strictEqual(refused.code, 1, refused.stderr);
          ok(refused.stderr.includes("no .oci-cache.json"), refused.stderr);
          ok(
            refused.stderr.includes("use --force to replace it"),
            refused.stderr,
          );
          strictEqual(
            await Deno.readTextFile(`${mine}/notes.txt`),
            "not a plugin",
          );
          deepStrictEqual(await siblingsOf(mine), []);

          const forced = await pull("mine", "--force", "--json");
          strictEqual(forced.code, 0, forced.stderr);
          strictEqual(JSON.parse(forced.stdout).digest, pushed.digest);
          strictEqual(await exists(`${mine}/notes.txt`), false);
          strictEqual(
            await Deno.readTextFile(`${mine}/commands/hello.md`),
            "hello\n",
          );
          deepStrictEqual(await siblingsOf(mine), []);
          // Now it is an earlier pull: no --force needed any more.
          const again = await pull("mine", "--json");
          strictEqual(again.code, 0, again.stderr);
          strictEqual(JSON.parse(again.stdout).cached, true);
          await Deno.remove(mine, { recursive: true });
        },
      );

      await t.step(
        "CLI: a file needs --force; an empty directory does not",
        async () => {
          await Deno.writeTextFile(`${work}/afile`, "a file");
          const refused = await pull("afile");
          strictEqual(refused.code, 1, refused.stderr);
          ok(refused.stderr.includes("is a file"), refused.stderr);
          strictEqual(await Deno.readTextFile(`${work}/afile`), "a file");
          strictEqual((await pull("afile", "--force")).code, 0);
          ok((await Deno.stat(`${work}/afile`)).isDirectory);
          await Deno.remove(`${work}/afile`, { recursive: true });

          await Deno.mkdir(`${work}/empty`);
          const r = await pull("empty");
          strictEqual(r.code, 0, r.stderr);
          ok(await exists(`${work}/empty/commands/hello.md`));
          await Deno.remove(`${work}/empty`, { recursive: true });
        },
      );

      await t.step("CLI: --force belongs to pull", async () => {
        const r = await runCli(["plugin", "pull", "--help"], run);
        strictEqual(r.code, 0);
        ok(r.stdout.includes("--force"), r.stdout);
      });

      await t.step(
        "library: UnsafeDestinationError, overwrite, no request",
        async () => {
          const foreign = `${dir}/lib/foreign`;
          await Deno.mkdir(foreign, { recursive: true });
          await Deno.writeTextFile(`${foreign}/keep.txt`, "keep");
          requests = 0;
          const e = await errorOf(client.pullPlugin(ref, foreign));
          ok(e instanceof UnsafeDestinationError, `${e}`);
          strictEqual(e.overridable, true);
          strictEqual(e.path, foreign);
          strictEqual(requests, 0, "refused before any request");
          strictEqual(await Deno.readTextFile(`${foreign}/keep.txt`), "keep");

          const p = await client.pullPlugin(ref, foreign, { overwrite: true });
          strictEqual(p.cached, false);
          strictEqual(await exists(`${foreign}/keep.txt`), false);
          deepStrictEqual(await siblingsOf(foreign), []);

          // Only "/" here: this process's own working and home directories
          // are the CLI steps' business (there they are sandboxed).
          requests = 0;
          const refused = await errorOf(
            client.pullPlugin(ref, "/", { overwrite: true }),
          );
          ok(refused instanceof UnsafeDestinationError, `${refused}`);
          strictEqual(refused.overridable, false);
          strictEqual(requests, 0);
        },
      );
      deepStrictEqual(await everything(), before);
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
