import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError } from "../../src/errors.ts";
import {
  parsePersonalityYaml,
  readPersonalityFromDir,
} from "../../src/artifact/read_personality.ts";
import { readSoul } from "../../src/artifact/read_soul.ts";
import type { Personality } from "../../src/artifact/types.ts";
import { buildKlausAnnotations } from "../../src/artifact/annotations.ts";
import { encodePersonalityConfig } from "../../src/artifact/config_blob.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { fixture, withTempDir, writeTree } from "./_fs_helpers.ts";

function readYaml(
  yaml: string,
  extra: Record<string, string> = {},
): Promise<Personality> {
  return withTempDir(async (dir) => {
    await writeTree(dir, { "personality.yaml": yaml, ...extra });
    return await readPersonalityFromDir(dir);
  });
}

const GO = "gsoci.azurecr.io/giantswarm/klaus-toolchains/go";
const GS_BASE = "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base";
const GS_SRE = "gsoci.azurecr.io/giantswarm/klaus-plugins/gs-sre";

Deno.test("readPersonalityFromDir: full personality (read_test TestReadPersonalityFromDir)", async () => {
  deepStrictEqual(
    await readYaml(`
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
  repository: ${GO}
  tag: latest
plugins:
  - repository: ${GS_BASE}
    tag: latest
  - repository: ${GS_SRE}
    tag: v1.2.0
`),
    {
      name: "sre",
      description: "Giant Swarm SRE personality",
      author: { name: "Giant Swarm GmbH" },
      repository: "https://github.com/giantswarm/klaus-personalities",
      license: "Apache-2.0",
      keywords: ["giantswarm", "sre", "kubernetes", "platform"],
      toolchain: { repository: GO, tag: "latest" },
      plugins: [
        { repository: GS_BASE, tag: "latest" },
        { repository: GS_SRE, tag: "v1.2.0" },
      ],
    },
  );
});

Deno.test("readPersonalityFromDir: minimal personality", async () => {
  deepStrictEqual(
    await readYaml(`
name: python
description: Python personality
toolchain:
  repository: gsoci.azurecr.io/giantswarm/klaus-toolchains/python
  tag: latest
`),
    {
      name: "python",
      description: "Python personality",
      toolchain: {
        repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/python",
        tag: "latest",
      },
    },
  );
});

Deno.test("readPersonalityFromDir: missing file", async () => {
  await withTempDir(async (dir) => {
    await rejects(readPersonalityFromDir(dir), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      strictEqual(
        (e as Error).message,
        `reading personality.yaml: open ${
          join(dir, "personality.yaml")
        }: no such file or directory`,
      );
      return true;
    });
  });
});

Deno.test("readPersonalityFromDir: invalid YAML", async () => {
  await rejects(readYaml(":\n  :\n    :\n  bad: ["), (e: unknown) => {
    ok(e instanceof InvalidArtifactError);
    ok(
      (e as Error).message.startsWith("parsing personality.yaml: yaml: line "),
      (e as Error).message,
    );
    return true;
  });
});

Deno.test("readPersonalityFromDir: missing name", async () => {
  await rejects(
    readYaml(
      `description: A personality without a name\ntoolchain:\n  repository: ${GO}\n  tag: latest\n`,
    ),
    {
      name: "InvalidArtifactError",
      message: "personality.yaml: name is required",
    },
  );
});

Deno.test("readPersonalityFromDir: empty file, null name, whitespace name", async () => {
  await rejects(readYaml(""), {
    message: "personality.yaml: name is required",
  });
  await rejects(readYaml("# only a comment\n"), {
    message: "personality.yaml: name is required",
  });
  await rejects(readYaml("name: ~\n"), {
    message: "personality.yaml: name is required",
  });
  strictEqual((await readYaml("name: ' '\n")).name, " ");
});

