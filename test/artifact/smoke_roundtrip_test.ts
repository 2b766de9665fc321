import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  Client,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../../src/mod.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { inspectConfigRaw } from "../harness/skopeo.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

Deno.test({
  name: "smoke: push fixtures, describe, pull, skopeo reads",
  ignore: missing("docker-registry", "skopeo"),
  async fn() {
    const reg = await startRegistry({ mode: "open" });
    const tmp = await Deno.makeTempDir();
    const client = new Client({ plainHttp: true });
    try {
      const dir = `${FIXTURES}plugins/base`;
      const plugin = await readPluginFromDir(dir);
      const ref = reg.ref("plugins/base", "v0.1.0");
      const pushed = await client.pushPlugin(dir, ref, plugin);
      ok(pushed.digest.startsWith("sha256:"));
      const cfg = await inspectConfigRaw(ref, { registry: reg });
      strictEqual(new TextDecoder().decode(cfg), `{"commands":["hello"]}`);
      const d = await client.describePlugin(ref);
      strictEqual(d.digest, pushed.digest);
      strictEqual(d.plugin.name, "base");
      deepStrictEqual(d.plugin.commands, ["hello"]);
      const pulled = await client.pullPlugin(ref, `${tmp}/base`);
      strictEqual(pulled.cached, false);
      const hello = await Deno.readTextFile(`${tmp}/base/commands/hello.md`);
      strictEqual(hello, await Deno.readTextFile(`${dir}/commands/hello.md`));
      const again = await client.pullPlugin(ref, `${tmp}/base`);
      strictEqual(again.cached, true);

      const pdir = `${FIXTURES}personalities/sre`;
      const p = await readPersonalityFromDir(pdir);
      const pref = reg.ref("personalities/sre", "v1.0.0");
      await client.pushPersonality(pdir, pref, p);
      const pp = await client.pullPersonality(pref, `${tmp}/sre`);
      ok(pp.soul.includes("SRE"));
      strictEqual(pp.personality.toolchain?.tag, "0.1.14");
      const list = await client.listPlugins({
        registry: `${reg.host}/plugins`,
      });
      deepStrictEqual(list.map((e) => e.reference), [
        `${reg.host}/plugins/base:v0.1.0`,
      ]);
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
