/**
 * Interop with skopeo's `oci:` transport, the independent second client:
 * skopeo must read what we write, and we must read what skopeo writes.
 */
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { NotFoundError } from "../../src/errors.ts";
import { ANNOTATION_REF_NAME, LayoutStore } from "../../src/layout/mod.ts";
import { digestOf } from "../../src/oci/digest.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import {
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../../src/oci/media_types.ts";
import { missing } from "../harness/require.ts";
import {
  descriptorOf,
  gzip,
  layoutRepo,
  makeArtifact,
  pushArtifact,
  readAll,
  skopeo,
  skopeoOk,
  withTempDir,
} from "./layout_fixture.ts";

const ignore = missing("skopeo");
const enc = new TextEncoder();

/** A one-file ustar archive (enough for a real image layer). */
function tarOf(name: string, content: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (s: string, off: number) => header.set(enc.encode(s), off);
  const octal = (n: number, width: number) =>
    n.toString(8).padStart(width - 1, "0") + "\0";
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(content.byteLength, 12), 124);
  put(octal(0, 12), 136);
  put("        ", 148);
  put("0", 156);
  put("ustar\x0000", 257);
  const sum = header.reduce((a, b) => a + b, 0);
  put(octal(sum, 7) + " ", 148);
  const body = Math.ceil(content.byteLength / 512) * 512;
  const out = new Uint8Array(512 + body + 1024);
  out.set(header, 0);
  out.set(content, 512);
  return out;
}

/** Pushes a real single-platform image (config + one tar.gz layer); returns its manifest descriptor. */
async function pushImage(
  store: LayoutStore,
  dir: string,
  arch: string,
): Promise<Descriptor> {
  const repo = layoutRepo(dir);
  const tar = tarOf(`hello-${arch}.txt`, enc.encode(`hello from ${arch}\n`));
  const layer = await gzip(tar);
  const config = enc.encode(JSON.stringify({
    architecture: arch,
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [digestOf(tar)] },
  }));
  const configDesc = descriptorOf(
    "application/vnd.oci.image.config.v1+json",
    config,
  );
  const layerDesc = descriptorOf(
    "application/vnd.oci.image.layer.v1.tar+gzip",
    layer,
  );
  await store.pushBlob(repo, configDesc, config);
  await store.pushBlob(repo, layerDesc, layer);
  const manifest = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: configDesc,
    layers: [layerDesc],
  }));
  return await store.pushManifest(
    { ...repo, digest: digestOf(manifest) },
    manifest,
    MEDIA_TYPE_OCI_MANIFEST,
  );
}

/** Fetches every blob a manifest references through the store (verifying them). */
async function fetchAllBlobs(
  store: LayoutStore,
  dir: string,
  manifest: Uint8Array,
): Promise<number> {
  const doc = JSON.parse(new TextDecoder().decode(manifest));
  let n = 0;
  for (const d of [doc.config, ...doc.layers]) {
    const bytes = await readAll(await store.fetchBlob(layoutRepo(dir), d));
    deepStrictEqual(bytes.byteLength, d.size);
    n++;
  }
  return n;
}

Deno.test({
  name:
    "skopeo reads the layout we write: exact manifest, config, verified copy",
  ignore,
  fn: async () => {
    await withTempDir(async (tmp) => {
      const dir = join(tmp, "ours");
      const store = new LayoutStore();
      const a = await makeArtifact();
      await pushArtifact(store, dir, a, ["v1.0.0", "latest"]);

      for (const tag of ["v1.0.0", "latest"]) {
        deepStrictEqual(
          await skopeoOk("inspect", "--raw", `oci:${dir}:${tag}`),
          a.manifest,
        );
      }
      deepStrictEqual(
        await skopeoOk("inspect", "--config", "--raw", `oci:${dir}:v1.0.0`),
        a.config,
      );
      // A tag we never wrote is unknown to skopeo as well.
      ok((await skopeo("inspect", "--raw", `oci:${dir}:v2`)).code !== 0);

      const copy = join(tmp, "copy");
      await skopeoOk(
        "copy",
        "--insecure-policy",
        `oci:${dir}:v1.0.0`,
        `oci:${copy}:x`,
      );
      deepStrictEqual(
        await skopeoOk("inspect", "--raw", `oci:${copy}:x`),
        a.manifest,
      );

      // skopeo verifies blob digests on copy: a corrupted layer must fail it,
      // which proves the copy above really checked our blobs.
      const layerPath = join(
        dir,
        "blobs",
        "sha256",
        a.layerDesc.digest.slice(7),
      );
      const bad = a.layer.slice();
      bad[bad.length - 5] ^= 0xff;
      await Deno.writeFile(layerPath, bad);
      const r = await skopeo(
        "copy",
        "--insecure-policy",
        `oci:${dir}:v1.0.0`,
        `oci:${join(tmp, "copy2")}:x`,
      );
      ok(r.code !== 0, "skopeo copied a corrupted blob");
      ok(r.stderr.includes("Digest did not match"), r.stderr);
    });
  },
});

