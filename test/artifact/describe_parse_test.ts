import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { InvalidArtifactError } from "../../src/errors.ts";
import {
  ANNOTATION_AUTHOR_EMAIL,
  ANNOTATION_AUTHOR_NAME,
  ANNOTATION_DESCRIPTION,
  ANNOTATION_HOMEPAGE,
  ANNOTATION_KEYWORDS,
  ANNOTATION_LICENSE,
  ANNOTATION_NAME,
  ANNOTATION_REPOSITORY,
} from "../../src/artifact/annotations.ts";
import {
  encodePersonalityConfig,
  encodePluginConfig,
} from "../../src/artifact/config_blob.ts";
import {
  personalityFromParts,
  pluginFromParts,
  toolchainFromAnnotations,
} from "../../src/artifact/describe_parse.ts";
import { readSoul } from "../../src/artifact/read_soul.ts";
import { withTempDir, writeTree } from "./_fs_helpers.ts";

const GO = "gsoci.azurecr.io/giantswarm/klaus-toolchains/go";

// pull_test.go TestParsePersonalityFromDir
Deno.test("personalityFromParts + readSoul: metadata, composition, version, soul", async () => {
  const config = encodePersonalityConfig({
    toolchain: { repository: GO, tag: "v1.0.0" },
    plugins: [{
      repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-platform",
      tag: "v1.2.0",
    }],
  });
  const p = personalityFromParts(
    { [ANNOTATION_NAME]: "sre", [ANNOTATION_DESCRIPTION]: "SRE personality" },
    config,
    "v1.0.0",
  );
  deepStrictEqual(p, {
    name: "sre",
    version: "v1.0.0",
    description: "SRE personality",
    toolchain: { repository: GO, tag: "v1.0.0" },
    plugins: [{
      repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-platform",
      tag: "v1.2.0",
    }],
  });
  await withTempDir(async (dir) => {
    await writeTree(dir, { "SOUL.md": "You are an SRE." });
    strictEqual(await readSoul(dir), "You are an SRE.");
  });
});

// pull_test.go TestParsePersonalityFromDir_CachedWithConfig
Deno.test("personalityFromParts: empty composition blob, missing SOUL.md", async () => {
  const p = personalityFromParts(
    {
      [ANNOTATION_NAME]: "cached",
      [ANNOTATION_DESCRIPTION]: "cached personality",
    },
    encodePersonalityConfig({}),
    "v1.0.0",
  );
  deepStrictEqual(p, {
    name: "cached",
    version: "v1.0.0",
    description: "cached personality",
  });
  await withTempDir(async (dir) => strictEqual(await readSoul(dir), ""));
});

// pull_test.go TestParsePersonalityFromDir_NoFiles / _NilConfigJSON
Deno.test("personalityFromParts: no annotations and no config", () => {
  deepStrictEqual(personalityFromParts(undefined, undefined, "v1.0.0"), {
    name: "",
    version: "v1.0.0",
  });
  deepStrictEqual(personalityFromParts({}, "null", "v1.0.0"), {
    name: "",
    version: "v1.0.0",
  });
});

// pull_test.go TestParsePersonalityFromDir_WithFullMetadata
Deno.test("personalityFromParts: full metadata", () => {
  const p = personalityFromParts(
    {
      [ANNOTATION_NAME]: "sre",
      [ANNOTATION_DESCRIPTION]: "SRE personality",
      [ANNOTATION_AUTHOR_NAME]: "Giant Swarm GmbH",
      [ANNOTATION_REPOSITORY]:
        "https://github.com/giantswarm/klaus-personalities",
      [ANNOTATION_LICENSE]: "Apache-2.0",
      [ANNOTATION_KEYWORDS]: "giantswarm,sre",
    },
    encodePersonalityConfig({
      toolchain: { repository: GO, tag: "v1.2.0" },
      plugins: [
        {
          repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
          tag: "v0.1.0",
        },
        {
          repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre",
          tag: "v0.2.0",
        },
      ],
    }),
    "v2.0.0",
  );
  strictEqual(p.version, "v2.0.0");
  deepStrictEqual(p.author, { name: "Giant Swarm GmbH" });
  strictEqual(p.license, "Apache-2.0");
  deepStrictEqual(p.keywords, ["giantswarm", "sre"]);
  deepStrictEqual(p.toolchain, { repository: GO, tag: "v1.2.0" });
  strictEqual(p.plugins?.length, 2);
});

// pull_test.go TestPluginFromAnnotations / _Full
Deno.test("pluginFromParts: name, version, skills", () => {
  deepStrictEqual(
    pluginFromParts(
      { [ANNOTATION_NAME]: "gs-platform" },
      encodePluginConfig({ skills: ["kubernetes"] }),
      "v1",
    ),
    { name: "gs-platform", version: "v1", skills: ["kubernetes"] },
  );
});

