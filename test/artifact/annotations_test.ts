import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  ANNOTATION_AUTHOR_EMAIL,
  ANNOTATION_AUTHOR_NAME,
  ANNOTATION_AUTHOR_URL,
  ANNOTATION_DESCRIPTION,
  ANNOTATION_HOMEPAGE,
  ANNOTATION_KEYWORDS,
  ANNOTATION_LICENSE,
  ANNOTATION_NAME,
  ANNOTATION_REPOSITORY,
  buildKlausAnnotations,
  metadataFromAnnotations,
} from "../../src/artifact/annotations.ts";
import type { KlausMetadata, Plugin } from "../../src/artifact/types.ts";

Deno.test("annotation keys", () => {
  deepStrictEqual(
    [
      ANNOTATION_NAME,
      ANNOTATION_DESCRIPTION,
      ANNOTATION_HOMEPAGE,
      ANNOTATION_REPOSITORY,
      ANNOTATION_LICENSE,
      ANNOTATION_KEYWORDS,
      ANNOTATION_AUTHOR_NAME,
      ANNOTATION_AUTHOR_EMAIL,
      ANNOTATION_AUTHOR_URL,
    ],
    [
      "io.giantswarm.klaus.name",
      "io.giantswarm.klaus.description",
      "io.giantswarm.klaus.homepage",
      "io.giantswarm.klaus.repository",
      "io.giantswarm.klaus.license",
      "io.giantswarm.klaus.keywords",
      "io.giantswarm.klaus.author.name",
      "io.giantswarm.klaus.author.email",
      "io.giantswarm.klaus.author.url",
    ],
  );
});

// push_test.go TestPushPlugin_AnnotationsFromMetadata
Deno.test("buildKlausAnnotations: full plugin metadata gives exactly 9 keys", () => {
  const p: Plugin = {
    name: "gs-base",
    version: "v9.9.9",
    description: "Giant Swarm base plugin",
    author: {
      name: "Giant Swarm",
      email: "dev@giantswarm.io",
      url: "https://giantswarm.io",
    },
    homepage: "https://giantswarm.io/plugins/gs-base",
    repository: "https://github.com/giantswarm/gs-base",
    license: "Apache-2.0",
    keywords: ["platform", "base"],
    skills: ["kubernetes"],
  };
  deepStrictEqual(buildKlausAnnotations(p), {
    [ANNOTATION_NAME]: "gs-base",
    [ANNOTATION_DESCRIPTION]: "Giant Swarm base plugin",
    [ANNOTATION_AUTHOR_NAME]: "Giant Swarm",
    [ANNOTATION_AUTHOR_EMAIL]: "dev@giantswarm.io",
    [ANNOTATION_AUTHOR_URL]: "https://giantswarm.io",
    [ANNOTATION_HOMEPAGE]: "https://giantswarm.io/plugins/gs-base",
    [ANNOTATION_REPOSITORY]: "https://github.com/giantswarm/gs-base",
    [ANNOTATION_LICENSE]: "Apache-2.0",
    [ANNOTATION_KEYWORDS]: "platform,base",
  });
});

// push_test.go TestPushPersonality_AnnotationsFromMetadata
Deno.test("buildKlausAnnotations: personality with name, description, author.name", () => {
  const a = buildKlausAnnotations({
    name: "sre",
    description: "SRE personality",
    author: { name: "Giant Swarm" },
    toolchain: {
      repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
      tag: "v1.0.0",
    },
  } as KlausMetadata);
  deepStrictEqual(a, {
    [ANNOTATION_NAME]: "sre",
    [ANNOTATION_DESCRIPTION]: "SRE personality",
    [ANNOTATION_AUTHOR_NAME]: "Giant Swarm",
  });
});

// push_test.go TestPushPlugin_MinimalMetadata / TestPushPlugin_NoMetadata
Deno.test("buildKlausAnnotations: name only gives one key", () => {
  deepStrictEqual(buildKlausAnnotations({ name: "minimal" }), {
    [ANNOTATION_NAME]: "minimal",
  });
});

