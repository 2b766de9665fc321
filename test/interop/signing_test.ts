/**
 * Key-based signing end to end, on both registry implementations and on an
 * OCI image layout: a plugin pushed with `signKey` pulls under a policy
 * with its public key; unsigned, wrongly signed, tampered and other-digest
 * artifacts are refused with a `SignatureError` naming the reason before
 * the content layer is requested — the destination keeps what it had.
 */
import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client, type ClientOptions } from "../../src/client.ts";
import { SignatureError } from "../../src/errors.ts";
import { LayoutStore } from "../../src/layout/layout_store.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  MEDIA_TYPE_SIGSTORE_BUNDLE,
} from "../../src/sign/mod.ts";
import {
  type CountingFetch,
  countingFetch,
} from "../harness/counting_fetch.ts";
import { fixture } from "../artifact/_fs_helpers.ts";
import {
  attachBundle,
  manifestOf,
  otherDigestBundle,
  tamperedBundle,
} from "../sign/_signing_helpers.ts";
import { interopRegistries } from "./registries.ts";

interface Target {
  client: Client;
  /** Another client of the same target with `extra` options. */
  newClient(extra: ClientOptions): Client;
  store: OciStore;
  counter?: CountingFetch;
  /** `host/` or `ocidir://<tmp>/` */
  base: string;
  repoOf(name: string): RepositoryRef;
}

async function scenarios(t: Target, tmp: string): Promise<void> {
  const signer = await generateSigningKey();
  const stranger = await generateSigningKey();
  const signKey = await exportPrivateKeyPem(signer.privateKey);
  const policy = {
    publicKeys: [await exportPublicKeyPem(signer.publicKey)],
  };
  const dest = join(tmp, "plugins", "p");
  const push = async (name: string, key?: string | CryptoKey) => {
    const ref = `${t.base}klaus-plugins/${name}:v1.0.0`;
    await t.client.pushPlugin(fixture("plugins/base"), ref, { name }, {
      signKey: key,
    });
    const repo = t.repoOf(`klaus-plugins/${name}`);
    const m = await manifestOf(t.store, repo, { tag: "v1.0.0" });
    return { ref, repo, ...m };
  };

  // Signed: verified, then pulled.
  const signed = await push("signed", signKey);
  const referrers = await t.store.listReferrers(
    signed.repo,
    signed.descriptor.digest,
    { artifactType: MEDIA_TYPE_SIGSTORE_BUNDLE },
  );
  strictEqual(referrers.length, 1);
  const pulled = await t.client.pullPlugin(signed.ref, dest, {
    verification: policy,
  });
  strictEqual(pulled.digest, signed.descriptor.digest);
  const before = await Deno.readTextFile(join(dest, ".oci-cache.json"));
  // Up to date and still verified: no transfer, same answer.
  strictEqual(
    (await t.client.pullPlugin(signed.ref, dest, { verification: policy }))
      .cached,
    true,
  );

  const refused = async (
    ref: string,
    bytes: Uint8Array,
    reason: string,
    keys = policy,
  ) => {
    const layer = JSON.parse(new TextDecoder().decode(bytes)).layers[0].digest;
    t.counter?.reset();
    await rejects(
      () => t.client.pullPlugin(ref, dest, { verification: keys }),
      (e: unknown) => {
        ok(e instanceof SignatureError, String(e));
        strictEqual(e.reason, reason);
        ok(e.message.includes(`: ${reason} (`), e.message);
        ok(e.message.includes(ref), e.message);
        return true;
      },
    );
    if (t.counter) {
      const layerGets = t.counter.requests.filter((r) =>
        r.kind === "blob" && r.method === "GET" && r.url.includes(layer)
      );
      strictEqual(layerGets.length, 0, `${reason}: layer was requested`);
    }
    // The destination keeps the verified copy.
    strictEqual(
      await Deno.readTextFile(join(dest, ".oci-cache.json")),
      before,
    );
  };

  // Wrong key.
  await refused(signed.ref, signed.bytes, "wrong-key", {
    publicKeys: [await exportPublicKeyPem(stranger.publicKey)],
  });
  // Unsigned.
  const unsigned = await push("unsigned");
  await refused(unsigned.ref, unsigned.bytes, "unsigned");
  t.counter?.reset();
  // Without a policy it pulls as before.
  await t.client.pullPlugin(unsigned.ref, join(tmp, "plugins", "u"));
  // Tampered signature.
  const tampered = await push("tampered");
  await attachBundle(
    t.store,
    tampered.repo,
    tampered.descriptor,
    await tamperedBundle(signer.privateKey, tampered.bytes),
  );
  await refused(tampered.ref, tampered.bytes, "tampered");
  // A valid signature of another digest.
  const other = await push("other");
  await attachBundle(
    t.store,
    other.repo,
    other.descriptor,
    await otherDigestBundle(signer.privateKey),
  );
  await refused(other.ref, other.bytes, "other-digest");

  // Checked without a pull.
  const found = await t.client.verifySignatures(signed.ref, { policy });
  strictEqual(found.signatures.length, 1);
  strictEqual(found.signatures[0].verified, true);
  strictEqual(found.signatures[0].tlogIndex, undefined);
  await rejects(
    () => t.client.verifySignatures(tampered.ref, { policy }),
    (e: unknown) => e instanceof SignatureError && e.reason === "tampered",
  );
  const reported = await t.client.verifySignatures(other.ref, {
    policy: { ...policy, require: false },
  });
  strictEqual(reported.signatures[0].reason, "other-digest");

  // The client-wide policy applies to pulls; a pull's own wins.
  const strict = t.newClient({
    verification: { publicKeys: policy.publicKeys },
  });
  try {
    await rejects(
      () => strict.pullPlugin(unsigned.ref, join(tmp, "plugins", "s")),
      (e: unknown) => e instanceof SignatureError && e.reason === "unsigned",
    );
    await strict.pullPlugin(signed.ref, join(tmp, "plugins", "s"));
    await strict.pullPlugin(unsigned.ref, join(tmp, "plugins", "s"), {
      verification: { ...policy, require: false },
    });
  } finally {
    await strict.close();
  }
}

