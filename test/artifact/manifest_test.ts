import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { InvalidArtifactError } from "../../src/errors.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { buildKlausAnnotations } from "../../src/artifact/annotations.ts";
import { encodePluginConfig } from "../../src/artifact/config_blob.ts";
import { buildManifest, parseManifest } from "../../src/artifact/manifest.ts";
import {
  MEDIA_TYPE_PERSONALITY_CONFIG,
  MEDIA_TYPE_PERSONALITY_CONTENT,
  MEDIA_TYPE_PLUGIN_CONFIG,
  MEDIA_TYPE_PLUGIN_CONTENT,
} from "../../src/artifact/media_types.ts";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import { fixture, text } from "./_fs_helpers.ts";

const EMPTY =
  "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const LAYER = "sha256:" + "ab".repeat(32);

Deno.test("buildManifest: exact bytes (key order, sorted escaped annotations)", () => {
  const bytes = buildManifest(
    { mediaType: MEDIA_TYPE_PLUGIN_CONFIG, digest: EMPTY, size: 2 },
    { mediaType: MEDIA_TYPE_PLUGIN_CONTENT, digest: LAYER, size: 1234 },
    {
      "io.giantswarm.klaus.name": "base",
      "io.giantswarm.klaus.description": "A <b> & plugin",
      "io.giantswarm.klaus.author.name": "Giant Swarm GmbH",
    },
  );
  strictEqual(
    text(bytes),
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
      '"config":{"mediaType":"application/vnd.giantswarm.klaus-plugin.config.v1+json",' +
      '"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
      '"layers":[{"mediaType":"application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",' +
      '"digest":"sha256:abababababababababababababababababababababababababababababababab","size":1234}],' +
      '"annotations":{"io.giantswarm.klaus.author.name":"Giant Swarm GmbH",' +
      '"io.giantswarm.klaus.description":"A \\u003cb\\u003e \\u0026 plugin",' +
      '"io.giantswarm.klaus.name":"base"}}',
  );
});

Deno.test("buildManifest: no annotations key when there are none", () => {
  const config = {
    mediaType: MEDIA_TYPE_PERSONALITY_CONFIG,
    digest: EMPTY,
    size: 2,
  };
  const layer = {
    mediaType: MEDIA_TYPE_PERSONALITY_CONTENT,
    digest: LAYER,
    size: 7,
  };
  const want =
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
    '"config":{"mediaType":"application/vnd.giantswarm.klaus-personality.config.v1+json",' +
    `"digest":"${EMPTY}","size":2},` +
    '"layers":[{"mediaType":"application/vnd.giantswarm.klaus-personality.content.v1.tar+gzip",' +
    `"digest":"${LAYER}","size":7}]}`;
  strictEqual(text(buildManifest(config, layer)), want);
  strictEqual(text(buildManifest(config, layer, {})), want);
  strictEqual(
    text(buildManifest(config, layer, buildKlausAnnotations({ name: "" }))),
    want,
  );
});

Deno.test("buildManifest: a pure function of its inputs (same digest twice)", async () => {
  const plugin = await readPluginFromDir(fixture("plugins/base"));
  const config = encodePluginConfig(plugin);
  const make = () =>
    buildManifest(
      {
        mediaType: MEDIA_TYPE_PLUGIN_CONFIG,
        digest: digestOf(config),
        size: config.length,
      },
      { mediaType: MEDIA_TYPE_PLUGIN_CONTENT, digest: LAYER, size: 10 },
      buildKlausAnnotations(plugin),
    );
  strictEqual(digestOf(make()), digestOf(make()));
  const m = parseManifest(make());
  deepStrictEqual(Object.keys(m.annotations ?? {}), [
    "io.giantswarm.klaus.author.email",
    "io.giantswarm.klaus.author.name",
    "io.giantswarm.klaus.description",
    "io.giantswarm.klaus.keywords",
    "io.giantswarm.klaus.license",
    "io.giantswarm.klaus.name",
    "io.giantswarm.klaus.repository",
  ]);
});

