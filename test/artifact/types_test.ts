import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  encodePersonalityConfig,
  encodePluginConfig,
} from "../../src/artifact/config_blob.ts";
import {
  pluginFromParts,
  toolchainFromAnnotations,
} from "../../src/artifact/describe_parse.ts";
import { parsePersonalityYaml } from "../../src/artifact/read_personality.ts";
import {
  type Personality,
  type Plugin,
  type PluginReference,
  referenceString,
  type Toolchain,
  type ToolchainReference,
} from "../../src/artifact/types.ts";
import { text } from "./_fs_helpers.ts";

// types_test.go TestPluginReference_Ref / TestToolchainReference_Ref
const refCases: [string, PluginReference | ToolchainReference, string][] = [
  [
    "plugin with tag",
    { repository: "registry.example.com/plugins/test", tag: "v1.0.0" },
    "registry.example.com/plugins/test:v1.0.0",
  ],
  [
    "plugin with digest",
    {
      repository: "registry.example.com/plugins/test",
      digest: "sha256:abc123",
    },
    "registry.example.com/plugins/test@sha256:abc123",
  ],
  [
    "plugin digest takes precedence over tag",
    {
      repository: "registry.example.com/plugins/test",
      tag: "v1.0.0",
      digest: "sha256:abc123",
    },
    "registry.example.com/plugins/test@sha256:abc123",
  ],
  [
    "plugin bare repository",
    { repository: "registry.example.com/plugins/test" },
    "registry.example.com/plugins/test",
  ],
  [
    "toolchain with tag",
    { repository: "registry.example.com/toolchains/go", tag: "v1.2.0" },
    "registry.example.com/toolchains/go:v1.2.0",
  ],
  [
    "toolchain with digest",
    {
      repository: "registry.example.com/toolchains/go",
      digest: "sha256:def456",
    },
    "registry.example.com/toolchains/go@sha256:def456",
  ],
  [
    "toolchain digest takes precedence over tag",
    {
      repository: "registry.example.com/toolchains/go",
      tag: "v1.2.0",
      digest: "sha256:def456",
    },
    "registry.example.com/toolchains/go@sha256:def456",
  ],
  [
    "toolchain bare repository",
    { repository: "registry.example.com/toolchains/go" },
    "registry.example.com/toolchains/go",
  ],
  [
    "empty tag and digest count as absent",
    { repository: "example.com/x", tag: "", digest: "" },
    "example.com/x",
  ],
];

for (const [name, ref, want] of refCases) {
  Deno.test(`referenceString: ${name}`, () => {
    strictEqual(referenceString(ref), want);
  });
}

Deno.test("Plugin: JSON round trip keeps every field", () => {
  const plugin: Plugin = {
    name: "gs-base",
    version: "1.0.0",
    description: "A general purpose plugin",
    author: { name: "Giant Swarm GmbH" },
    repository: "https://github.com/giantswarm/claude-code",
    license: "Apache-2.0",
    keywords: ["giantswarm", "platform"],
    skills: ["kubernetes", "fluxcd"],
    commands: ["hello", "init-kubernetes"],
    agents: ["code-reviewer"],
    hasHooks: true,
    mcpServers: ["github"],
  };
  deepStrictEqual(JSON.parse(JSON.stringify(plugin)), plugin);
});

Deno.test("Plugin: version never reaches the config blob", () => {
  const blob = JSON.parse(
    text(
      encodePluginConfig({ name: "test-plugin", version: "1.0.0" } as Plugin),
    ),
  );
  ok(!("version" in blob));
  deepStrictEqual(blob, {});
});

Deno.test("Plugin: assembled plugin has no empty fields (Go omitempty)", () => {
  const p = pluginFromParts(
    { "io.giantswarm.klaus.name": "commit-commands" },
    '{"commands":["commit","push","pr"]}',
    "v1.0.0",
  );
  strictEqual(
    JSON.stringify(p),
    '{"name":"commit-commands","version":"v1.0.0","commands":["commit","push","pr"]}',
  );
});

Deno.test("Personality: JSON round trip; version never reaches the config blob", () => {
  const p: Personality = {
    name: "sre",
    version: "1.0.0",
    description: "Giant Swarm SRE personality",
    author: { name: "Giant Swarm GmbH" },
    repository: "https://github.com/giantswarm/klaus-personalities",
    license: "Apache-2.0",
    keywords: ["giantswarm", "sre", "kubernetes"],
    toolchain: {
      repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
      tag: "latest",
    },
    plugins: [
      {
        repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
        tag: "latest",
      },
      {
        repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre",
        tag: "latest",
      },
    ],
  };
  deepStrictEqual(JSON.parse(JSON.stringify(p)), p);
  const blob = JSON.parse(text(encodePersonalityConfig(p)));
  ok(!("version" in blob));
  strictEqual(blob.plugins.length, 2);
});

const PERSONALITY_YAML = `
name: sre
description: Giant Swarm SRE personality
author:
  name: Giant Swarm GmbH
repository: https://github.com/giantswarm/klaus-personalities
license: Apache-2.0
keywords:
  - giantswarm
  - sre
  - kubernetes
  - platform
toolchain:
  repository: gsoci.azurecr.io/giantswarm/klaus-toolchains/go
  tag: latest
plugins:
  - repository: gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base
    tag: latest
  - repository: gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre
    tag: latest
`;

Deno.test("Personality: YAML decoding", () => {
  deepStrictEqual(parsePersonalityYaml(PERSONALITY_YAML), {
    name: "sre",
    description: "Giant Swarm SRE personality",
    author: { name: "Giant Swarm GmbH" },
    repository: "https://github.com/giantswarm/klaus-personalities",
    license: "Apache-2.0",
    keywords: ["giantswarm", "sre", "kubernetes", "platform"],
    toolchain: {
      repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
      tag: "latest",
    },
    plugins: [
      {
        repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
        tag: "latest",
      },
      {
        repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre",
        tag: "latest",
      },
    ],
  });
});

Deno.test("Personality: YAML version is ignored", () => {
  const p = parsePersonalityYaml(
    "name: test\nversion: should-be-ignored\ntoolchain:\n  repository: gsoci.azurecr.io/giantswarm/klaus-toolchains/go\n  tag: latest\n",
  );
  strictEqual(p.version, undefined);
  strictEqual(p.name, "test");
});

Deno.test("Toolchain: JSON round trip and name-only shape", () => {
  const t: Toolchain = {
    name: "go",
    version: "1.2.0",
    description: "Go toolchain for Klaus",
    author: { name: "Giant Swarm GmbH" },
    homepage: "https://docs.giantswarm.io/klaus/",
    repository: "https://github.com/giantswarm/klaus-images",
    license: "Apache-2.0",
    keywords: ["giantswarm", "go", "toolchain"],
  };
  deepStrictEqual(JSON.parse(JSON.stringify(t)), t);
  strictEqual(
    JSON.stringify(
      toolchainFromAnnotations({ "io.giantswarm.klaus.name": "go" }),
    ),
    '{"name":"go"}',
  );
});