for (const target of interopRegistries()) {
  Deno.test({
    name: `signing on ${target.label}`,
    ignore: target.ignore,
    async fn() {
      await using reg = await target.start();
      const tmp = await Deno.makeTempDir({ prefix: "klaus-signing-" });
      try {
        const configDir = join(tmp, "docker");
        await Deno.mkdir(configDir);
        await reg.writeDockerConfig(configDir);
        const counter = countingFetch();
        const env = { DOCKER_CONFIG: configDir };
        const newClient = (extra: ClientOptions) =>
          new Client({ plainHttp: true, env, fetch: counter.fetch, ...extra });
        const client = newClient({});
        const store = new RegistryStore({
          plainHttp: true,
          env,
          fetch: counter.fetch,
        });
        await scenarios({
          client,
          newClient,
          store,
          counter,
          base: `${reg.host}/giantswarm/`,
          repoOf: (name) => ({
            registry: reg.host,
            repository: `giantswarm/${name}`,
          }),
        }, tmp);
        // Through the response cache: a second signature (another key)
        // joins the first, both listed and both verifying.
        const cached = newClient({ cache: { dir: join(tmp, "cache") } });
        try {
          const a = await generateSigningKey();
          const b = await generateSigningKey();
          const ref = `${reg.host}/giantswarm/klaus-plugins/twice:v1.0.0`;
          for (const key of [a, b]) {
            await cached.pushPlugin(fixture("plugins/base"), ref, {
              name: "twice",
            }, { signKey: key.privateKey });
          }
          const found = await cached.verifySignatures(ref, {
            policy: { publicKeys: [a.publicKey, b.publicKey] },
          });
          strictEqual(found.signatures.length, 2);
          ok(found.signatures.every((s) => s.verified));
        } finally {
          await cached.close();
        }
        await client.close();
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    },
  });
}

Deno.test("signing in an OCI image layout", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-signing-layout-" });
  try {
    const client = new Client({ env: {} });
    await scenarios({
      client,
      newClient: (extra) => new Client({ env: {}, ...extra }),
      store: new LayoutStore(),
      base: `ocidir://${tmp}/store/`,
      repoOf: (name) => ({
        registry: "ocidir://",
        repository: join(tmp, "store", name),
      }),
    }, tmp);
    await client.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
