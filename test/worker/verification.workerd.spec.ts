/**
 * Signature verification inside workerd: the Worker's own entry with
 * `VERIFY_PUBLIC_KEYS` against the real registry (key-based bundles as
 * referrers, distribution 2.8's tag schema) and the real KV namespace.
 * Results land in KV; a cached check sends nothing to the registry, in
 * this isolate's memo and from KV in an app built afresh (another
 * isolate).
 */
import {
  createExecutionContext,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker, { buildWorkerApp, type Env } from "../../worker/index.ts";
import { VERIFICATION_KV_PREFIX } from "../../worker/cache/verification_cache.ts";
import { outboundLog, resetOutboundLog, testEnv } from "./workerd_helpers.ts";

const t = testEnv(env);
const s = (key: string) => {
  const v = t.pushed[`signed/${key}`];
  if (!v) throw new Error(`the global setup seeded no signed/${key}`);
  return v;
};

const verifyingEnv = (): Env => ({
  ...(env as unknown as Env),
  PLUGIN_REGISTRY: s("base"),
  VERIFY_PUBLIC_KEYS: s("public-key"),
});

/** The part of the KV binding the test reads. */
interface KvWithList {
  list(options: { prefix: string }): Promise<{
    keys: { name: string; expiration?: number }[];
  }>;
  get(key: string): Promise<string | null>;
}

interface Described {
  digest: string;
  verification?: {
    state: string;
    reason?: string;
    signatures: Record<string, unknown>[];
  };
}

async function viaEntry(
  path: string,
): Promise<{ res: Response; body: Described }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://klaus.example${path}`),
    verifyingEnv(),
    ctx,
  );
  const body = await res.json() as Described;
  await waitOnExecutionContext(ctx);
  return { res, body };
}

describe("signature verification in workerd", () => {
  it("verifies a key-based signature and keeps the result in KV", async () => {
    await resetOutboundLog();
    const { res, body } = await viaEntry("/v1/plugins/signed");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-klaus-verification")).toBe("verified");
    expect(body.digest).toBe(s("signed"));
    expect(body.verification).toEqual({
      state: "verified",
      signatures: [{
        keyId: s("key-id"),
        verified: true,
        referrer: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      }],
    });
    const log = await outboundLog();
    expect(log.some((e) => e.url.includes("/referrers/"))).toBe(true);
    expect(log.every((e) => e.host === t.registryHost)).toBe(true);

    const kv = env.KLAUS_CACHE as unknown as KvWithList;
    const keys = (await kv.list({ prefix: VERIFICATION_KV_PREFIX })).keys;
    const mine = keys.filter((k) => k.name.endsWith(`/${s("signed")}`));
    expect(mine).toHaveLength(1);
    expect(mine[0].expiration).toBeGreaterThan(Date.now() / 1000 + 3600);
    const stored = JSON.parse((await kv.get(mine[0].name))!);
    expect(stored.value).toEqual(body.verification);
    expect(JSON.stringify(stored)).not.toContain("BEGIN");
  });

  it("a cached check costs no registry request, in this isolate and from KV in a new one", async () => {
    const path = `/v1/plugins/signed?version=${s("signed")}`;
    await viaEntry(path); // the describe by digest lands in the cache too
    await resetOutboundLog();
    const again = await viaEntry(path);
    expect(again.body.verification?.state).toBe("verified");
    expect(await outboundLog()).toEqual([]);

    // Another isolate: a new app (its own memo, its own client) on the
    // same KV namespace.
    const fresh = buildWorkerApp(verifyingEnv());
    const ctx = createExecutionContext();
    const res = await fresh.fetch(
      new Request(`https://klaus.example${path}`),
      env,
      ctx,
    );
    const body = await res.json() as Described;
    await waitOnExecutionContext(ctx);
    expect(res.headers.get("x-klaus-verification")).toBe("verified");
    expect(body.verification).toEqual(again.body.verification);
    expect(await outboundLog()).toEqual([]);
  });

  it("reports unsigned and wrongly signed artifacts", async () => {
    const unsigned = await viaEntry("/v1/plugins/unsigned");
    expect(unsigned.res.headers.get("x-klaus-verification")).toBe("unsigned");
    expect(unsigned.body.verification).toEqual({
      state: "unsigned",
      signatures: [],
    });
    const wrong = await viaEntry("/v1/plugins/wrong-key");
    expect(wrong.body.verification).toEqual({
      state: "failed",
      reason: "wrong-key",
      signatures: [{
        keyId: s("stranger-key-id"),
        verified: false,
        reason: "wrong-key",
        referrer: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      }],
    });
  });

  it("the catalog page says who signed", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://klaus.example/"),
      verifyingEnv(),
      ctx,
    );
    const page = await res.text();
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(page).toContain(`signed by key ${s("key-id").slice(0, 12)}`);
    expect(page).toContain("signature does not verify: wrong-key");
    expect(page).toContain('data-verification="unsigned"');
  });

  it("an invalid policy answers 500 invalid_config", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://klaus.example/healthz"),
      {
        ...verifyingEnv(),
        VERIFY_TRUSTED_ROOT: '{"certificateAuthorities":[]}',
      },
      ctx,
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_config",
        message: expect.stringMatching(
          /^VERIFY_TRUSTED_ROOT needs VERIFY_CERTIFICATE_IDENTITY/,
        ),
      },
    });
  });
});
