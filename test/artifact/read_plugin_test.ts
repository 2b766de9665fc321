import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError } from "../../src/errors.ts";
import { buildKlausAnnotations } from "../../src/artifact/annotations.ts";
import {
  parsePluginManifest,
  readPluginFromDir,
} from "../../src/artifact/read_plugin.ts";
import type { Plugin } from "../../src/artifact/types.ts";
import { fixture, withTempDir, writeTree } from "./_fs_helpers.ts";

const MANIFEST = ".claude-plugin/plugin.json";

/** read_test.go setupFullPlugin */
const FULL_PLUGIN: Record<string, string> = {
  [MANIFEST]: `{
  "name": "gs-base",
  "description": "A general purpose plugin",
  "author": {"name": "Giant Swarm GmbH"},
  "repository": "https://github.com/giantswarm/claude-code",
  "homepage": "https://docs.giantswarm.io",
  "license": "Apache-2.0",
  "keywords": ["giantswarm", "platform"]
}`,
  "skills/kubernetes/SKILL.md": "# Kubernetes",
  "skills/fluxcd/SKILL.md": "# FluxCD",
  "commands/hello.md": "# Hello command",
  "commands/init-kubernetes.md": "# Init Kubernetes",
  "agents/code-reviewer.md": "# Code Reviewer",
  "agents/security-reviewer.md": "# Security Reviewer",
  "hooks/hooks.json": '{"PreToolUse": []}',
  ".mcp.json": '{"github": {"command": "gh-mcp"}}',
  ".lsp.json": '{"gopls": {"command": "gopls"}}',
};

/** Reads a plugin from a temporary tree made of `files` (and `dirs`). */
function readTree(
  files: Record<string, string>,
  dirs: string[] = [],
): Promise<Plugin> {
  return withTempDir(async (dir) => {
    await writeTree(dir, files);
    for (const d of dirs) await mkdir(join(dir, d), { recursive: true });
    return await readPluginFromDir(dir);
  });
}

Deno.test("readPluginFromDir: full plugin (read_test TestReadPluginFromDir)", async () => {
  deepStrictEqual(await readTree(FULL_PLUGIN), {
    name: "gs-base",
    description: "A general purpose plugin",
    author: { name: "Giant Swarm GmbH" },
    homepage: "https://docs.giantswarm.io",
    repository: "https://github.com/giantswarm/claude-code",
    license: "Apache-2.0",
    keywords: ["giantswarm", "platform"],
    skills: ["fluxcd", "kubernetes"],
    commands: ["hello", "init-kubernetes"],
    agents: ["code-reviewer", "security-reviewer"],
    hasHooks: true,
    mcpServers: ["github"],
    lspServers: ["gopls"],
  });
});

Deno.test("readPluginFromDir: minimal plugin has no components", async () => {
  deepStrictEqual(
    await readTree({
      [MANIFEST]: '{"name":"commit-commands","description":"Simple commands"}',
    }),
    { name: "commit-commands", description: "Simple commands" },
  );
});

Deno.test("readPluginFromDir: missing manifest", async () => {
  await withTempDir(async (dir) => {
    await rejects(readPluginFromDir(dir), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      strictEqual(
        (e as Error).message,
        `reading plugin manifest: open ${
          join(dir, MANIFEST)
        }: no such file or directory`,
      );
      return true;
    });
  });
});

Deno.test("readPluginFromDir: plugin.json that is a directory", async () => {
  await withTempDir(async (dir) => {
    await mkdir(join(dir, MANIFEST), { recursive: true });
    await rejects(
      readPluginFromDir(dir),
      /^InvalidArtifactError: reading plugin manifest: read .*plugin\.json: is a directory$/,
    );
  });
});