Deno.test({
  name:
    "we read the layout skopeo writes, and skopeo keeps reading it after we tag into it",
  ignore,
  fn: async () => {
    await withTempDir(async (tmp) => {
      const ours = join(tmp, "ours");
      const theirs = join(tmp, "skopeo");
      const store = new LayoutStore();
      const a = await makeArtifact("a");
      const b = await makeArtifact("b");
      await pushArtifact(store, ours, a, ["v1.0.0"]);
      await pushArtifact(store, ours, b, ["v2.0.0"]);
      await skopeoOk(
        "copy",
        "--insecure-policy",
        `oci:${ours}:v1.0.0`,
        `oci:${theirs}:t2`,
      );
      await skopeoOk(
        "copy",
        "--insecure-policy",
        `oci:${ours}:v2.0.0`,
        `oci:${theirs}:t3`,
      );

      const repo = layoutRepo(theirs);
      deepStrictEqual((await store.listTags(repo)).tags, ["t2", "t3"]);
      for (const [tag, art] of [["t2", a], ["t3", b]] as const) {
        const resolved = await store.resolve({ ...repo, tag });
        deepStrictEqual(resolved.descriptor, art.manifestDesc);
        const m = await store.fetchManifest({ ...repo, tag });
        deepStrictEqual(m.bytes, art.manifest);
        deepStrictEqual(
          await readAll(await store.fetchBlob(repo, art.configDesc)),
          art.config,
        );
        deepStrictEqual(
          await readAll(await store.fetchBlob(repo, art.layerDesc)),
          art.layer,
        );
        const byDigest = await store.fetchManifest({
          ...repo,
          digest: art.manifestDesc.digest,
        });
        deepStrictEqual(byDigest.bytes, art.manifest);
      }
      await rejects(store.resolve({ ...repo, tag: "t4" }), NotFoundError);

      // Our tag in skopeo's layout; skopeo's tags survive, and skopeo reads ours.
      await store.pushManifest(
        { ...repo, tag: "ours" },
        a.manifest,
        MEDIA_TYPE_OCI_MANIFEST,
      );
      deepStrictEqual((await store.listTags(repo)).tags, ["t2", "t3", "ours"]);
      deepStrictEqual(
        await skopeoOk("inspect", "--raw", `oci:${theirs}:ours`),
        a.manifest,
      );
      deepStrictEqual(
        await skopeoOk("inspect", "--raw", `oci:${theirs}:t3`),
        b.manifest,
      );
      // And skopeo's own re-tag of an existing name replaces ours in index.json.
      await skopeoOk(
        "copy",
        "--insecure-policy",
        `oci:${ours}:v2.0.0`,
        `oci:${theirs}:ours`,
      );
      deepStrictEqual(
        (await store.resolve({ ...repo, tag: "ours" })).descriptor.digest,
        b.manifestDesc.digest,
      );
    });
  },
});

Deno.test({
  name:
    "a multi-arch index copied by skopeo --all: we resolve, fetch children by digest, fetch blobs",
  ignore,
  fn: async () => {
    await withTempDir(async (tmp) => {
      const ours = join(tmp, "ours");
      const theirs = join(tmp, "skopeo");
      const store = new LayoutStore();
      const children: Descriptor[] = [];
      for (const arch of ["amd64", "arm64"]) {
        const d = await pushImage(store, ours, arch);
        children.push({ ...d, platform: { architecture: arch, os: "linux" } });
      }
      const index = enc.encode(JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE_OCI_INDEX,
        manifests: children,
        annotations: { "io.giantswarm.klaus.name": "go" },
      }));
      const indexDesc = await store.pushManifest(
        { ...layoutRepo(ours), tag: "1.2.3" },
        index,
        MEDIA_TYPE_OCI_INDEX,
      );
      // The children were listed untagged until the tagged index covered them.
      const ourIndex = JSON.parse(
        await Deno.readTextFile(join(ours, "index.json")),
      );
      deepStrictEqual(ourIndex.manifests, [{
        ...indexDesc,
        annotations: { [ANNOTATION_REF_NAME]: "1.2.3" },
      }]);
      deepStrictEqual(
        await skopeoOk("inspect", "--raw", `oci:${ours}:1.2.3`),
        index,
      );

      await skopeoOk(
        "copy",
        "--insecure-policy",
        "--all",
        "--preserve-digests",
        `oci:${ours}:1.2.3`,
        `oci:${theirs}:m`,
      );
      const repo = layoutRepo(theirs);
      deepStrictEqual((await store.listTags(repo)).tags, ["m"]);
      const top = await store.fetchManifest({ ...repo, tag: "m" });
      deepStrictEqual(top.descriptor, indexDesc);
      deepStrictEqual(top.bytes, index);
      const doc = JSON.parse(new TextDecoder().decode(top.bytes));
      deepStrictEqual(doc.manifests.length, 2);
      let blobs = 0;
      for (const child of doc.manifests as Descriptor[]) {
        // Not listed in skopeo's index.json: found through the index.
        const resolved = await store.resolve({ ...repo, digest: child.digest });
        deepStrictEqual(resolved.descriptor, {
          mediaType: child.mediaType,
          digest: child.digest,
          size: child.size,
        });
        const m = await store.fetchManifest({ ...repo, digest: child.digest });
        blobs += await fetchAllBlobs(store, theirs, m.bytes);
      }
      deepStrictEqual(blobs, 4);
    });
  },
});
