/**
 * Issue 11 item 4: a personality whose archive holds `SOUL.md` as a
 * directory (built byte by byte with the raw tar helpers) must fail before
 * the swap: the good copy pulled before stays exactly as it was, nothing is
 * left beside it — through the library and through the CLI.
 *
 * Before the fix the pull swapped the new tree in and only then read
 * `SOUL.md` (`error: reading SOUL.md: EISDIR`, the old copy gone).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { InvalidArtifactError, isCached } from "../../src/mod.ts";
import { rawTar } from "../archive/raw_tar.ts";
import { clientFor, errorOf } from "../artifact/fixtures_ops.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { gzip } from "../harness/seed.ts";
import {
  cliEnv,
  contentTree,
  PERSONALITY_REPO,
  pushPersonality,
  runCli,
  siblingsOf,
} from "./pull_helpers.ts";

const PERSONALITY_YAML = "name: reliable\ndescription: test\n";

Deno.test({
  name:
    "a personality with SOUL.md as a directory fails before the swap; the old copy stays",
  ignore: missing("docker-registry"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const client = clientFor(reg);
    const dir = await Deno.makeTempDir({ prefix: "klaus-reliability-soul-" });
    try {
      const good = await pushPersonality(
        reg,
        "v1",
        await gzip(rawTar([
          { name: "personality.yaml", data: PERSONALITY_YAML },
          { name: "SOUL.md", data: "# The good soul\n" },
        ])),
      );
      // SOUL.md is a directory entry, with a file inside for good measure.
      await pushPersonality(
        reg,
        "v2",
        await gzip(rawTar([
          { name: "personality.yaml", data: PERSONALITY_YAML },
          { name: "SOUL.md/", type: "5", mode: 0o755 },
          { name: "SOUL.md/inside.md", data: "not a soul" },
        ])),
      );
      const ref = (tag: string) => reg.ref(PERSONALITY_REPO, tag);

      await t.step("library: pullPersonality", async () => {
        const dest = `${dir}/lib/reliable`;
        const pulled = await client.pullPersonality(ref("v1"), dest);
        strictEqual(pulled.soul, "# The good soul\n");
        const before = await contentTree(dest);
        const e = await errorOf(client.pullPersonality(ref("v2"), dest));
        ok(e instanceof InvalidArtifactError, `${e}`);
        ok(
          /^reading SOUL\.md: read .*SOUL\.md: is a directory$/.test(e.message),
          e.message,
        );
        strictEqual(
          e.message,
          `reading SOUL.md: read ${dest}/SOUL.md: is a directory`,
          "names the destination, not the temporary sibling",
        );
        deepStrictEqual(await contentTree(dest), before);
        strictEqual(await isCached(dest, good.digest), true);
        deepStrictEqual(await siblingsOf(dest), []);
        strictEqual(
          await Deno.readTextFile(`${dest}/SOUL.md`),
          "# The good soul\n",
        );
      });

      await t.step("CLI: personality pull", async () => {
        const run = { env: await cliEnv(dir), cwd: dir };
        const dest = `${dir}/cli/reliable`;
        const args = (tag: string) => [
          "personality",
          "pull",
          ref(tag),
          dest,
          "--plain-http",
        ];
        const first = await runCli(args("v1"), run);
        strictEqual(first.code, 0, first.stderr);
        const before = await contentTree(dest);
        const bad = await runCli(args("v2"), run);
        strictEqual(bad.code, 1, bad.stderr);
        ok(bad.stderr.includes("reading SOUL.md"), bad.stderr);
        deepStrictEqual(await contentTree(dest), before);
        strictEqual(await isCached(dest, good.digest), true);
        deepStrictEqual(await siblingsOf(dest), []);
      });
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
