/**
 * Keyless signature verification inside workerd: the Worker's own entry
 * with `VERIFY_CERTIFICATE_IDENTITY`, `VERIFY_CERTIFICATE_OIDC_ISSUER` and
 * the trusted root through TUF (`VERIFY_TUF_MIRROR_URL`,
 * `VERIFY_TUF_ROOT`) from the local sigstore services (mock Fulcio and
 * Rekor, a TUF repository; never the public-good instances), against a
 * plugin the global setup signed through them (`seed_keyless.ts`). The
 * X.509 chain, SCT, Rekor SET and inclusion proof and the TUF client run
 * on the Workers runtime's Web Crypto; the outbound log shows the TUF
 * workflow's requests once, and nothing at all for a cached describe.
 */
import {
  createExecutionContext,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker, { type Env } from "../../worker/index.ts";
import { clearTrustedRootMemo } from "../../src/sign/tuf/mod.ts";
import {
  keylessEnv,
  type OutboundEntry,
  outboundLog,
  resetOutboundLog,
  testEnv,
} from "./workerd_helpers.ts";

const t = testEnv(env);
const k = keylessEnv(env);

/** The trusted root through TUF from the local mirror. */
const viaTuf = (identity = k.subject): Record<string, string> => ({
  VERIFY_CERTIFICATE_IDENTITY: identity,
  VERIFY_CERTIFICATE_OIDC_ISSUER: k.issuer,
  VERIFY_TUF_MIRROR_URL: k.sigstoreUrl,
  VERIFY_TUF_ROOT: k.tufRoot,
});

/** A fixed trusted root (the text TUF would give). */
const fixedRoot = (): Record<string, string> => ({
  VERIFY_CERTIFICATE_IDENTITY: k.subject,
  VERIFY_CERTIFICATE_OIDC_ISSUER: k.issuer,
  VERIFY_TRUSTED_ROOT: k.trustedRoot,
});

// Registry answers stay fresh for the whole file, so a second describe of
// the same path is answered from the cache, not revalidated.
const keylessWorkerEnv = (policy: Record<string, string>): Env =>
  ({
    ...(env as unknown as Record<string, string>),
    PLUGIN_REGISTRY: k.base,
    CACHE_FRESH_TTL_SECONDS: "600",
    CACHE_STALE_TTL_SECONDS: "600",
    ...policy,
  }) as Env;

interface Signature {
  keyId?: string;
  identity?: string;
  issuer?: string;
  verified: boolean;
  reason?: string;
  tlogIndex?: number;
  referrer?: string;
}

interface Described {
  digest: string;
  verification?: {
    state: string;
    reason?: string;
    signatures: Signature[];
  };
}

async function viaEntry(
  path: string,
  policy: Record<string, string>,
): Promise<{ res: Response; body: Described }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://klaus.example${path}`),
    keylessWorkerEnv(policy),
    ctx,
  );
  const body = await res.json() as Described;
  await waitOnExecutionContext(ctx);
  return { res, body };
}

const toSigstore = (log: OutboundEntry[]) =>
  log.filter((e) => e.host === k.sigstoreHost);
const toRegistry = (log: OutboundEntry[]) =>
  log.filter((e) => e.host === t.registryHost);
const paths = (log: OutboundEntry[]) =>
  log.map((e) => `${e.method} ${new URL(e.url).pathname}`);

const REFERRER = /^sha256:[a-f0-9]{64}$/;

