/**
 * Signatures of cosign before v3 (`sha256-<hex>.sig` tags holding simple
 * signing payloads), written here in cosign's layout, read back from a
 * real registry and from an OCI image layout: the right key verifies;
 * another key, a payload naming another digest, a broken signature, a
 * layer without signature and a keyless one are each refused with their
 * reason; no `.sig` tag means no legacy signature.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { LayoutStore } from "../../src/layout/layout_store.ts";
import { digestOf } from "../../src/oci/digest.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import {
  ANNOTATION_COSIGN_CERTIFICATE,
  ANNOTATION_COSIGN_SIGNATURE,
  checkLegacySignatures,
  cosignSignatureTag,
  MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
} from "../../src/sign/cosign_legacy.ts";
import { encodeBase64 } from "../../src/sign/keys.ts";
import { generateSigningKey, keyIdOf, p1363ToDer } from "../../src/sign/mod.ts";
import { fixture, withTempDir } from "../artifact/_fs_helpers.ts";
import { missing } from "../harness/require.ts";
import { startRegistry } from "../harness/registry.ts";
import { manifestOf } from "./_signing_helpers.ts";

const enc = new TextEncoder();

interface LegacyLayer {
  /** The digest the payload names. */
  names: string;
  /** The signing key (none: no signature annotation). */
  key?: CryptoKey;
  /** Flip a bit of the signature. */
  broken?: boolean;
  /** Add a certificate annotation (keyless). */
  keyless?: boolean;
}

// cosign's layout: an OCI manifest with a config blob and one simple
// signing layer per signature, tagged sha256-<hex>.sig.
async function pushLegacy(
  store: OciStore,
  repo: RepositoryRef,
  subject: string,
  layers: LegacyLayer[],
): Promise<void> {
  const descs: Descriptor[] = [];
  for (const l of layers) {
    const payload = enc.encode(JSON.stringify({
      critical: {
        identity: { "docker-reference": `${repo.registry}/${repo.repository}` },
        image: { "docker-manifest-digest": l.names },
        type: "cosign container image signature",
      },
      optional: null,
    }));
    const desc: Descriptor = {
      mediaType: MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
      digest: digestOf(payload),
      size: payload.byteLength,
      annotations: {},
    };
    if (l.key) {
      const sig = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          l.key,
          payload,
        ),
      );
      if (l.broken) sig[10] ^= 1;
      desc.annotations![ANNOTATION_COSIGN_SIGNATURE] = encodeBase64(
        p1363ToDer(sig),
      );
    }
    if (l.keyless) {
      desc.annotations![ANNOTATION_COSIGN_CERTIFICATE] =
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    }
    await store.pushBlob(repo, desc, payload);
    descs.push(desc);
  }
  const config = enc.encode(JSON.stringify({
    architecture: "",
    os: "",
    config: {},
    rootfs: { type: "layers", diff_ids: descs.map((d) => d.digest) },
  }));
  const configDesc = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: digestOf(config),
    size: config.byteLength,
  };
  await store.pushBlob(repo, configDesc, config);
  await store.pushManifest(
    { ...repo, tag: cosignSignatureTag(subject) },
    enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configDesc,
      layers: descs,
    })),
    "application/vnd.oci.image.manifest.v1+json",
  );
}

async function exercise(
  store: OciStore,
  repo: RepositoryRef,
  subject: string,
): Promise<void> {
  const signer = await generateSigningKey();
  const stranger = await generateSigningKey();
  const keys = [{
    key: signer.publicKey,
    keyId: await keyIdOf(signer.publicKey),
  }];
  deepStrictEqual(
    await checkLegacySignatures(store, repo, subject, keys),
    [],
    "no .sig tag: no legacy signature",
  );
  const other = "sha256:" + "0".repeat(64);
  await pushLegacy(store, repo, subject, [
    { names: subject, key: signer.privateKey },
    { names: subject, key: stranger.privateKey },
    { names: other, key: signer.privateKey },
    { names: subject, key: signer.privateKey, broken: true },
    { names: subject },
    { names: subject, key: stranger.privateKey, keyless: true },
  ]);
  const results = await checkLegacySignatures(store, repo, subject, keys);
  deepStrictEqual(
    results.map((r) => [r.verified, r.reason, r.keyId]),
    [
      [true, undefined, keys[0].keyId],
      [false, "wrong-key", undefined],
      [false, "other-digest", undefined],
      [false, "wrong-key", undefined],
      [false, "tampered", undefined],
      [false, "untrusted", undefined],
    ],
  );
  const sig = await store.fetchManifest({
    ...repo,
    tag: cosignSignatureTag(subject),
  });
  strictEqual(results[0].referrer, sig.descriptor.digest);
}

Deno.test("legacy cosign .sig signatures in an OCI image layout", () =>
  withTempDir(async (tmp) => {
    const dir = join(tmp, "layout");
    const client = new Client({ env: {} });
    await client.pushPlugin(fixture("plugins/base"), `ocidir://${dir}:v1`, {
      name: "base",
    });
    await client.close();
    const store = new LayoutStore();
    const repo = { registry: "ocidir://", repository: dir };
    const { descriptor } = await manifestOf(store, repo, { tag: "v1" });
    await exercise(store, repo, descriptor.digest);
  }));

Deno.test({
  name: "legacy cosign .sig signatures on distribution 2.8",
  ignore: missing("docker-registry"),
  async fn() {
    const reg = await startRegistry({ mode: "open" });
    try {
      const ref = `${reg.host}/klaus-plugins/base:v1`;
      const client = new Client({ plainHttp: true, env: {} });
      await client.pushPlugin(fixture("plugins/base"), ref, { name: "base" });
      await client.close();
      const store = new RegistryStore({ plainHttp: true, env: {} });
      const repo = { registry: reg.host, repository: "klaus-plugins/base" };
      const { descriptor } = await manifestOf(store, repo, { tag: "v1" });
      await exercise(store, repo, descriptor.digest);
    } finally {
      await reg.stop();
    }
  },
});
