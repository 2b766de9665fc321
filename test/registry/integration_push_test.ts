/**
 * Pushing to a real registry (distribution 2.8) in every auth mode; skopeo,
 * the independent client, must read back exactly what we pushed.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { RegistryStore } from "../../src/registry/mod.ts";
import type { Reference } from "../../src/ref/reference_type.ts";
import { missing } from "../harness/require.ts";
import {
  REGISTRY_MODES,
  type RegistryHandle,
  startRegistry,
} from "../harness/registry.ts";
import { OCI_MANIFEST, sha256, tarGz } from "../harness/seed.ts";
import {
  copy,
  inspectConfigRaw,
  inspectRaw,
  listTags,
} from "../harness/skopeo.ts";

const ignore = missing("docker-registry", "skopeo", "htpasswd", "openssl");
const AUTH_ENV = "KLAUS_OCI_TEST_REGISTRY_AUTH";
const te = new TextEncoder();

function storeFor(reg: RegistryHandle): RegistryStore {
  return new RegistryStore({
    plainHttp: true,
    registryAuthEnv: AUTH_ENV,
    env: { [AUTH_ENV]: reg.dockerConfigBase64() },
  });
}

async function desc(mediaType: string, bytes: Uint8Array) {
  return { mediaType, digest: await sha256(bytes), size: bytes.length };
}

function streamOf(
  bytes: Uint8Array,
  chunk = 1000,
): () => ReadableStream<Uint8Array> {
  return () =>
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += chunk) {
          controller.enqueue(bytes.slice(i, i + chunk));
        }
        controller.close();
      },
    });
}

for (const mode of REGISTRY_MODES) {
  Deno.test({
    name:
      `registry integration (${mode}): pushed blobs and manifests read back by skopeo`,
    ignore,
    async fn(t) {
      const reg = await startRegistry({ mode });
      try {
        const store = storeFor(reg);
        const repo = { registry: reg.host, repository: "plugins/pushed" };
        const configBytes = te.encode(
          JSON.stringify({ name: "pushed", version: "1.0.0" }),
        );
        const layerBytes = await tarGz({
          "plugin.json": JSON.stringify({ name: "pushed" }),
          "skills/x/SKILL.md": "# X\n" + "x".repeat(50_000),
        });
        const config = await desc(
          "application/vnd.giantswarm.klaus-plugin.config.v1+json",
          configBytes,
        );
        const layer = await desc(
          "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
          layerBytes,
        );
        const manifestBytes = te.encode(JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config,
          layers: [layer],
          annotations: { "io.giantswarm.klaus.name": "pushed" },
        }));

        await t.step("pushBlob uploads bytes and streams", async () => {
          equal(await store.blobExists(repo, config), false);
          await store.pushBlob(repo, config, configBytes);
          await store.pushBlob(repo, layer, streamOf(layerBytes));
          equal(await store.blobExists(repo, config), true);
          equal(await store.blobExists(repo, layer), true);
          // Pushing again is harmless (the registry already has it).
          await store.pushBlob(repo, layer, layerBytes);
        });

        await t.step(
          "pushManifest tags the manifest; skopeo reads the same bytes",
          async () => {
            const ref: Reference = { ...repo, tag: "v1.0.0" };
            const pushed = await store.pushManifest(
              ref,
              manifestBytes,
              OCI_MANIFEST,
            );
            equal(pushed.digest, await sha256(manifestBytes));
            equal(pushed.size, manifestBytes.length);
            equal(pushed.mediaType, OCI_MANIFEST);
            const raw = await inspectRaw(reg.ref("plugins/pushed", "v1.0.0"), {
              registry: reg,
            });
            deepStrictEqual(raw, manifestBytes);
            deepStrictEqual(
              await inspectConfigRaw(reg.ref("plugins/pushed", "v1.0.0"), {
                registry: reg,
              }),
              configBytes,
            );
            deepStrictEqual(
              await listTags(reg.ref("plugins/pushed"), { registry: reg }),
              [
                "v1.0.0",
              ],
            );
          },
        );

        await t.step(
          "skopeo copies what we pushed to an OCI layout, blobs intact",
          async () => {
            const dir = await Deno.makeTempDir({ prefix: "klaus-oci-copy-" });
            try {
              await copy(
                reg.ref("plugins/pushed", "v1.0.0"),
                `oci:${dir}:v1.0.0`,
                {
                  registry: reg,
                },
              );
              const blobs = `${dir}/blobs/sha256`;
              deepStrictEqual(
                await Deno.readFile(`${blobs}/${layer.digest.slice(7)}`),
                layerBytes,
              );
              deepStrictEqual(
                await Deno.readFile(`${blobs}/${config.digest.slice(7)}`),
                configBytes,
              );
            } finally {
              await Deno.remove(dir, { recursive: true });
            }
          },
        );

        await t.step(
          "a manifest pushed by digest only is readable by digest",
          async () => {
            const untagged = te.encode(JSON.stringify({
              schemaVersion: 2,
              mediaType: OCI_MANIFEST,
              config,
              layers: [layer],
            }));
            const digest = await sha256(untagged);
            const pushed = await store.pushManifest(
              { ...repo, digest },
              untagged,
              OCI_MANIFEST,
            );
            equal(pushed.digest, digest);
            deepStrictEqual(
              await inspectRaw(reg.ref("plugins/pushed", digest), {
                registry: reg,
              }),
              untagged,
            );
            const again = await store.fetchManifest({ ...repo, digest });
            deepStrictEqual(again.bytes, untagged);
          },
        );
      } finally {
        await reg.stop();
      }
    },
  });
}
