/**
 * A push whose files change while it is packed and uploaded is refused
 * before the layer is committed, and says so (not the registry's
 * complaint about a cut-short upload).
 */
import { ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { withTempDir, writeTree } from "./_fs_helpers.ts";
import { clientFor } from "./fixtures_ops.ts";

const MiB = 1024 * 1024;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

Deno.test({
  name:
    "a push whose file changes during the upload reports that, not the registry's complaint",
  ignore: missing("docker-registry"),
  async fn() {
    const reg = await startRegistry({ mode: "open" });
    try {
      await withTempDir(async (dir) => {
        const file = join(dir, "big.bin");
        await writeTree(dir, { "big.bin": random(20 * MiB) });
        let changed = false;
        const client = clientFor(reg, {
          onProgress(p) {
            if (!changed && p.transferred > 5 * MiB) {
              changed = true;
              Deno.writeFileSync(file, random(20 * MiB));
            }
          },
        });
        try {
          await rejects(
            client.pushPlugin(
              dir,
              reg.ref("giantswarm/klaus-plugins/changing", "v1"),
              {
                name: "changing",
              },
            ),
            /^KlausOciError: pushing content layer: the content changed while it was being pushed/,
          );
          ok(changed);
        } finally {
          await client.close();
        }
      });
    } finally {
      await reg.stop();
    }
  },
});
