import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { InvalidArtifactError } from "../../src/errors.ts";
import { digestOf } from "../../src/oci/digest.ts";
import {
  decodePersonalityConfig,
  decodePluginConfig,
  encodePersonalityConfig,
  encodePluginConfig,
  type PersonalityComposition,
} from "../../src/artifact/config_blob.ts";
import { readPersonalityFromDir } from "../../src/artifact/read_personality.ts";
import { readPluginFromDir } from "../../src/artifact/read_plugin.ts";
import type {
  Personality,
  Plugin,
  PluginComponents,
} from "../../src/artifact/types.ts";
import { fixture, text } from "./_fs_helpers.ts";

const METADATA_KEYS = [
  "name",
  "description",
  "author",
  "homepage",
  "repository",
  "license",
  "keywords",
  "version",
];

// push_test.go TestPluginConfigBlob_ExcludesCommonMetadata
Deno.test("plugin blob: only component keys, all six when set, in Go order", () => {
  const p: Plugin = {
    name: "gs-base",
    version: "v1.0.0",
    description: "A base plugin",
    author: { name: "Giant Swarm", email: "dev@giantswarm.io" },
    homepage: "https://giantswarm.io",
    repository: "https://github.com/giantswarm/gs-base",
    license: "Apache-2.0",
    keywords: ["platform", "base"],
    skills: ["kubernetes", "fluxcd"],
    commands: ["init", "deploy"],
    agents: ["code-reviewer"],
    hasHooks: true,
    mcpServers: ["github"],
    lspServers: ["gopls"],
  };
  const json = text(encodePluginConfig(p));
  strictEqual(
    json,
    '{"skills":["kubernetes","fluxcd"],"commands":["init","deploy"],"agents":["code-reviewer"],' +
      '"hasHooks":true,"mcpServers":["github"],"lspServers":["gopls"]}',
  );
  const raw = JSON.parse(json);
  for (const k of METADATA_KEYS) ok(!(k in raw), `blob must not contain ${k}`);
});

// push_test.go TestPluginConfigBlob_EmptyComponents
Deno.test("plugin blob: empty is exactly {} with the OCI empty-JSON digest", () => {
  const cases: PluginComponents[] = [
    {},
    {
      skills: [],
      commands: [],
      agents: [],
      hasHooks: false,
      mcpServers: [],
      lspServers: [],
    },
  ];
  for (const c of cases) {
    const bytes = encodePluginConfig(c);
    strictEqual(text(bytes), "{}");
    strictEqual(
      digestOf(bytes),
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  }
});

Deno.test("plugin blob: Go string escaping", () => {
  strictEqual(
    text(encodePluginConfig({ commands: ["<b>", "a&b", "x\u2028"] })),
    '{"commands":["\\u003cb\\u003e","a\\u0026b","x\\u2028"]}',
  );
});

// push_test.go TestPersonalityConfigBlob_ExcludesCommonMetadata
Deno.test("personality blob: only toolchain and plugins", () => {
  const p: Personality = {
    name: "sre",
    version: "v1.0.0",
    description: "SRE personality",
    author: { name: "Giant Swarm" },
    homepage: "https://giantswarm.io",
    repository: "https://github.com/giantswarm/sre",
    license: "Apache-2.0",
    keywords: ["sre", "ops"],
    toolchain: {
      repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
      tag: "v1.0.0",
    },
    plugins: [{
      repository: "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
      tag: "v1.0.0",
    }],
  };
  const json = text(encodePersonalityConfig(p));
  strictEqual(
    json,
    '{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"v1.0.0"},' +
      '"plugins":[{"repository":"gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base","tag":"v1.0.0"}]}',
  );
  const raw = JSON.parse(json);
  for (const k of METADATA_KEYS) ok(!(k in raw), `blob must not contain ${k}`);
});

// push_test.go TestPersonalityConfigBlob_EmptyComposition
Deno.test("personality blob: empty keeps the toolchain struct, omits plugins", () => {
  strictEqual(
    text(encodePersonalityConfig({})),
    '{"toolchain":{"repository":""}}',
  );
  strictEqual(
    text(encodePersonalityConfig({ plugins: [] })),
    '{"toolchain":{"repository":""}}',
  );
});

Deno.test("personality blob: references keep tag and digest, in Go key order", () => {
  strictEqual(
    text(encodePersonalityConfig({
      plugins: [{ repository: "r", digest: "sha256:abc", tag: "v1" }, {
        repository: "",
      }],
    })),
    '{"toolchain":{"repository":""},"plugins":[{"repository":"r","tag":"v1","digest":"sha256:abc"},{"repository":""}]}',
  );
});

Deno.test('fixture plugins/base: config blob is exactly {"commands":["hello"]}', async () => {
  const plugin = await readPluginFromDir(fixture("plugins/base"));
  strictEqual(text(encodePluginConfig(plugin)), '{"commands":["hello"]}');
});

Deno.test("fixture personalities/sre: config blob bytes", async () => {
  const p = await readPersonalityFromDir(fixture("personalities/sre"));
  strictEqual(
    text(encodePersonalityConfig(p)),
    '{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"0.1.14"}}',
  );
});

const pluginDecodeCases: [string, string, PluginComponents][] = [
  ["empty object", "{}", {}],
  ["null", "null", {}],
  [
    "all components",
    '{"skills":["a"],"commands":["c"],"agents":["g"],"hasHooks":true,"mcpServers":["m"],"lspServers":["l"]}',
    {
      skills: ["a"],
      commands: ["c"],
      agents: ["g"],
      hasHooks: true,
      mcpServers: ["m"],
      lspServers: ["l"],
    },
  ],
  ["keys case-insensitive", '{"Skills":["fluxcd"],"HASHOOKS":true}', {
    skills: ["fluxcd"],
    hasHooks: true,
  }],
  [
    "unknown keys ignored (legacy name/version)",
    '{"name":"x","version":"v1","commands":["c"]}',
    {
      commands: ["c"],
    },
  ],
  ["null values", '{"skills":null,"hasHooks":null}', {}],
  ["hasHooks false omitted", '{"hasHooks":false}', {}],
  ["last duplicate wins", '{"commands":["a"],"commands":["b"]}', {
    commands: ["b"],
  }],
];

for (const [name, json, want] of pluginDecodeCases) {
  Deno.test(`decodePluginConfig: ${name}`, () => {
    deepStrictEqual(decodePluginConfig(new TextEncoder().encode(json)), want);
  });
}

const invalidBlobs: [string, string, RegExp][] = [
  ["invalid JSON", "not json", /invalid character/],
  ["empty", "", /unexpected end of JSON input/],
  ["array top level", "[]", /cannot unmarshal array into Go value/],
  [
    "string list as string",
    '{"skills":"x"}',
    /Go struct field pluginConfigBlob\.skills of type \[\]string/,
  ],
  ["bool as string", '{"hasHooks":"yes"}', /of type bool/],
];

for (const [name, json, message] of invalidBlobs) {
  Deno.test(`decodePluginConfig: ${name} is an error`, () => {
    throws(() => decodePluginConfig(json), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      ok(message.test((e as Error).message), (e as Error).message);
      return true;
    });
  });
}