Deno.test("readPersonalityFromDir: version in YAML ignored", async () => {
  const p = await readYaml(
    `name: test\nversion: should-be-ignored\ntoolchain:\n  repository: ${GO}\n  tag: latest\n`,
  );
  strictEqual(p.version, undefined);
  ok(!("version" in p));
});

Deno.test("readPersonalityFromDir: SOUL.md is not read", async () => {
  const p = await readYaml(
    `name: sre\ntoolchain:\n  repository: ${GO}\n  tag: latest\n`,
    {
      "SOUL.md": "# SRE Soul\nI am the SRE personality.",
    },
  );
  deepStrictEqual(p, {
    name: "sre",
    toolchain: { repository: GO, tag: "latest" },
  });
});

Deno.test("readPersonalityFromDir: homepage and digest reference", async () => {
  const p = await readYaml(`
name: production
description: Production personality with pinned dependencies
homepage: https://docs.giantswarm.io/klaus/production
toolchain:
  repository: ${GO}
  tag: v1.2.0
plugins:
  - repository: ${GS_BASE}
    tag: v0.1.0
  - repository: ${GS_SRE}
    digest: sha256:abcdef1234567890
`);
  strictEqual(p.homepage, "https://docs.giantswarm.io/klaus/production");
  deepStrictEqual(p.toolchain, { repository: GO, tag: "v1.2.0" });
  deepStrictEqual(p.plugins, [
    { repository: GS_BASE, tag: "v0.1.0" },
    { repository: GS_SRE, digest: "sha256:abcdef1234567890" },
  ]);
});

Deno.test("readPersonalityFromDir: all metadata", async () => {
  const p = await readYaml(`
name: full
description: A fully specified personality
author:
  name: Giant Swarm GmbH
  email: support@giantswarm.io
  url: https://giantswarm.io
homepage: https://docs.giantswarm.io/klaus/
repository: https://github.com/giantswarm/klaus-personalities
license: Apache-2.0
keywords:
  - giantswarm
  - kubernetes
  - platform
  - full
toolchain:
  repository: ${GO}
  tag: v1.2.0
plugins:
  - repository: ${GS_BASE}
    tag: v0.1.0
`);
  deepStrictEqual(p, {
    name: "full",
    description: "A fully specified personality",
    author: {
      name: "Giant Swarm GmbH",
      email: "support@giantswarm.io",
      url: "https://giantswarm.io",
    },
    homepage: "https://docs.giantswarm.io/klaus/",
    repository: "https://github.com/giantswarm/klaus-personalities",
    license: "Apache-2.0",
    keywords: ["giantswarm", "kubernetes", "platform", "full"],
    toolchain: { repository: GO, tag: "v1.2.0" },
    plugins: [{ repository: GS_BASE, tag: "v0.1.0" }],
  });
});

Deno.test("readPersonalityFromDir: fixture personalities/sre", async () => {
  deepStrictEqual(await readPersonalityFromDir(fixture("personalities/sre")), {
    name: "sre",
    description:
      "Giant Swarm SRE personality -- platform operations, incident response, and infrastructure management",
    author: { name: "Giant Swarm GmbH" },
    homepage: "https://github.com/giantswarm/klaus-personalities",
    repository: "https://github.com/giantswarm/klaus-personalities",
    license: "Apache-2.0",
    keywords: ["giantswarm", "sre", "kubernetes", "platform"],
    toolchain: { repository: GO, tag: "0.1.14" },
    plugins: [],
  });
});

Deno.test("readPersonalityFromDir: fixture personalities/legacy-sre is rejected", async () => {
  await rejects(
    readPersonalityFromDir(fixture("personalities/legacy-sre")),
    (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      strictEqual((e as Error).message, "personality.yaml: name is required");
      return true;
    },
  );
});

