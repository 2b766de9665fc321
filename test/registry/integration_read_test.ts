/**
 * Reading from a real registry (distribution 2.8) in every auth mode, with
 * skopeo as the independent reference for what the registry holds.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { RegistryStore } from "../../src/registry/mod.ts";
import { DigestMismatchError, NotFoundError } from "../../src/errors.ts";
import type { Reference } from "../../src/ref/reference_type.ts";
import { missing } from "../harness/require.ts";
import {
  REGISTRY_MODES,
  type RegistryHandle,
  startRegistry,
} from "../harness/registry.ts";
import {
  seedArtifact,
  type SeededManifest,
  seedIndex,
  sha256,
  tarGz,
} from "../harness/seed.ts";
import { inspectRaw, listTags } from "../harness/skopeo.ts";

const ignore = missing("docker-registry", "skopeo", "htpasswd", "openssl");
const AUTH_ENV = "KLAUS_OCI_TEST_REGISTRY_AUTH";

/** A store that sees only the handle's credentials, never the developer's. */
function storeFor(reg: RegistryHandle): RegistryStore {
  return new RegistryStore({
    plainHttp: true,
    registryAuthEnv: AUTH_ENV,
    env: { [AUTH_ENV]: reg.dockerConfigBase64() },
  });
}

function ref(
  reg: RegistryHandle,
  repository: string,
  tagOrDigest?: string,
): Reference {
  if (!tagOrDigest) return { registry: reg.host, repository };
  return tagOrDigest.startsWith("sha256:")
    ? { registry: reg.host, repository, digest: tagOrDigest }
    : { registry: reg.host, repository, tag: tagOrDigest };
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

for (const mode of REGISTRY_MODES) {
  Deno.test({
    name: `registry integration (${mode}): tags, catalog, manifests and blobs`,
    ignore,
    async fn(t) {
      const reg = await startRegistry({ mode });
      try {
        const store = storeFor(reg);
        const seeded: Record<string, SeededManifest> = {};
        for (
          const repo of ["plugins/a", "plugins/b", "plugins-extra/c", "zzz/d"]
        ) {
          seeded[repo] = await seedArtifact(reg, repo, ["v1.0.0"], {
            configMediaType:
              "application/vnd.giantswarm.klaus-plugin.config.v1+json",
            configJson: { name: repo },
            layerMediaType:
              "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
            layerBytes: await tarGz({
              "plugin.json": JSON.stringify({ name: repo }),
            }),
            annotations: { "io.giantswarm.klaus.name": repo },
          });
        }
        const tags = [
          "v0.1.0",
          "v0.2.0",
          "v1.0.0",
          "v1.10.0",
          "latest",
          "z-last",
        ];
        const a = await seedArtifact(reg, "plugins/a", tags);

        await t.step(
          "listTags returns every tag, as skopeo sees them",
          async () => {
            const got = await store.listTags({
              registry: reg.host,
              repository: "plugins/a",
            });
            const want = await listTags(reg.ref("plugins/a"), {
              registry: reg,
            });
            deepStrictEqual([...got.tags].sort(), [...want].sort());
            deepStrictEqual([...got.tags].sort(), [...tags].sort());
          },
        );

        await t.step(
          "listTags of a missing repository is NotFoundError",
          async () => {
            await rejects(
              store.listTags({
                registry: reg.host,
                repository: "plugins/missing",
              }),
              NotFoundError,
            );
          },
        );

        await t.step(
          "listRepositories honours trailing-slash prefix semantics",
          async () => {
            const all = await store.listRepositories(reg.host);
            deepStrictEqual([...all].sort(), [
              `${reg.host}/plugins-extra/c`,
              `${reg.host}/plugins/a`,
              `${reg.host}/plugins/b`,
              `${reg.host}/zzz/d`,
            ]);
            for (
              const base of [`${reg.host}/plugins`, `${reg.host}/plugins/`]
            ) {
              deepStrictEqual([...await store.listRepositories(base)].sort(), [
                `${reg.host}/plugins/a`,
                `${reg.host}/plugins/b`,
              ]);
            }
            deepStrictEqual(
              await store.listRepositories(`${reg.host}/plugins-extra`),
              [
                `${reg.host}/plugins-extra/c`,
              ],
            );
            deepStrictEqual(
              await store.listRepositories(`${reg.host}/nothing`),
              [],
            );
          },
        );

        await t.step(
          "resolve gives the digest, size and type skopeo sees",
          async () => {
            const raw = await inspectRaw(reg.ref("plugins/a", "v1.10.0"), {
              registry: reg,
            });
            const { descriptor } = await store.resolve(
              ref(reg, "plugins/a", "v1.10.0"),
            );
            equal(descriptor.digest, await sha256(raw));
            equal(descriptor.digest, a.digest);
            equal(descriptor.size, raw.length);
            equal(
              descriptor.mediaType,
              "application/vnd.oci.image.manifest.v1+json",
            );
            // v1.0.0 was re-pushed with the second seed: the tag moved.
            equal(
              (await store.resolve(ref(reg, "plugins/a", "v1.0.0"))).descriptor
                .digest,
              a.digest,
            );
            equal(
              (await store.resolve(ref(reg, "plugins/b", "v1.0.0"))).descriptor
                .digest,
              seeded["plugins/b"].digest,
            );
          },
        );

        await t.step(
          "resolve of a missing tag or repository is NotFoundError",
          async () => {
            await rejects(
              store.resolve(ref(reg, "plugins/a", "v9.9.9")),
              NotFoundError,
            );
            await rejects(
              store.resolve(ref(reg, "plugins/nope", "v1")),
              NotFoundError,
            );
          },
        );

        await t.step(
          "fetchManifest returns the exact bytes of skopeo inspect --raw",
          async () => {
            for (const [repo, m] of Object.entries(seeded)) {
              if (repo === "plugins/a") continue;
              const raw = await inspectRaw(reg.ref(repo, "v1.0.0"), {
                registry: reg,
              });
              const byTag = await store.fetchManifest(ref(reg, repo, "v1.0.0"));
              deepStrictEqual(byTag.bytes, raw);
              deepStrictEqual(byTag.bytes, m.bytes);
              equal(byTag.descriptor.digest, m.digest);
              const byDigest = await store.fetchManifest(
                ref(reg, repo, m.digest),
              );
              deepStrictEqual(byDigest.bytes, raw);
              equal(byDigest.descriptor.size, raw.length);
            }
          },
        );

        await t.step(
          "fetchManifest of an image index keeps its annotations",
          async () => {
            const idx = await seedIndex(reg, "toolchains/go", ["v1.0.0"], {
              "io.giantswarm.klaus.name": "go",
            });
            const got = await store.fetchManifest(
              ref(reg, "toolchains/go", "v1.0.0"),
            );
            deepStrictEqual(got.bytes, idx.bytes);
            equal(
              got.descriptor.mediaType,
              "application/vnd.oci.image.index.v1+json",
            );
            equal(got.descriptor.digest, idx.digest);
            const child = await store.fetchManifest(
              ref(reg, "toolchains/go", idx.manifests[1].digest),
            );
            deepStrictEqual(child.bytes, idx.manifests[1].bytes);
          },
        );

        await t.step(
          "fetchBlob streams verified config and layer bytes",
          async () => {
            const m = seeded["plugins/b"];
            const repo = { registry: reg.host, repository: "plugins/b" };
            for (const b of [m.config, m.layers[0]]) {
              const { bytes: _bytes, ...desc } = b;
              deepStrictEqual(
                await readAll(await store.fetchBlob(repo, desc)),
                b.bytes,
              );
              equal(await store.blobExists(repo, desc), true);
            }
            const absent = {
              mediaType: "application/octet-stream",
              digest: await sha256(new TextEncoder().encode("never pushed")),
              size: 12,
            };
            equal(await store.blobExists(repo, absent), false);
            await rejects(
              (async () =>
                await readAll(await store.fetchBlob(repo, absent)))(),
              NotFoundError,
            );
          },
        );

        await t.step(
          "fetchBlob refuses content that does not match its descriptor",
          async () => {
            const m = seeded["plugins/b"];
            const repo = { registry: reg.host, repository: "plugins/b" };
            // The registry serves the real layer, the caller expects one byte more.
            const wrongSize = { ...m.layers[0], size: m.layers[0].size + 1 };
            delete (wrongSize as { bytes?: Uint8Array }).bytes;
            await rejects(
              (async () =>
                await readAll(await store.fetchBlob(repo, wrongSize)))(),
              DigestMismatchError,
            );
          },
        );

        ok(reg.running);
      } finally {
        await reg.stop();
      }
    },
  });
}