Deno.test("pluginFromParts: full", () => {
  deepStrictEqual(
    pluginFromParts(
      {
        [ANNOTATION_NAME]: "full-plugin",
        [ANNOTATION_DESCRIPTION]: "A full-featured plugin",
        [ANNOTATION_AUTHOR_NAME]: "Test",
        [ANNOTATION_AUTHOR_EMAIL]: "test@test.com",
        [ANNOTATION_REPOSITORY]: "https://github.com/test/repo",
        [ANNOTATION_LICENSE]: "MIT",
        [ANNOTATION_KEYWORDS]: "test",
      },
      encodePluginConfig({
        skills: ["alpha", "beta"],
        commands: ["cmd-a", "cmd-b"],
        agents: ["agent-x"],
        hasHooks: true,
        mcpServers: ["mcp-one"],
        lspServers: ["lsp-one"],
      }),
      "v2.0.0",
    ),
    {
      name: "full-plugin",
      version: "v2.0.0",
      description: "A full-featured plugin",
      author: { name: "Test", email: "test@test.com" },
      repository: "https://github.com/test/repo",
      license: "MIT",
      keywords: ["test"],
      skills: ["alpha", "beta"],
      commands: ["cmd-a", "cmd-b"],
      agents: ["agent-x"],
      hasHooks: true,
      mcpServers: ["mcp-one"],
      lspServers: ["lsp-one"],
    },
  );
});

Deno.test("pluginFromParts: digest references give an empty version", () => {
  strictEqual(pluginFromParts({}, "{}", "").version, "");
});

Deno.test("pluginFromParts: the blob cannot override metadata", () => {
  deepStrictEqual(
    pluginFromParts(
      { [ANNOTATION_NAME]: "real" },
      '{"name":"legacy","version":"v0"}',
      "v1",
    ),
    { name: "real", version: "v1" },
  );
});

Deno.test("from parts: invalid configs are errors (describe wraps them)", () => {
  for (const bad of ["", "not json", "[]", '{"skills":"x"}']) {
    throws(() => pluginFromParts({}, bad, "v1"), InvalidArtifactError);
  }
  for (const bad of ["", "{", '{"toolchain":"x"}', '{"plugins":{}}']) {
    throws(() => personalityFromParts({}, bad, "v1"), InvalidArtifactError);
  }
});

// describe_test.go TestToolchainFromAnnotations (+ _SingleKeyword)
Deno.test("toolchainFromAnnotations: full annotations", () => {
  const t = toolchainFromAnnotations({
    [ANNOTATION_NAME]: "go",
    [ANNOTATION_DESCRIPTION]: "Go toolchain for Klaus",
    [ANNOTATION_AUTHOR_NAME]: "Giant Swarm GmbH",
    [ANNOTATION_HOMEPAGE]: "https://docs.giantswarm.io/klaus/",
    [ANNOTATION_REPOSITORY]: "https://github.com/giantswarm/klaus-images",
    [ANNOTATION_LICENSE]: "Apache-2.0",
    [ANNOTATION_KEYWORDS]: "giantswarm,go,toolchain",
  });
  strictEqual(t.version, undefined);
  deepStrictEqual(t, {
    name: "go",
    description: "Go toolchain for Klaus",
    author: { name: "Giant Swarm GmbH" },
    homepage: "https://docs.giantswarm.io/klaus/",
    repository: "https://github.com/giantswarm/klaus-images",
    license: "Apache-2.0",
    keywords: ["giantswarm", "go", "toolchain"],
  });
});

Deno.test("toolchainFromAnnotations: minimal, nil, version annotation ignored", () => {
  deepStrictEqual(toolchainFromAnnotations({ [ANNOTATION_NAME]: "python" }), {
    name: "python",
  });
  deepStrictEqual(toolchainFromAnnotations(undefined), { name: "" });
  const t = toolchainFromAnnotations({
    [ANNOTATION_NAME]: "go",
    "org.opencontainers.image.version": "v999.0.0",
  }, "v1.0.0");
  deepStrictEqual(t, { name: "go", version: "v1.0.0" });
});

Deno.test("toolchainFromAnnotations: keyword trimming and a single keyword", () => {
  deepStrictEqual(
    toolchainFromAnnotations({
      [ANNOTATION_NAME]: "go",
      [ANNOTATION_KEYWORDS]: "giantswarm, go , toolchain",
    })
      .keywords,
    ["giantswarm", "go", "toolchain"],
  );
  deepStrictEqual(
    toolchainFromAnnotations({
      [ANNOTATION_NAME]: "test",
      [ANNOTATION_KEYWORDS]: "single",
    }).keywords,
    ["single"],
  );
});

Deno.test("toolchainFromAnnotations: the real klaus-toolchains index annotations", () => {
  const t = toolchainFromAnnotations({
    "io.giantswarm.klaus.name": "go",
    "io.giantswarm.klaus.description": "Go toolchain for Klaus",
    "io.giantswarm.klaus.repository":
      "https://github.com/giantswarm/klaus-toolchains",
    "io.giantswarm.klaus.license": "Apache-2.0",
    "io.giantswarm.klaus.keywords": "giantswarm,go,toolchain",
    "io.giantswarm.klaus.author.name": "Giant Swarm GmbH",
    "io.giantswarm.klaus.author.url": "https://giantswarm.io",
    "org.opencontainers.image.source":
      "https://github.com/giantswarm/klaus-toolchains",
    "org.opencontainers.image.version": "0.1.14",
  }, "0.1.14");
  deepStrictEqual(t, {
    name: "go",
    version: "0.1.14",
    description: "Go toolchain for Klaus",
    author: { name: "Giant Swarm GmbH", url: "https://giantswarm.io" },
    repository: "https://github.com/giantswarm/klaus-toolchains",
    license: "Apache-2.0",
    keywords: ["giantswarm", "go", "toolchain"],
  });
  ok(!("homepage" in t));
});