// String fields take the scalar text as written, as yaml.v3 decodes into Go
// strings (`tag: 1.0` stays "1.0", never a number).
const scalarCases: [string, string, string | undefined][] = [
  ["0.1.14", "0.1.14", "0.1.14"],
  ["1.0", "1.0", "1.0"],
  ["010", "010", "010"],
  ["1e3", "1e3", "1e3"],
  ["0x1F", "0x1F", "0x1F"],
  ["true", "true", "true"],
  ["no (YAML 1.1 bool)", "no", "no"],
  ["2026-01-15", "2026-01-15", "2026-01-15"],
  [".inf", ".inf", ".inf"],
  ["v1.0.0", "v1.0.0", "v1.0.0"],
  ["single-quoted", "'1.0'", "1.0"],
  ["double-quoted with escape", '"a\\tb"', "a\tb"],
  ["quoted null is a string", "'null'", "null"],
  ["!!str tag", "!!str 1.0", "1.0"],
  ["!!int tag keeps text", "!!int 010", "010"],
  ["null", "null", undefined],
  ["Null", "Null", undefined],
  ["NULL", "NULL", undefined],
  ["~", "~", undefined],
  ["empty", "", undefined],
  ["!!null tag", "!!null x", undefined],
  ["nULL is a string", "nULL", "nULL"],
];

for (const [name, yaml, want] of scalarCases) {
  Deno.test(`parsePersonalityYaml: scalar ${name}`, () => {
    const p = parsePersonalityYaml(
      `name: x\ntoolchain:\n  repository: r\n  tag: ${yaml}\n`,
    );
    strictEqual(p.toolchain?.tag, want);
  });
}

Deno.test('parsePersonalityYaml: name: true stays the string "true"; block scalars keep their text', () => {
  strictEqual(parsePersonalityYaml("name: true").name, "true");
  strictEqual(parsePersonalityYaml("name: 123").name, "123");
  strictEqual(
    parsePersonalityYaml("name: x\ndescription: |\n  line one\n  line two\n")
      .description,
    "line one\nline two\n",
  );
  strictEqual(
    parsePersonalityYaml("name: x\ndescription: folded\n  plain text\n")
      .description,
    "folded plain text",
  );
  // yaml.v3 leaves the null out of the []string
  deepStrictEqual(
    parsePersonalityYaml("name: x\nkeywords: [1.0, ~, yes]\n").keywords,
    ["1.0", "yes"],
  );
});

const shapeCases: [string, string, Personality][] = [
  ["author: {} is an empty author", "name: x\nauthor: {}\n", {
    name: "x",
    author: {},
  }],
  ["author: ~ is no author", "name: x\nauthor: ~\n", { name: "x" }],
  ["plugins: [] kept empty", "name: x\nplugins: []\n", {
    name: "x",
    plugins: [],
  }],
  ["empty toolchain is none", "name: x\ntoolchain: {}\n", { name: "x" }],
  ["null plugin entry is left out", "name: x\nplugins:\n  - ~\n", {
    name: "x",
    plugins: [],
  }],
  ["an empty mapping entry is an empty reference", "name: x\nplugins: [{}]\n", {
    name: "x",
    plugins: [{ repository: "" }],
  }],
  [
    "legacy image key ignored",
    "name: x\nimage: gsoci.azurecr.io/giantswarm/klaus-go:latest\n",
    {
      name: "x",
    },
  ],
  ["keys are case-sensitive", "Name: X\nname: x\nDescription: ignored\n", {
    name: "x",
  }],
  ["only the first document", "name: first\n---\nname: second\n", {
    name: "first",
  }],
  ["errors in a later document are not seen", "name: first\n---\nbad: [\n", {
    name: "first",
  }],
  ["anchors and aliases", "name: &n x\ndescription: *n\n", {
    name: "x",
    description: "x",
  }],
  [
    "merge keys: explicit keys win",
    "base: &b\n  repository: r\n  tag: v1\nname: x\ntoolchain:\n  <<: *b\n  tag: v2\n",
    { name: "x", toolchain: { repository: "r", tag: "v2" } },
  ],
  [
    "merge keys: a list of maps, the first wins",
    "a: &a {tag: a}\nb: &b {tag: b, digest: d}\nname: x\ntoolchain:\n  <<: [*a, *b]\n  repository: r\n",
    { name: "x", toolchain: { repository: "r", tag: "a", digest: "d" } },
  ],
  ["UTF-8 byte-order mark", "\ufeffname: x\n", { name: "x" }],
];