const invalidManifests: [string, string, string][] = [
  [
    "invalid JSON",
    "not json",
    "parsing plugin manifest: invalid character 'o' in literal null (expecting 'u')",
  ],
  ["empty file", "", "parsing plugin manifest: unexpected end of JSON input"],
  [
    "UTF-8 BOM",
    "\ufeff{}",
    "parsing plugin manifest: invalid character '\\ufeff' looking for beginning of value",
  ],
  [
    "array top level",
    "[]",
    "parsing plugin manifest: json: cannot unmarshal array into Go value of type oci.Plugin",
  ],
  [
    "author not an object",
    '{"author":"Jane"}',
    "parsing plugin manifest: json: cannot unmarshal string into Go struct field Plugin.author of type oci.Author",
  ],
  [
    "author name not a string",
    '{"author":{"name":1}}',
    "parsing plugin manifest: json: cannot unmarshal number into Go struct field Plugin.author.name of type string",
  ],
  [
    "keywords a string",
    '{"keywords":"a,b"}',
    "parsing plugin manifest: json: cannot unmarshal string into Go struct field Plugin.keywords of type []string",
  ],
  [
    "keywords not strings",
    '{"keywords":[1]}',
    "parsing plugin manifest: json: cannot unmarshal number into Go struct field Plugin.keywords of type string",
  ],
  [
    "repository an object",
    '{"repository":{"type":"git","url":"x"}}',
    "parsing plugin manifest: json: cannot unmarshal object into Go struct field Plugin.repository of type string",
  ],
  [
    "name a number",
    '{"name":1}',
    "parsing plugin manifest: json: cannot unmarshal number into Go struct field Plugin.name of type string",
  ],
];

for (const [name, manifest, message] of invalidManifests) {
  Deno.test(`readPluginFromDir: ${name} is an error`, async () => {
    await rejects(readTree({ [MANIFEST]: manifest }), (e: unknown) => {
      ok(e instanceof InvalidArtifactError);
      strictEqual((e as Error).message, message);
      return true;
    });
  });
}

Deno.test("readPluginFromDir: skill directory without SKILL.md ignored", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"test"}',
    "skills/incomplete/README.md": "not a skill",
    "skills/valid/SKILL.md": "# Valid Skill",
  });
  deepStrictEqual(p.skills, ["valid"]);
});

Deno.test("readPluginFromDir: empty hooks directory gives no hooks", async () => {
  const p = await readTree({ [MANIFEST]: '{"name":"test"}' }, ["hooks"]);
  strictEqual(p.hasHooks, undefined);
});

Deno.test("readPluginFromDir: any entry in hooks/ counts, even a subdirectory", async () => {
  strictEqual(
    (await readTree({ [MANIFEST]: "{}" }, ["hooks/sub"])).hasHooks,
    true,
  );
  strictEqual(
    (await readTree({ [MANIFEST]: "{}", "hooks/.gitkeep": "" })).hasHooks,
    true,
  );
  strictEqual(
    (await readTree({ [MANIFEST]: "{}", hooks: "a file" })).hasHooks,
    undefined,
  );
});

Deno.test("readPluginFromDir: version in plugin.json ignored", async () => {
  deepStrictEqual(
    await readTree({ [MANIFEST]: '{"name":"test","version":"1.0.0"}' }),
    {
      name: "test",
    },
  );
});

Deno.test("readPluginFromDir: .mcp.json {} gives no servers", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"test"}',
    ".mcp.json": "{}",
  });
  strictEqual(p.mcpServers, undefined);
});

Deno.test("readPluginFromDir: several MCP servers, sorted", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"multi-mcp"}',
    ".mcp.json": `{
  "jira": {"command": "jira-mcp"},
  "github": {"command": "gh-mcp"},
  "gitlab": {"command": "gl-mcp"}
}`,
  });
  deepStrictEqual(p.mcpServers, ["github", "gitlab", "jira"]);
});

Deno.test("readPluginFromDir: non-directories in skills/ ignored", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"test"}',
    "skills/README.md": "# Skills",
    "skills/valid/SKILL.md": "# Valid",
  });
  deepStrictEqual(p.skills, ["valid"]);
});

Deno.test("readPluginFromDir: non-.md files in commands/ ignored", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"test"}',
    "commands/hello.md": "# Hello",
    "commands/not-a-command.txt": "ignored",
    "commands/init.md": "# Init",
    "commands/upper.MD": "case-sensitive",
    "commands/sub.md/inner.md": "a directory named sub.md is not a command",
  });
  deepStrictEqual(p.commands, ["hello", "init"]);
});

Deno.test("readPluginFromDir: invalid .lsp.json gives no servers, no error", async () => {
  const p = await readTree({
    [MANIFEST]: '{"name":"test"}',
    ".lsp.json": "not valid json",
  });
  strictEqual(p.lspServers, undefined);
});

Deno.test("readPluginFromDir: author email and url", async () => {
  const p = await readTree({
    [MANIFEST]: `{
  "name": "detailed-author",
  "author": {"name": "Test Author", "email": "test@example.com", "url": "https://example.com"}
}`,
  });
  deepStrictEqual(p.author, {
    name: "Test Author",
    email: "test@example.com",
    url: "https://example.com",
  });
});

