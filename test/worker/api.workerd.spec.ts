/**
 * The HTTP contract (README, "Edge API"; `contract.ts`) inside workerd:
 * the Worker of `worker/index.ts` with a real KV namespace, against a real
 * registry.
 */
import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractCases } from "./contract.ts";
import { outboundLog, resetOutboundLog, testEnv } from "./workerd_helpers.ts";

const t = testEnv(env);

describe("HTTP contract in workerd", () => {
  beforeAll(async () => {
    await resetOutboundLog();
  });

  for (
    const c of contractCases({
      request: (path, init) => SELF.fetch(`https://klaus.example${path}`, init),
      bases: t.bases,
      pushed: t.pushed,
      secrets: t.secrets,
    })
  ) {
    it(c.name, c.fn);
  }

  afterAll(async () => {
    // Checked after every route, hostile inputs included, has run.
    const log = await outboundLog();
    expect(log.length).toBeGreaterThan(0);
    expect(log.filter((e) => e.host !== t.registryHost)).toEqual([]);
  });
});

describe("outbound guard", () => {
  it("no request leaves for a host other than the configured registry", async () => {
    await resetOutboundLog();
    const paths = [
      "/v1/personalities/outsider/deps",
      "/v1/plugins/example-git?registry=evil.example",
      "/v1/plugins/evil.example%2Fx",
      "/v1/plugins/x?version=http%3A%2F%2Fevil.example%2F",
      "/personalities/outsider",
      "/",
      // Never cached, so the registry is asked whatever ran before.
      `/v1/plugins/never-pushed-${crypto.randomUUID()}?registry=evil.example`,
    ];
    for (const p of paths) {
      const res = await SELF.fetch(`https://klaus.example${p}`, {
        headers: {
          Host: "evil.example",
          "X-Forwarded-Host": "evil.example",
          Forwarded: "host=evil.example",
        },
      });
      await res.body?.cancel();
    }
    const log = await outboundLog();
    expect(log.length).toBeGreaterThan(0);
    for (const e of log) expect(e.host).toBe(t.registryHost);
  });

  it("the app's own guard refuses an unconfigured host before fetching", async () => {
    const { trustedFetch } = await import("../../worker/trusted_fetch.ts");
    await resetOutboundLog();
    const refused: string[] = [];
    const f = trustedFetch(fetch, {
      hosts: [t.registryHost],
      onRefused: (u) => refused.push(u),
    });
    await expect(f("http://evil.example/v2/")).rejects.toThrow(
      /refusing to contact evil\.example/,
    );
    const ok = await f(`http://${t.registryHost}/v2/`);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    expect(refused).toEqual(["http://evil.example/v2/"]);
    expect((await outboundLog()).map((e) => e.host)).toEqual([t.registryHost]);
  });
});
