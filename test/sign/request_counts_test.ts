/**
 * What signing and verifying cost in registry round trips, counted with a
 * counting `fetch` against distribution 2.8 (no referrers API: the
 * referrers tag schema) and the peer registry (the referrers API), no
 * cache. The numbers are printed and bounded: a signed push adds the
 * referrer's blobs, manifest and (tag schema only) index; a verified pull
 * adds the referrers listing, the referrer manifest and the bundle — and
 * nothing else (the manifest fetched for the check is the one pulled).
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
} from "../../src/sign/mod.ts";
import { fixture, withTempDir } from "../artifact/_fs_helpers.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { interopRegistries } from "../interop/registries.ts";

// A signed push adds at most: the empty config and the bundle (HEAD, POST,
// PUT each), the referrer manifest, and (tag schema) the index GET + PUT.
const SIGNED_PUSH_EXTRA = 10;
// A verified pull adds exactly: the referrers listing (API or tag-schema
// index), the referrer manifest, the bundle.
const VERIFIED_PULL_EXTRA = 3;

for (const target of interopRegistries()) {
  Deno.test({
    name: `round trips of signing and verifying on ${target.label}`,
    ignore: target.ignore,
    fn: () =>
      withTempDir(async (tmp) => {
        await using reg = await target.start();
        await Deno.mkdir(join(tmp, "docker"));
        await reg.writeDockerConfig(join(tmp, "docker"));
        const counter = countingFetch();
        const key = await generateSigningKey();
        const base = `${reg.host}/klaus-plugins`;
        const t = { name: target.label.split(" ")[0] };
        const options = {
          plainHttp: true,
          env: { DOCKER_CONFIG: join(tmp, "docker") },
          registries: { plugin: base },
          fetch: counter.fetch,
        };
        const client = new Client(options);
        const policy = {
          publicKeys: [await exportPublicKeyPem(key.publicKey)],
        };
        // Fresh clients for the pulls: each pays its auth challenge once.
        const reader = new Client(options);
        const verifying = new Client({ ...options, verification: policy });
        const measured: Record<string, number> = {};
        const measure = async (what: string, op: () => Promise<unknown>) => {
          counter.reset();
          await op();
          measured[what] = counter.count();
          console.log(
            `requests (${t.name}): ${what} = ${measured[what]} ${
              JSON.stringify(counter.counts())
            }`,
          );
        };
        const pull = (c: Client, dir: string) => () =>
          c.pullPlugin(`${base}/b:v1`, join(tmp, dir));
        try {
          const signKey = await exportPrivateKeyPem(key.privateKey);
          await measure("push", () =>
            client.pushPlugin(fixture("plugins/base"), `${base}/a:v1`, {
              name: "a",
            }));
          await measure("signed push", () =>
            client.pushPlugin(fixture("plugins/base"), `${base}/b:v1`, {
              name: "b",
            }, { signKey }));
          await measure("pull", pull(reader, "plain"));
          await measure("verified pull", pull(verifying, "verified"));
          await measure("pull again", pull(reader, "plain2"));
          await measure("verified pull again", pull(verifying, "verified2"));
          await measure(
            "verified up-to-date pull",
            pull(verifying, "verified"),
          );
          const extra = (a: string, b: string) =>
            measured[a] - measured[b];
          const signedExtra = extra("signed push", "push");
          const firstExtra = extra("verified pull", "pull");
          const againExtra = extra("verified pull again", "pull again");
          console.log(
            `requests (${t.name}): signing adds ${signedExtra}; verifying adds ${firstExtra} the first time, ${againExtra} after`,
          );
          ok(
            signedExtra > 0 && signedExtra <= SIGNED_PUSH_EXTRA,
            `${signedExtra}`,
          );
          // The first check on a registry without the referrers API also
          // pays the 404 that tells so.
          ok(
            firstExtra === VERIFIED_PULL_EXTRA ||
              firstExtra === VERIFIED_PULL_EXTRA + 1,
            `${firstExtra}`,
          );
          strictEqual(againExtra, VERIFIED_PULL_EXTRA);
          // Up to date: the tag, the manifest checked, the three of the check.
          ok(measured["verified up-to-date pull"] <= 5);
        } finally {
          await Promise.all([
            client.close(),
            reader.close(),
            verifying.close(),
          ]);
        }
      }),
  });
}
