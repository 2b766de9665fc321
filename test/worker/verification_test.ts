/**
 * Signature verification in the edge API, against a real registry
 * (distribution 2.8, referrers through the tag schema) holding signed,
 * unsigned and wrongly signed plugins: describe carries the verification
 * state, it is cached by policy, repository and digest (a cached check
 * costs no registry request), a signature attached later shows once the
 * "unsigned" result expires, a registry that fails during the check
 * gives state "error" and still a 200, and without a policy nothing
 * changes. The Deno entry takes the policy from `VERIFY_*` and refuses to
 * start with an invalid one.
 */
import {
  deepStrictEqual,
  equal,
  match,
  notEqual,
  ok,
  rejects,
} from "node:assert/strict";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import { MemoryCacheBackend } from "../../src/cache/memory_backend.ts";
import { Client } from "../../src/client.ts";
import { createApp } from "../../worker/app.ts";
import { ConfigError } from "../../worker/config.ts";
import { startServer } from "../../worker/deno_main.ts";
import { edgeClient } from "../../worker/edge_client.ts";
import type { RegistryBases } from "../../worker/kinds.ts";
import { verificationFromEnv } from "../../worker/verify_config.ts";
import { DEFAULT_VERIFICATION_TTLS } from "../../worker/verification.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import { FIXTURES_DIR } from "./seed_registry.ts";
import { seedSigned } from "./seed_signed.ts";
import { fixture } from "../artifact/_fs_helpers.ts";

interface Described {
  digest: string;
  verification?: {
    state: string;
    signatures: Record<string, unknown>[];
    reason?: string;
    message?: string;
  };
}

const REFERRER = /^sha256:[a-f0-9]{64}$/;