for (const [name, yaml, want] of shapeCases) {
  Deno.test(`parsePersonalityYaml: ${name}`, () => {
    deepStrictEqual(parsePersonalityYaml(yaml), want);
  });
}

// gopkg.in/yaml.v3 v3.0.1 decoder.sequence: a slice of len(items) is made
// and only the items whose unmarshal succeeds are kept; a null into a
// string or struct element "fails" (decoder.null sets only interfaces,
// pointers, maps and slices), so null items vanish — plain `null`, `~`,
// `Null`, `NULL`, an empty item, `!!null`, an alias of a null — while `""`,
// `'null'` and `!!str null` are strings and stay.
// [yaml, keywords, keywords annotation (undefined: none), plugins]
const nullItemCases: [
  string,
  string[] | undefined,
  string | undefined,
  Personality["plugins"],
][] = [
  ["keywords: [a, null]", ["a"], "a", undefined],
  ['keywords: [a, null, ""]', ["a", ""], "a,", undefined],
  ["keywords: [a, ~, b]", ["a", "b"], "a,b", undefined],
  ["keywords: [null]", [], undefined, undefined],
  ["keywords: [Null, NULL, ~]", [], undefined, undefined],
  ["keywords:\n  - a\n  -\n  - b", ["a", "b"], "a,b", undefined],
  ["keywords: [a, !!null , b]", ["a", "b"], "a,b", undefined],
  ["n: &n ~\nkeywords: [a, *n]", ["a"], "a", undefined],
  [
    "keywords: ['null', \"~\", !!str null]",
    ["null", "~", "null"],
    "null,~,null",
    undefined,
  ],
  ["keywords: [a, '']", ["a", ""], "a,", undefined],
  ["plugins: [null]", undefined, undefined, []],
  ["plugins: [~, {repository: r}, null]", undefined, undefined, [{
    repository: "r",
  }]],
  ["plugins:\n  -\n  - repository: r\n    tag: v1", undefined, undefined, [{
    repository: "r",
    tag: "v1",
  }]],
  ["plugins: [{}, null]", undefined, undefined, [{ repository: "" }]],
];

Deno.test("parsePersonalityYaml: null list items are left out, as yaml.v3 does (issue 12)", async (t) => {
  for (const [yaml, keywords, annotation, plugins] of nullItemCases) {
    await t.step(yaml, () => {
      const p = parsePersonalityYaml(`name: x\n${yaml}\n`);
      deepStrictEqual(p.keywords, keywords);
      deepStrictEqual(p.plugins, plugins);
      strictEqual(
        buildKlausAnnotations(p)?.["io.giantswarm.klaus.keywords"],
        annotation,
      );
    });
  }
});

Deno.test("parsePersonalityYaml: null items change nothing in the config blob or its digest", () => {
  // Go: `plugins: [null]` decodes to an empty slice, which omitempty drops:
  // the empty personality blob and its digest.
  const empty = encodePersonalityConfig(
    parsePersonalityYaml("name: x\nplugins: [null]\n"),
  );
  strictEqual(
    new TextDecoder().decode(empty),
    '{"toolchain":{"repository":""}}',
  );
  strictEqual(
    digestOf(empty),
    digestOf(new TextEncoder().encode('{"toolchain":{"repository":""}}')),
  );
  const one = encodePersonalityConfig(
    parsePersonalityYaml(
      "name: x\nplugins: [~, {repository: r, tag: v1}, null]\n",
    ),
  );
  strictEqual(
    new TextDecoder().decode(one),
    '{"toolchain":{"repository":""},"plugins":[{"repository":"r","tag":"v1"}]}',
  );
});

