/**
 * OCI 1.1 referrers on both registry implementations and on an OCI image
 * layout: a sigstore-bundle-typed artifact and an SBOM attached to a
 * plugin's manifest are listed, filtered by artifact type — through the
 * referrers API where the registry has one (serverless-registry), through
 * the referrers tag schema where it does not (distribution 2.8, layouts).
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import { pushReferrer, referrersTag } from "../../src/oci/referrers.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import { LayoutStore } from "../../src/layout/layout_store.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { fixture } from "../artifact/_fs_helpers.ts";
import { interopRegistries } from "./registries.ts";

const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SBOM = "application/spdx+json";
const EMPTY = new TextEncoder().encode("{}");
const EMPTY_DESC = {
  mediaType: "application/vnd.oci.empty.v1+json",
  digest: digestOf(EMPTY),
  size: 2,
};

/** Pushes an artifact of `artifactType` whose subject is `subject`. */
async function attach(
  store: OciStore,
  repo: RepositoryRef,
  subject: { mediaType: string; digest: string; size: number },
  artifactType: string,
  content: string,
): Promise<string> {
  const blob = new TextEncoder().encode(content);
  const blobDesc = {
    mediaType: artifactType,
    digest: digestOf(blob),
    size: blob.byteLength,
  };
  await store.pushBlob(repo, EMPTY_DESC, EMPTY);
  await store.pushBlob(repo, blobDesc, blob);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    artifactType,
    config: EMPTY_DESC,
    layers: [blobDesc],
    subject,
    annotations: { "org.opencontainers.image.created": "2026-12-06T00:00:00Z" },
  }));
  const d = await pushReferrer(
    store,
    repo,
    manifest,
    MEDIA_TYPE_OCI_MANIFEST,
    subject.digest,
  );
  return d.digest;
}

async function checkReferrers(
  store: OciStore,
  client: Client,
  repo: RepositoryRef,
  ref: string,
): Promise<void> {
  const subjectDigest = await client.resolve(ref);
  const { descriptor: subject } = await store.resolve({
    ...repo,
    digest: subjectDigest,
  });
  deepStrictEqual(await store.listReferrers(repo, subjectDigest), []);
  const sig = await attach(store, repo, subject, BUNDLE, '{"bundle":1}');
  const sbom = await attach(store, repo, subject, SBOM, '{"spdx":1}');
  const all = await store.listReferrers(repo, subjectDigest);
  deepStrictEqual(all.map((d) => d.digest).sort(), [sig, sbom].sort());
  for (const d of all) {
    strictEqual(d.artifactType, d.digest === sig ? BUNDLE : SBOM);
  }
  const bundles = await client.listReferrers(ref, { artifactType: BUNDLE });
  deepStrictEqual(bundles.map((d) => d.digest), [sig]);
  // Attaching the same artifact again lists it once.
  await attach(store, repo, subject, BUNDLE, '{"bundle":1}');
  strictEqual((await store.listReferrers(repo, subjectDigest)).length, 2);
}

for (const target of interopRegistries()) {
  Deno.test({
    name: `referrers on ${target.label}`,
    ignore: target.ignore,
    async fn() {
      await using reg = await target.start();
      const tmp = await Deno.makeTempDir({ prefix: "klaus-referrers-" });
      try {
        const configDir = join(tmp, "docker");
        await Deno.mkdir(configDir);
        await reg.writeDockerConfig(configDir);
        const counter = countingFetch();
        const env = { DOCKER_CONFIG: configDir };
        const client = new Client({
          plainHttp: true,
          env,
          fetch: counter.fetch,
        });
        const store = new RegistryStore({
          plainHttp: true,
          env,
          fetch: counter.fetch,
        });
        const repo = {
          registry: reg.host,
          repository: "giantswarm/klaus-plugins/signed",
        };
        const ref = `${reg.host}/${repo.repository}:v1.0.0`;
        await client.pushPlugin(fixture("plugins/base"), ref, {
          name: "signed",
        });
        await checkReferrers(store, client, repo, ref);
        // The registry with the API answers it; the other keeps the tag.
        const api = counter.requests.some((r) =>
          r.url.includes("/referrers/") && r.status === 200
        );
        const tags = await store.listTags(repo);
        const subject = await client.resolve(ref);
        strictEqual(
          tags.tags.includes(referrersTag(subject)),
          !api,
          `referrers API ${api ? "used" : "absent"}; tags: ${tags.tags}`,
        );
        await client.close();
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    },
  });
}

/** The base fixture pushed as `signed:v1.0.0` into a layout below `tmp`. */
async function pushedToLayout(tmp: string) {
  const client = new Client({ env: {} });
  const store = new LayoutStore();
  const dir = join(tmp, "signed");
  const repo = { registry: "ocidir://", repository: dir };
  const ref = `ocidir://${dir}:v1.0.0`;
  await client.pushPlugin(fixture("plugins/base"), ref, { name: "signed" });
  return { client, store, repo, ref };
}

Deno.test("referrers in an OCI image layout (tag schema)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-referrers-layout-" });
  try {
    const { client, store, repo, ref } = await pushedToLayout(tmp);
    await checkReferrers(store, client, repo, ref);
    await client.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: describe --referrers lists what is attached by type", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-referrers-cli-" });
  try {
    const { client, store, repo, ref } = await pushedToLayout(tmp);
    const digest = await client.resolve(ref);
    const { descriptor: subject } = await store.resolve({ ...repo, digest });
    const sig = await attach(store, repo, subject, BUNDLE, '{"bundle":1}');
    await client.close();
    const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, ...args],
        env: { NO_COLOR: "1", XDG_CACHE_HOME: join(tmp, "cache") },
      }).output();
      strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    const text = await run("plugin", "describe", ref, "--referrers");
    strictEqual(
      text.includes(
        `Attached:\n  ${BUNDLE}: ${sig.slice(0, "sha256:".length + 12)}`,
      ),
      true,
      text,
    );
    const json = JSON.parse(
      await run("--json", "plugin", "describe", ref, "--referrers"),
    );
    deepStrictEqual(json.referrers.map((d: { digest: string }) => d.digest), [
      sig,
    ]);
    // Without the flag nothing is looked up or shown.
    strictEqual(
      (await run("plugin", "describe", ref)).includes("Attached:"),
      false,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