describe("keyless verification in workerd", () => {
  beforeAll(() => {
    // The trusted root fetched through TUF is kept per isolate: start
    // without one, so the first describe shows the TUF workflow.
    clearTrustedRootMemo();
  });

  it("verifies through TUF: identity, issuer, log index; the TUF workflow goes to the mirror", async () => {
    await resetOutboundLog();
    const { res, body } = await viaEntry("/v1/plugins/keyless", viaTuf());
    expect(res.status).toBe(200);
    expect(res.headers.get("x-klaus-verification")).toBe("verified");
    expect(body.digest).toBe(k.digests.keyless);
    const [sig] = body.verification?.signatures ?? [];
    expect(body.verification).toEqual({
      state: "verified",
      signatures: [{
        ...(sig?.keyId ? { keyId: sig.keyId } : {}),
        identity: k.subject,
        issuer: k.issuer,
        verified: true,
        tlogIndex: expect.any(Number),
        referrer: expect.stringMatching(REFERRER),
      }],
    });

    const log = await outboundLog();
    console.log(
      `keyless describe through TUF, first: ${log.length} requests ` +
        `(${toSigstore(log).length} TUF, ${
          toRegistry(log).length
        } registry)\n  ` +
        paths(log).join("\n  "),
    );
    expect(log.every((e) => e.allowed)).toBe(true);
    expect(
      log.every((e) => e.host === k.sigstoreHost || e.host === t.registryHost),
    ).toBe(true);
    const tuf = paths(toSigstore(log));
    // The TUF client workflow, in order: the next root (none: 404), the
    // timestamp, the snapshot, the targets, the trusted_root.json target.
    const steps = [
      /^GET \/\d+\.root\.json$/,
      /^GET \/timestamp\.json$/,
      /^GET \/(\d+\.)?snapshot\.json$/,
      /^GET \/(\d+\.)?targets\.json$/,
      /^GET \/targets\/([a-f0-9]{64}\.)?trusted_root\.json$/,
    ];
    let at = 0;
    for (const step of steps) {
      const found = tuf.findIndex((p, i) => i >= at && step.test(p));
      expect(found, `${step} in ${JSON.stringify(tuf)}`).toBeGreaterThanOrEqual(
        at,
      );
      at = found + 1;
    }
    // Only TUF metadata and targets: verifying never calls Fulcio or Rekor.
    expect(tuf.filter((p) => p.includes("/api/"))).toEqual([]);
    expect(toRegistry(log).some((e) => e.url.includes("/referrers/"))).toBe(
      true,
    );

    // The same describe again in this isolate: the registry answers and
    // the verification result are cached, the trusted root is kept.
    await resetOutboundLog();
    const again = await viaEntry("/v1/plugins/keyless", viaTuf());
    expect(again.res.headers.get("x-klaus-verification")).toBe("verified");
    expect(again.body).toEqual(body);
    const cached = await outboundLog();
    console.log(
      `keyless describe through TUF, again: ${cached.length} requests`,
    );
    expect(cached).toEqual([]);
  });

  it("reports the unsigned plugin unsigned", async () => {
    await resetOutboundLog();
    const { res, body } = await viaEntry("/v1/plugins/unsigned", viaTuf());
    expect(res.headers.get("x-klaus-verification")).toBe("unsigned");
    expect(body.digest).toBe(k.digests.unsigned);
    expect(body.verification).toEqual({ state: "unsigned", signatures: [] });
    // Checked now (its referrers listed), with the trusted root fetched
    // once for the isolate: no TUF request.
    const log = await outboundLog();
    expect(toRegistry(log).some((e) => e.url.includes("/referrers/"))).toBe(
      true,
    );
    expect(toSigstore(log)).toEqual([]);
  });

  it("another identity: failed, wrong-identity", async () => {
    await resetOutboundLog();
    const { res, body } = await viaEntry(
      "/v1/plugins/keyless",
      viaTuf("someone@else.example"),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-klaus-verification")).toBe("failed");
    expect(body.verification).toEqual({
      state: "failed",
      reason: "wrong-identity",
      signatures: [expect.objectContaining({
        verified: false,
        reason: "wrong-identity",
        referrer: expect.stringMatching(REFERRER),
      })],
    });
    // Same mirror and initial root: the kept trusted root, no TUF request.
    expect(toSigstore(await outboundLog())).toEqual([]);
  });

  it("a fixed trusted root (VERIFY_TRUSTED_ROOT) verifies with no TUF request", async () => {
    clearTrustedRootMemo();
    await resetOutboundLog();
    const { res, body } = await viaEntry("/v1/plugins/keyless", fixedRoot());
    expect(res.headers.get("x-klaus-verification")).toBe("verified");
    expect(body.verification).toEqual({
      state: "verified",
      signatures: [expect.objectContaining({
        identity: k.subject,
        issuer: k.issuer,
        verified: true,
        tlogIndex: expect.any(Number),
        referrer: expect.stringMatching(REFERRER),
      })],
    });
    const log = await outboundLog();
    expect(toSigstore(log)).toEqual([]);
    expect(log.every((e) => e.allowed)).toBe(true);
  });

  it("the catalog page names the signer (through TUF)", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://klaus.example/"),
      keylessWorkerEnv(viaTuf()),
      ctx,
    );
    const page = await res.text();
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(page).toContain(`signed by ${k.subject} (${k.issuer})`);
    expect(page).toContain('data-verification="unsigned"');
  });
});