Deno.test("parseManifest: reads back what buildManifest writes", () => {
  const config = {
    mediaType: MEDIA_TYPE_PLUGIN_CONFIG,
    digest: EMPTY,
    size: 2,
  };
  const layer = {
    mediaType: MEDIA_TYPE_PLUGIN_CONTENT,
    digest: LAYER,
    size: 5,
  };
  const annotations = { "io.giantswarm.klaus.name": "x<y>" };
  deepStrictEqual(parseManifest(buildManifest(config, layer, annotations)), {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers: [layer],
    annotations,
  });
});

Deno.test("parseManifest: image index with top-level annotations (toolchains)", () => {
  const m = parseManifest(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: LAYER,
      size: 500,
      platform: { architecture: "amd64", os: "linux" },
    }, {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: EMPTY,
      size: 2,
      annotations: { "vnd.docker.reference.type": "attestation-manifest" },
      platform: { architecture: "unknown", os: "unknown" },
    }],
    annotations: {
      "io.giantswarm.klaus.name": "go",
      "org.opencontainers.image.version": "0.1.14",
    },
  }));
  strictEqual(m.config, undefined);
  strictEqual(m.manifests?.length, 2);
  deepStrictEqual(m.manifests?.[0].platform, {
    architecture: "amd64",
    os: "linux",
  });
  strictEqual(m.annotations?.["io.giantswarm.klaus.name"], "go");
});

Deno.test("parseManifest: legacy oras-pushed personality reads without error", () => {
  const m = parseManifest(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: MEDIA_TYPE_PERSONALITY_CONFIG,
      digest: EMPTY,
      size: 40,
    },
    layers: [{
      mediaType: MEDIA_TYPE_PERSONALITY_CONTENT,
      digest: LAYER,
      size: 900,
      annotations: { "org.opencontainers.image.title": "sre.tar.gz" },
    }],
    annotations: {
      "org.opencontainers.image.title": "sre",
      "org.opencontainers.image.version": "v0.0.3",
      "org.opencontainers.image.created": "2026-02-01T00:00:00Z",
    },
  }));
  strictEqual(m.layers?.[0].mediaType, MEDIA_TYPE_PERSONALITY_CONTENT);
  strictEqual(m.annotations?.["io.giantswarm.klaus.name"], undefined);
});

Deno.test("parseManifest: Docker v2 manifest, unknown keys, case-insensitive keys, trailing data", () => {
  const m = parseManifest(
    '{"SchemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",' +
      '"Config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"' +
      EMPTY + '"},"layers":[],"subject":null,"x-extra":{"a":[1]}}\n\n{garbage',
  );
  strictEqual(m.schemaVersion, 2);
  strictEqual(m.config?.size, 7023);
  deepStrictEqual(m.layers, []);
});

Deno.test("parseManifest: null gives an empty manifest, like Go", () => {
  deepStrictEqual(parseManifest("null"), { schemaVersion: 0 });
});

const invalid: [string, string, RegExp][] = [
  ["not JSON", "<html>", /invalid character '<'/],
  ["empty", "", /unexpected end of JSON input/],
  ["array", "[]", /cannot unmarshal array into Go value of type v1\.Manifest/],
  [
    "annotation not a string",
    '{"annotations":{"a":1}}',
    /Manifest\.annotations\.a of type string/,
  ],
  [
    "size not a number",
    '{"config":{"size":"2"}}',
    /Manifest\.config\.size of type int64/,
  ],
  [
    "fractional size",
    '{"config":{"size":1.5}}',
    /cannot unmarshal number 1\.5 into Go struct field Manifest\.config\.size/,
  ],
  [
    "layers not an array",
    '{"layers":{}}',
    /Manifest\.layers of type \[\]v1\.Descriptor/,
  ],
];

for (const [name, json, message] of invalid) {
  Deno.test(`parseManifest: ${name} is an error`, () => {
    throws(() => parseManifest(json), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      ok(message.test((e as Error).message), (e as Error).message);
      return true;
    });
  });
}