Deno.test("readPluginFromDir: agents only", async () => {
  deepStrictEqual(
    await readTree({
      [MANIFEST]:
        '{"name": "agents-only", "description": "A plugin with only agents"}',
      "agents/code-architect.md": "# Code Architect",
      "agents/code-explorer.md": "# Code Explorer",
      "agents/code-reviewer.md": "# Code Reviewer",
    }),
    {
      name: "agents-only",
      description: "A plugin with only agents",
      agents: ["code-architect", "code-explorer", "code-reviewer"],
    },
  );
});

Deno.test("readPluginFromDir: fixture plugins/base", async () => {
  const p = await readPluginFromDir(fixture("plugins/base"));
  deepStrictEqual(p, {
    name: "base",
    description: "A base Klaus plugin with common commands",
    author: { name: "Giant Swarm GmbH", email: "planeteers@giantswarm.io" },
    repository: "https://github.com/giantswarm/klaus-plugins",
    license: "Apache-2.0",
    keywords: ["giantswarm", "klaus", "plugins"],
    commands: ["hello"],
  });
  deepStrictEqual(buildKlausAnnotations(p), {
    "io.giantswarm.klaus.name": "base",
    "io.giantswarm.klaus.description":
      "A base Klaus plugin with common commands",
    "io.giantswarm.klaus.repository":
      "https://github.com/giantswarm/klaus-plugins",
    "io.giantswarm.klaus.license": "Apache-2.0",
    "io.giantswarm.klaus.keywords": "giantswarm,klaus,plugins",
    "io.giantswarm.klaus.author.name": "Giant Swarm GmbH",
    "io.giantswarm.klaus.author.email": "planeteers@giantswarm.io",
  });
});

// Upstream Claude Code plugin.json forms are accepted (Go fails on them;
// README, "Differences from klaus-oci (Go)").
const upstreamForms: [string, string, Plugin][] = [
  ["commands as a path string", '{"name":"u","commands":"./custom/commands"}', {
    name: "u",
  }],
  [
    "commands as an array of paths",
    '{"name":"u","commands":["./a.md","./b.md"]}',
    { name: "u" },
  ],
  [
    "agents and skills as paths",
    '{"name":"u","agents":"./agents","skills":["./s"]}',
    { name: "u" },
  ],
  [
    "inline mcpServers object",
    '{"name":"u","mcpServers":{"db":{"command":"db-mcp","args":["--x"]}}}',
    { name: "u" },
  ],
  ["mcpServers as a path", '{"name":"u","mcpServers":"./mcp-config.json"}', {
    name: "u",
  }],
  [
    "inline lspServers object",
    '{"name":"u","lspServers":{"go":{"command":"gopls"}}}',
    {
      name: "u",
    },
  ],
  ["hasHooks of another type", '{"name":"u","hasHooks":"yes"}', { name: "u" }],
  ["hooks as a path", '{"name":"u","hooks":"./config/hooks.json"}', {
    name: "u",
    hasHooks: true,
  }],
  [
    "inline hooks object",
    '{"name":"u","hooks":{"PostToolUse":[{"matcher":"Write","hooks":[{"type":"command","command":"fmt"}]}]}}',
    { name: "u", hasHooks: true },
  ],
  ["hooks as an array of paths", '{"name":"u","hooks":["./a.json"]}', {
    name: "u",
    hasHooks: true,
  }],
  ["empty hooks configuration", '{"name":"u","hooks":{}}', { name: "u" }],
  ["null hooks", '{"name":"u","hooks":null}', { name: "u" }],
  ["empty hooks path", '{"name":"u","hooks":""}', { name: "u" }],
  [
    "$schema, dependencies and other upstream keys",
    '{"$schema":"https://x","name":"u","version":"1.2.3","dependencies":{"mcp_servers":["github"]},"outputStyles":"./s"}',
    { name: "u" },
  ],
];

for (const [name, manifest, want] of upstreamForms) {
  Deno.test(`readPluginFromDir: upstream form accepted: ${name}`, async () => {
    deepStrictEqual(await readTree({ [MANIFEST]: manifest }), want);
  });
}

Deno.test("readPluginFromDir: discovery replaces plugin.json component values", async () => {
  const p = await readTree({
    [MANIFEST]:
      '{"name":"u","commands":["fake"],"hasHooks":true,"mcpServers":["fake"]}',
    "commands/real.md": "x",
  });
  deepStrictEqual(p, { name: "u", commands: ["real"] });
});