Deno.test({
  name: "edge API: verification state per artifact against a real registry",
  ignore: missing("docker-registry"),
  async fn(t) {
    await using reg = await startRegistry({ mode: "open" });
    const f = await seedSigned(reg.host);
    const registries: RegistryBases = {
      plugin: f.base,
      personality: `${reg.host}/none-p`,
      toolchain: `${reg.host}/none-t`,
    };
    const config = verificationFromEnv((n) =>
      n === "VERIFY_PUBLIC_KEYS" ? f.publicKey : undefined
    )!;
    let clock = Date.now();
    const counter = countingFetch();
    const store = new MemoryCacheBackend();
    const clients: Client[] = [];
    const appWith = (verify: boolean) => {
      const client = edgeClient({
        registries,
        plainHttp: true,
        fetch: counter.fetch,
        cache: { store },
        requestBudgetMs: 1_000,
      });
      clients.push(client);
      return createApp({
        registries,
        client,
        verification: verify ? { config, now: () => clock } : undefined,
      });
    };
    const app = appWith(true);
    const describe = async (
      path: string,
      a = app,
    ): Promise<{ res: Response; body: Described; requests: number }> => {
      counter.reset();
      const res = await a.request(path);
      equal(res.status, 200, `${path}: ${res.status}`);
      const text = await res.text();
      ok(!text.includes("BEGIN"), "no key material in answers");
      return { res, body: JSON.parse(text), requests: counter.requests.length };
    };

    try {
      await t.step("signed: verified, naming the key", async () => {
        const { res, body, requests } = await describe("/v1/plugins/signed");
        equal(body.digest, f.digests.signed);
        equal(res.headers.get("x-klaus-verification"), "verified");
        deepStrictEqual(body.verification?.state, "verified");
        equal(body.verification?.signatures.length, 1);
        const [s] = body.verification!.signatures;
        match(String(s.referrer), REFERRER);
        deepStrictEqual(s, {
          keyId: f.keyId,
          verified: true,
          referrer: s.referrer,
        });
        match(
          res.headers.get("etag") ?? "",
          new RegExp(`^"${f.digests.signed}~[a-f0-9]{12}"$`),
        );
        // The describe: tags (latest), manifest, config. The check: the
        // referrers API (404 on distribution 2.8), the tag schema index, the
        // bundle's manifest and blob (a bundle verifies: cosign's legacy
        // `.sig` tag is not asked).
        const counts = counter.counts();
        equal(counts["GET tags"], 1);
        equal(counts["GET referrers"], 1);
        equal(counts["GET blob"], 2, "config and bundle");
        equal(counts["GET manifest"], 3, JSON.stringify(counts));
        deepStrictEqual(
          Object.keys(counts).sort(),
          ["GET blob", "GET manifest", "GET referrers", "GET tags"],
          `${requests} requests`,
        );
      });

      await t.step(
        "a cached verification costs no registry request",
        async () => {
          const again = await describe("/v1/plugins/signed");
          equal(again.requests, 0, JSON.stringify(counter.counts()));
          equal(again.body.verification?.state, "verified");
          // By digest: another answer, the same cached check.
          const byDigest = await describe(
            `/v1/plugins/signed?version=${f.digests.signed}`,
          );
          equal(byDigest.requests, 0, JSON.stringify(counter.counts()));
          deepStrictEqual(byDigest.body.verification, again.body.verification);
          // 304 keeps the header.
          const etag = again.res.headers.get("etag")!;
          const nm = await app.request("/v1/plugins/signed", {
            headers: { "If-None-Match": etag },
          });
          equal(nm.status, 304);
          equal(nm.headers.get("x-klaus-verification"), "verified");
        },
      );

      await t.step("unsigned: state unsigned, no signatures", async () => {
        const { res, body } = await describe("/v1/plugins/unsigned");
        equal(res.headers.get("x-klaus-verification"), "unsigned");
        deepStrictEqual(body.verification, {
          state: "unsigned",
          signatures: [],
        });
      });

      await t.step(
        "signed by another key: failed, reason wrong-key",
        async () => {
          const { res, body } = await describe("/v1/plugins/wrong-key");
          equal(res.headers.get("x-klaus-verification"), "failed");
          const s = body.verification!.signatures[0];
          deepStrictEqual(body.verification, {
            state: "failed",
            reason: "wrong-key",
            signatures: [{
              keyId: f.strangerKeyId,
              verified: false,
              reason: "wrong-key",
              referrer: s?.referrer,
            }],
          });
        },
      );

      await t.step(
        "a signature attached later shows once 'unsigned' expires",
        async () => {
          const first = await describe("/v1/plugins/late");
          equal(first.body.verification?.state, "unsigned");
          const signer = new Client({ plainHttp: true });
          try {
            const { digest } = await signer.pushPlugin(
              `${FIXTURES_DIR}/plugins/churn`,
              `${f.base}/late:v1.0.0`,
              {
                ...await readPluginFromDir(`${FIXTURES_DIR}/plugins/churn`),
                name: "late",
                description: "late (verification fixture)",
              },
              { signKey: f.privateKey },
            );
            equal(digest, f.digests.late, "same content, same digest");
          } finally {
            await signer.close();
          }
          clock += DEFAULT_VERIFICATION_TTLS.unverified - 1_000;
          const within = await describe("/v1/plugins/late");
          equal(within.body.verification?.state, "unsigned");
          equal(
            counter.count({ kind: "referrers" }),
            0,
            "still the cached result",
          );
          clock += 2_000;
          const after = await describe("/v1/plugins/late");
          equal(after.body.verification?.state, "verified");
          notEqual(
            after.res.headers.get("etag"),
            first.res.headers.get("etag"),
            "the ETag follows the verification",
          );
        },
      );

      await t.step(
        "the registry failing during the check: state error, still 200",
        async () => {
          // A second app (its own memo) sharing the registry cache: the
          // describe by digest comes from the cache, the check needs the
          // registry.
          const other = appWith(true);
          const third = appWith(true);
          const warm = await describe(
            `/v1/plugins/wrong-key?version=${f.digests["wrong-key"]}`,
            third,
          );
          // Only the check goes out: the referrers API and the two tags
          // named after the digest (the referrers tag schema index, and
          // cosign's legacy `.sig`, asked because no bundle verifies); the
          // bundle was cached by digest when first checked.
          const hex = f.digests["wrong-key"].slice("sha256:".length);
          const what = counter.requests.map((r) => `${r.url} ${r.status}`)
            .join("\n");
          equal(warm.requests, 3, what);
          ok(
            counter.requests.every((r) =>
              r.method === "GET" &&
              (r.kind === "referrers" ||
                r.kind === "manifest" && r.url.includes(`/sha256-${hex}`))
            ),
            what,
          );
          equal(warm.body.verification?.state, "failed");
          await reg.down();
          try {
            const { res, body } = await describe(
              `/v1/plugins/signed?version=${f.digests.signed}`,
              other,
            );
            equal(res.headers.get("x-klaus-verification"), "error");
            equal(body.digest, f.digests.signed);
            equal(body.verification?.state, "error");
            deepStrictEqual(body.verification?.signatures, []);
            match(
              body.verification?.message ?? "",
              /^verifying signature of .*klaus-signed\/signed@sha256:[a-f0-9]{64}: /,
              "a message says why",
            );
          } finally {
            await reg.up();
          }
          // Remembered for 30 s in the isolate, then checked again.
          const soon = await describe(
            `/v1/plugins/signed?version=${f.digests.signed}`,
            other,
          );
          equal(soon.body.verification?.state, "error");
          equal(soon.requests, 0);
          clock += DEFAULT_VERIFICATION_TTLS.error + 1_000;
          const later = await describe(
            `/v1/plugins/signed?version=${f.digests.signed}`,
            other,
          );
          equal(later.body.verification?.state, "verified");
        },
      );

      await t.step(
        "without a policy: no verification member, header off, digest ETag",
        async () => {
          const plain = appWith(false);
          const { res, body } = await describe("/v1/plugins/signed", plain);
          equal(body.verification, undefined);
          equal(res.headers.get("x-klaus-verification"), "off");
          equal(res.headers.get("etag"), `"${f.digests.signed}"`);
        },
      );

      await t.step(
        "the answers match the OpenAPI schemas",
        async () => {
          const doc = await (await app.request("/openapi.json")).json() as {
            components: {
              schemas: Record<
                string,
                {
                  required?: string[];
                  properties: Record<string, { enum?: string[] }>;
                }
              >;
            };
          };
          const { Verification, Signature, SignatureFailure } =
            doc.components.schemas;
          const reasons =
            (SignatureFailure as unknown as { enum: string[] }).enum;
          for (const name of ["signed", "unsigned", "wrong-key", "late"]) {
            const { body } = await describe(`/v1/plugins/${name}`);
            const v = body.verification as Record<string, unknown>;
            for (const k of Object.keys(v)) {
              ok(k in Verification.properties, `${name}: ${k} documented`);
            }
            for (const k of Verification.required ?? []) ok(k in v, k);
            ok(
              Verification.properties.state.enum?.includes(String(v.state)),
            );
            if (v.reason) ok(reasons.includes(String(v.reason)));
            for (const sig of body.verification!.signatures) {
              for (const k of Object.keys(sig)) {
                ok(k in Signature.properties, `${name}: signature ${k}`);
              }
              if (sig.reason) ok(reasons.includes(String(sig.reason)));
            }
          }
        },
      );

      await t.step("list entries carry no verification", async () => {
        const res = await app.request("/v1/plugins");
        const body = await res.json() as { items: Record<string, unknown>[] };
        deepStrictEqual(
          body.items.map((i) => i.name).sort(),
          ["late", "signed", "unsigned", "wrong-key"],
        );
        ok(body.items.every((i) => !("verification" in i)));
      });

      await t.step(
        "the Deno entry takes VERIFY_PUBLIC_KEYS from its environment",
        async () => {
          const env: Record<string, string> = {
            PLUGIN_REGISTRY: f.base,
            PERSONALITY_REGISTRY: `${reg.host}/none-p`,
            TOOLCHAIN_REGISTRY: `${reg.host}/none-t`,
            PLAIN_HTTP: "true",
            KLAUS_OCI_NO_CACHE: "1",
            // As some secret stores keep it: one line with literal \n.
            VERIFY_PUBLIC_KEYS: f.publicKey.replaceAll("\n", "\\n"),
          };
          await using server = await startServer({
            port: 0,
            log: false,
            env: (n) => env[n],
          });
          const res = await fetch(`${server.url}/v1/plugins/wrong-key`);
          equal(res.headers.get("x-klaus-verification"), "failed");
          const body = await res.json() as Described;
          equal(body.verification?.reason, "wrong-key");
          const signed = await fetch(`${server.url}/v1/plugins/signed`);
          equal(signed.headers.get("x-klaus-verification"), "verified");
          await signed.body?.cancel();
        },
      );

      await t.step(
        "deps: each dependency carries its verification",
        async () => {
          const personalities = `${reg.host}/klaus-personalities`;
          const publisher = new Client({ plainHttp: true, env: {} });
          clients.push(publisher);
          const plugin = (name: string) => ({
            repository: `${f.base}/${name}`,
            tag: "v1.0.0",
          });
          await publisher.pushPersonality(
            fixture("personalities/sre"),
            `${personalities}/sre:v1.0.0`,
            {
              name: "sre",
              plugins: [
                plugin("signed"),
                plugin("unsigned"),
                plugin("wrong-key"),
              ],
            },
          );
          const client = edgeClient({
            registries: { ...registries, personality: personalities },
            plainHttp: true,
            fetch: counter.fetch,
            cache: { store },
            requestBudgetMs: 1_000,
          });
          clients.push(client);
          const depsApp = createApp({
            registries: { ...registries, personality: personalities },
            client,
            verification: { config, now: () => clock },
          });
          const res = await depsApp.request("/v1/personalities/sre/deps");
          equal(res.status, 200);
          const body = await res.json() as {
            plugins: (Described & { ref: string })[];
            warnings: string[];
          };
          deepStrictEqual(body.warnings, []);
          deepStrictEqual(
            body.plugins.map((p) => [
              p.ref.split("/").pop(),
              p.verification?.state,
            ]),
            [
              ["signed:v1.0.0", "verified"],
              ["unsigned:v1.0.0", "unsigned"],
              ["wrong-key:v1.0.0", "failed"],
            ],
          );
        },
      );

      await t.step(
        "the Deno entry refuses to start with an invalid policy",
        async () => {
          const env: Record<string, string> = {
            PLUGIN_REGISTRY: f.base,
            PLAIN_HTTP: "true",
            VERIFY_PUBLIC_KEYS: f.privateKey,
          };
          await rejects(
            () => startServer({ port: 0, log: false, env: (n) => env[n] }),
            (e: unknown) => {
              ok(e instanceof ConfigError, String(e));
              match(e.message, /VERIFY_PUBLIC_KEYS: PEM block 1 is a/);
              ok(!e.message.includes(f.privateKey.slice(30, 60)));
              return true;
            },
          );
        },
      );
    } finally {
      for (const c of clients) await c.close();
    }
  },
});