Deno.test("buildKlausAnnotations: no metadata gives undefined", () => {
  strictEqual(buildKlausAnnotations({ name: "" }), undefined);
  strictEqual(buildKlausAnnotations({}), undefined);
  strictEqual(
    buildKlausAnnotations({ name: "", keywords: [], author: { name: "" } }),
    undefined,
  );
});

Deno.test("buildKlausAnnotations: empty keywords list and empty author fields emit nothing", () => {
  deepStrictEqual(
    buildKlausAnnotations({
      name: "x",
      keywords: [],
      author: { email: "e@x" },
    }),
    { [ANNOTATION_NAME]: "x", [ANNOTATION_AUTHOR_EMAIL]: "e@x" },
  );
});

const metadataCases: [
  string,
  Record<string, string> | undefined,
  KlausMetadata,
][] = [
  [
    "full annotations (describe_test full)",
    {
      [ANNOTATION_NAME]: "go",
      [ANNOTATION_DESCRIPTION]: "Go toolchain for Klaus",
      [ANNOTATION_AUTHOR_NAME]: "Giant Swarm GmbH",
      [ANNOTATION_HOMEPAGE]: "https://docs.giantswarm.io/klaus/",
      [ANNOTATION_REPOSITORY]: "https://github.com/giantswarm/klaus-images",
      [ANNOTATION_LICENSE]: "Apache-2.0",
      [ANNOTATION_KEYWORDS]: "giantswarm,go,toolchain",
    },
    {
      name: "go",
      description: "Go toolchain for Klaus",
      author: { name: "Giant Swarm GmbH" },
      homepage: "https://docs.giantswarm.io/klaus/",
      repository: "https://github.com/giantswarm/klaus-images",
      license: "Apache-2.0",
      keywords: ["giantswarm", "go", "toolchain"],
    },
  ],
  ["minimal: no author, no keywords", { [ANNOTATION_NAME]: "python" }, {
    name: "python",
  }],
  ["undefined annotations", undefined, { name: "" }],
  [
    "other keys ignored (org.opencontainers.image.version)",
    { [ANNOTATION_NAME]: "go", "org.opencontainers.image.version": "v1.2.0" },
    { name: "go" },
  ],
  [
    "keywords whitespace trimmed",
    { [ANNOTATION_KEYWORDS]: "giantswarm, go , toolchain" },
    { name: "", keywords: ["giantswarm", "go", "toolchain"] },
  ],
  ["single keyword", { [ANNOTATION_KEYWORDS]: "single" }, {
    name: "",
    keywords: ["single"],
  }],
  ["empty keyword parts kept", { [ANNOTATION_KEYWORDS]: "a,,b" }, {
    name: "",
    keywords: ["a", "", "b"],
  }],
  ["empty keywords value", { [ANNOTATION_KEYWORDS]: "" }, { name: "" }],
  [
    "Go TrimSpace: U+0085 and NBSP trimmed, U+FEFF kept",
    { [ANNOTATION_KEYWORDS]: "\u0085a\u00a0,\ufeffb" },
    { name: "", keywords: ["a", "\ufeffb"] },
  ],
  [
    "author from email alone",
    { [ANNOTATION_AUTHOR_EMAIL]: "test@test.com" },
    { name: "", author: { email: "test@test.com" } },
  ],
  [
    "empty author values give no author",
    { [ANNOTATION_AUTHOR_NAME]: "", [ANNOTATION_AUTHOR_URL]: "" },
    { name: "" },
  ],
];

for (const [name, annotations, want] of metadataCases) {
  Deno.test(`metadataFromAnnotations: ${name}`, () => {
    deepStrictEqual(metadataFromAnnotations(annotations), want);
  });
}

Deno.test("annotations round trip: build then read gives the metadata back", () => {
  const meta: KlausMetadata = {
    name: "base",
    description: "A <base> & plugin",
    author: { name: "Giant Swarm GmbH", email: "planeteers@giantswarm.io" },
    repository: "https://github.com/giantswarm/klaus-plugins",
    license: "Apache-2.0",
    keywords: ["giantswarm", "klaus", "plugins"],
  };
  deepStrictEqual(metadataFromAnnotations(buildKlausAnnotations(meta)), meta);
});