const personalityDecodeCases: [string, string, PersonalityComposition][] = [
  ["empty toolchain gives none", '{"toolchain":{"repository":""}}', {}],
  ["empty object", "{}", {}],
  [
    "fixture sre blob",
    '{"toolchain":{"repository":"gsoci.azurecr.io/giantswarm/klaus-toolchains/go","tag":"0.1.14"}}',
    {
      toolchain: {
        repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
        tag: "0.1.14",
      },
    },
  ],
  [
    "plugins with digest and case-insensitive keys",
    '{"Toolchain":{"Repository":"r/go","TAG":"v1"},"plugins":[{"repository":"r/a","digest":"sha256:x"},null]}',
    {
      toolchain: { repository: "r/go", tag: "v1" },
      plugins: [{ repository: "r/a", digest: "sha256:x" }, { repository: "" }],
    },
  ],
  ["legacy blob {name, version}", '{"name":"sre","version":"v0.0.1"}', {}],
  ["null toolchain", '{"toolchain":null}', {}],
  ["empty plugins kept", '{"plugins":[]}', { plugins: [] }],
];

for (const [name, json, want] of personalityDecodeCases) {
  Deno.test(`decodePersonalityConfig: ${name}`, () => {
    deepStrictEqual(decodePersonalityConfig(json), want);
  });
}

Deno.test("decodePersonalityConfig: type mismatches are errors", () => {
  throws(() => decodePersonalityConfig('{"toolchain":"r:v1"}'), {
    message:
      "json: cannot unmarshal string into Go struct field personalityConfigBlob.toolchain of type oci.ToolchainReference",
  });
  throws(() => decodePersonalityConfig('{"plugins":{}}'), InvalidArtifactError);
  throws(() => decodePersonalityConfig('{"plugins":[{"tag":1}]}'), {
    message:
      "json: cannot unmarshal number into Go struct field personalityConfigBlob.plugins.tag of type string",
  });
});

Deno.test("config blobs round trip through encode and decode", () => {
  const plugin: PluginComponents = {
    skills: ["a"],
    commands: ["<c>"],
    hasHooks: true,
    lspServers: ["gopls"],
  };
  deepStrictEqual(decodePluginConfig(encodePluginConfig(plugin)), plugin);
  const p: PersonalityComposition = {
    toolchain: { repository: "r/go", digest: "sha256:1" },
    plugins: [{ repository: "r/a", tag: "v1" }],
  };
  deepStrictEqual(decodePersonalityConfig(encodePersonalityConfig(p)), p);
});