const decodeCases: [string, string, Plugin][] = [
  [
    "keys case-insensitive",
    '{"Name":"n","DESCRIPTION":"d","Author":{"EMAIL":"e"}}',
    {
      name: "n",
      description: "d",
      author: { email: "e" },
    },
  ],
  ["last duplicate wins", '{"name":"a","name":"b"}', { name: "b" }],
  ["null keeps strings", '{"name":"a","name":null}', { name: "a" }],
  ["null clears the author", '{"author":{"name":"a"},"author":null}', {
    name: "",
  }],
  [
    "duplicate authors merge like Go",
    '{"author":{"name":"a"},"author":{"email":"e"}}',
    {
      name: "",
      author: { name: "a", email: "e" },
    },
  ],
  ["empty author object kept", '{"name":"x","author":{}}', {
    name: "x",
    author: {},
  }],
  ["null top level", "null", { name: "" }],
  ["empty name allowed", '{"description":"no name"}', {
    name: "",
    description: "no name",
  }],
  ["empty keywords list kept", '{"name":"x","keywords":[]}', {
    name: "x",
    keywords: [],
  }],
];

for (const [name, json, want] of decodeCases) {
  Deno.test(`parsePluginManifest: ${name}`, () => {
    deepStrictEqual(parsePluginManifest(json), want);
  });
}

// The wrapper form is unwrapped (Go lists "mcpServers" as a server name;
// README, "Differences from klaus-oci (Go)").
const serverFiles: [string, string, string, string[] | undefined][] = [
  ["mcp wrapper", ".mcp.json", '{"mcpServers":{"github":{},"atlassian":{}}}', [
    "atlassian",
    "github",
  ]],
  [
    "lsp wrapper",
    ".lsp.json",
    '{"lspServers":{"gopls":{},"rust-analyzer":{}}}',
    ["gopls", "rust-analyzer"],
  ],
  ["empty wrapper", ".mcp.json", '{"mcpServers":{}}', undefined],
  ["null wrapper", ".mcp.json", '{"mcpServers":null}', undefined],
  ["flat form", ".mcp.json", '{"b":{},"a":{}}', ["a", "b"]],
  ["array top level", ".mcp.json", '[{"a":1}]', undefined],
  ["null top level", ".mcp.json", "null", undefined],
  ["duplicate keys counted once", ".mcp.json", '{"a":{},"a":{}}', ["a"]],
  ["byte-wise sort", ".mcp.json", '{"b":1,"B":1,"a":1,"_":1}', [
    "B",
    "_",
    "a",
    "b",
  ]],
];

for (const [name, file, content, want] of serverFiles) {
  Deno.test(`readPluginFromDir: server names: ${name}`, async () => {
    const p = await readTree({ [MANIFEST]: '{"name":"s"}', [file]: content });
    deepStrictEqual(file === ".mcp.json" ? p.mcpServers : p.lspServers, want);
  });
}

Deno.test("readPluginFromDir: symlinks follow Go's rules", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, {
      [MANIFEST]: '{"name":"links"}',
      "elsewhere/linked-skill/SKILL.md": "# linked",
      "elsewhere/cmd.md": "# cmd",
      "skills/real/SKILL.md": "# real",
      "targets/SKILL.md": "# target of a symlinked SKILL.md",
    });
    // A symlink to a directory is not a skill directory...
    await symlink(
      join(dir, "elsewhere/linked-skill"),
      join(dir, "skills/linked"),
    );
    // ...but SKILL.md itself may be a symlink (stat follows it).
    await mkdir(join(dir, "skills/via-link"));
    await symlink(
      join(dir, "targets/SKILL.md"),
      join(dir, "skills/via-link/SKILL.md"),
    );
    // A symlinked command file counts (it is not a directory entry).
    await mkdir(join(dir, "commands"));
    await symlink(join(dir, "elsewhere/cmd.md"), join(dir, "commands/cmd.md"));
    const p = await readPluginFromDir(dir);
    deepStrictEqual(p.skills, ["real", "via-link"]);
    deepStrictEqual(p.commands, ["cmd"]);
  });
});

Deno.test("readPluginFromDir: README.md in commands is a command; hidden skill dirs count", async () => {
  const p = await readTree({
    [MANIFEST]: "{}",
    "commands/README.md": "x",
    "skills/.hidden/SKILL.md": "x",
  });
  deepStrictEqual(p, { name: "", commands: ["README"], skills: [".hidden"] });
});