const yamlErrors: [string, string, RegExp][] = [
  [
    "duplicate key",
    "name: a\nname: b\n",
    /^yaml: unmarshal errors:\n {2}line 2: mapping key "name" already defined at line 1$/,
  ],
  [
    "duplicate key, quoted",
    "name: a\n'name': b\n",
    /mapping key "name" already defined/,
  ],
  [
    "duplicate nested key",
    "name: a\ntoolchain:\n  tag: x\n  tag: y\n",
    /line 4: mapping key "tag" already defined at line 3/,
  ],
  [
    "plugins as a string",
    'name: x\nplugins: "x"\n',
    /line 2: cannot unmarshal !!str `x` into \[\]oci\.PluginReference/,
  ],
  [
    "toolchain as a string",
    'name: x\ntoolchain: "repo:tag"\n',
    /cannot unmarshal !!str `repo:tag` into oci\.ToolchainReference/,
  ],
  ["name as a list", "name: [a]\n", /cannot unmarshal !!seq into string/],
  [
    "keywords as a map",
    "name: x\nkeywords: {a: b}\n",
    /cannot unmarshal !!map into \[\]string/,
  ],
  [
    "author as a string",
    "name: x\nauthor: Jane\n",
    /cannot unmarshal !!str `Jane` into oci\.Author/,
  ],
  [
    "plugin entry as a number",
    "name: x\nplugins: [1]\n",
    /cannot unmarshal !!int `1` into oci\.PluginReference/,
  ],
  [
    "top level a scalar",
    "hello\n",
    /cannot unmarshal !!str `hello` into oci\.Personality/,
  ],
  ["top level a list", "- a\n", /cannot unmarshal !!seq into oci\.Personality/],
  ["unknown anchor", "name: *nope\n", /^yaml: /],
  ["unclosed quote", "name: 'x\n", /^yaml: line \d+: /],
  ["self-referencing merge", "name: x\ntoolchain: &t\n  <<: *t\n", /^yaml: /],
];

for (const [name, yaml, message] of yamlErrors) {
  Deno.test(`parsePersonalityYaml: ${name} is an error`, () => {
    throws(() => parsePersonalityYaml(yaml), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      ok(message.test((e as Error).message), (e as Error).message);
      return true;
    });
  });
}

Deno.test("parsePersonalityYaml: merge-key alias bombs are refused", () => {
  let yaml = "a0: &a0 {tag: x}\n";
  for (let i = 1; i <= 30; i++) {
    yaml += `a${i}: &a${i} {<<: [*a${i - 1}, *a${i - 1}]}\n`;
  }
  yaml += "name: bomb\ntoolchain:\n  <<: *a30\n  repository: r\n";
  const started = Date.now();
  throws(() => parsePersonalityYaml(yaml), /excessive aliasing/);
  ok(Date.now() - started < 5000);
});

Deno.test("readPersonalityFromDir: parse errors are prefixed", async () => {
  await rejects(readYaml("name: a\nname: b\n"), {
    name: "InvalidArtifactError",
    message:
      'parsing personality.yaml: yaml: unmarshal errors:\n  line 2: mapping key "name" already defined at line 1',
  });
});

Deno.test("readSoul: text, missing, unreadable", async () => {
  await withTempDir(async (dir) => {
    strictEqual(await readSoul(dir), "");
    await writeTree(dir, {
      "SOUL.md": "# SRE Personality\n\nYou are an SRE expert.",
    });
    strictEqual(
      await readSoul(dir),
      "# SRE Personality\n\nYou are an SRE expert.",
    );
  });
  await withTempDir(async (dir) => {
    await mkdir(join(dir, "SOUL.md"));
    await rejects(
      readSoul(dir),
      /^InvalidArtifactError: reading SOUL\.md: read .*SOUL\.md: is a directory$/,
    );
  });
  strictEqual(
    (await readSoul(fixture("personalities/sre"))).split("\n")[0],
    "# SRE Personality",
  );
});
