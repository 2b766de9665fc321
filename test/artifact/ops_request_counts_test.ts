/**
 * Round trips per operation (README, "Benchmarks"), counted with a
 * counting `fetch` against a real open registry without cache: describe by
 * an explicit tag ≤ 2, by short name = 3, cold push ≤ 7, re-push of the same
 * content under a new tag ≤ 3, up-to-date pull ≤ 1, cold pull = 4, pull by
 * digest when up to date = 0. With the response cache, warm describes and
 * up-to-date pulls cost nothing. The measured numbers are printed.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { readPersonalityFromDir, readPluginFromDir } from "../../src/mod.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { seedIndex } from "../harness/seed.ts";
import { ANN, clientFor, fixture } from "./fixtures_ops.ts";

const BASE = fixture("plugins/base");
const SRE = fixture("personalities/sre");

Deno.test({
  name: "request counts per operation (open registry, counting fetch)",
  ignore: missing("docker-registry", "skopeo"),
  async fn(t) {
    const reg = await startRegistry({ mode: "open" });
    const counter = countingFetch();
    const client = clientFor(reg, { fetch: counter.fetch });
    const tmp = await Deno.makeTempDir({ prefix: "klaus-counts-" });
    const measured: Record<string, number> = {};
    const measure = async <T>(
      what: string,
      op: () => Promise<T>,
    ): Promise<T> => {
      counter.reset();
      const result = await op();
      measured[what] = counter.count();
      console.log(
        `requests: ${what} = ${measured[what]} ${
          JSON.stringify(counter.counts())
        }`,
      );
      return result;
    };
    const plugins = `${reg.host}/giantswarm/klaus-plugins`;
    try {
      const plugin = await readPluginFromDir(BASE);
      const ref1 = `${plugins}/base:v0.1.0`;
      const ref2 = `${plugins}/base:v0.2.0`;

      await t.step("push", async () => {
        const a = await measure(
          "cold push",
          () => client.pushPlugin(BASE, ref1, plugin),
        );
        ok(measured["cold push"] <= 7);
        const b = await measure(
          "re-push of unchanged content under a new tag",
          () => client.pushPlugin(BASE, ref2, plugin),
        );
        ok(measured["re-push of unchanged content under a new tag"] <= 3);
        strictEqual(a.digest, b.digest);
        // Nothing was uploaded the second time: only HEADs and the PUT.
        deepStrictEqual(counter.counts(), {
          "HEAD blob": 2,
          "PUT manifest": 1,
        });
        const sre = await readPersonalityFromDir(SRE);
        await measure(
          "cold push (personality)",
          () =>
            client.pushPersonality(
              SRE,
              `${reg.host}/giantswarm/klaus-personalities/sre:v1.0.0`,
              sre,
            ),
        );
        ok(measured["cold push (personality)"] <= 7);
      });

      await t.step("describe", async () => {
        await measure(
          "describe by explicit tag",
          () => client.describePlugin(ref1),
        );
        ok(measured["describe by explicit tag"] <= 2);
        const d = await measure(
          "describe by short name",
          () => client.describePlugin("base"),
        );
        strictEqual(measured["describe by short name"], 3);
        strictEqual(d.ref, ref2);
        await measure(
          "describe by digest",
          () => client.describePlugin(`${plugins}/base@${d.digest}`),
        );
        ok(measured["describe by digest"] <= 2);
        await seedIndex(reg, "giantswarm/klaus-toolchains/go", ["0.1.14"], {
          [ANN.name]: "go",
        });
        await measure(
          "describe toolchain (index) by explicit tag",
          () =>
            client.describeToolchain(
              `${reg.host}/giantswarm/klaus-toolchains/go:0.1.14`,
            ),
        );
        strictEqual(measured["describe toolchain (index) by explicit tag"], 1);
      });

      await t.step("pull", async () => {
        const dest = `${tmp}/base`;
        const cold = await measure(
          "cold pull",
          () => client.pullPlugin(ref1, dest),
        );
        strictEqual(measured["cold pull"], 4);
        strictEqual(cold.cached, false);
        const warm = await measure(
          "up-to-date pull",
          () => client.pullPlugin(ref1, dest),
        );
        ok(measured["up-to-date pull"] <= 1);
        strictEqual(warm.cached, true);
        const byDigest = await measure(
          "pull by digest when up to date",
          () => client.pullPlugin(`${plugins}/base@${cold.digest}`, dest),
        );
        strictEqual(measured["pull by digest when up to date"], 0);
        strictEqual(byDigest.cached, true);
      });

      await t.step("with the response cache", async () => {
        const cached = clientFor(reg, {
          fetch: counter.fetch,
          cache: { dir: `${tmp}/cache`, backgroundRefresh: false },
        });
        try {
          await cached.describePlugin("base");
          await measure(
            "warm describe by short name (cache)",
            () => cached.describePlugin("base"),
          );
          strictEqual(measured["warm describe by short name (cache)"], 0);
          await cached.pullPlugin(ref1, `${tmp}/base2`);
          await measure(
            "up-to-date pull (cache)",
            () => cached.pullPlugin(ref1, `${tmp}/base2`),
          );
          strictEqual(measured["up-to-date pull (cache)"], 0);
        } finally {
          await cached.close();
        }
      });
      console.log(`request counts: ${JSON.stringify(measured)}`);
    } finally {
      await client.close();
      await reg.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
