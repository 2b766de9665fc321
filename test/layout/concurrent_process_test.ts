import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LayoutStore } from "../../src/layout/mod.ts";
import { missing } from "../harness/require.ts";
import {
  layoutRepo,
  namesIn,
  readAll,
  skopeoOk,
  withTempDir,
} from "./layout_fixture.ts";

const SCRIPT = fileURLToPath(new URL("./push_tags_script.ts", import.meta.url));
const WORKERS = 4;
const TAGS_EACH = 6;

async function runWorkers(cwd: string, dir: string): Promise<void> {
  const results = await Promise.all(
    Array.from(
      { length: WORKERS },
      (_, w) =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--quiet",
            "--node-modules-dir=none",
            SCRIPT,
            dir,
            String(w),
            String(TAGS_EACH),
          ],
          cwd,
          stdout: "piped",
          stderr: "piped",
        }).output(),
    ),
  );
  results.forEach((r, w) => {
    if (r.code !== 0) {
      throw new Error(
        `worker ${w} failed: ${new TextDecoder().decode(r.stderr)}`,
      );
    }
  });
}

Deno.test("4 processes pushing different tags into one layout (relative path) keep every tag", async () => {
  await withTempDir(async (tmp) => {
    await runWorkers(tmp, "store/base");
    const dir = join(tmp, "store", "base");
    const store = new LayoutStore();
    const tags = (await store.listTags(layoutRepo(dir))).tags;
    const want = Array.from(
      { length: WORKERS * TAGS_EACH },
      (_, k) => `w${Math.floor(k / TAGS_EACH)}-${k % TAGS_EACH}`,
    );
    deepStrictEqual([...tags].sort(), [...want].sort());
    // No temp or lock files survive, and every tag is readable end to end.
    deepStrictEqual(await namesIn(dir), ["blobs", "index.json", "oci-layout"]);
    for (const tag of tags) {
      const m = await store.fetchManifest({ ...layoutRepo(dir), tag });
      const doc = JSON.parse(new TextDecoder().decode(m.bytes));
      for (const d of [doc.config, ...doc.layers]) {
        await readAll(await store.fetchBlob(layoutRepo(dir), d));
      }
    }
  });
});

Deno.test({
  name: "skopeo reads every tag the racing processes wrote",
  ignore: missing("skopeo"),
  fn: async () => {
    await withTempDir(async (tmp) => {
      await runWorkers(tmp, "racy");
      const dir = join(tmp, "racy");
      for (const tag of ["w0-0", "w1-1", "w2-4", "w3-5"]) {
        const raw = await skopeoOk("inspect", "--raw", `oci:${dir}:${tag}`);
        const m = await new LayoutStore().fetchManifest({
          ...layoutRepo(dir),
          tag,
        });
        deepStrictEqual(raw, m.bytes);
      }
    });
  },
});
