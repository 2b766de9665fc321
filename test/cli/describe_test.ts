import { deepStrictEqual, equal } from "node:assert/strict";
import {
  dependencyLines,
  formatAuthor,
  personalityLines,
  pluginLines,
  toolchainLines,
  wantsDeps,
} from "../../src/cli/describe.ts";
import { expandRef } from "../../src/cli/kind.ts";
import { Style } from "../../src/cli/output.ts";

const plain = new Style(false);
const DIGEST = "sha256:" + "a".repeat(64);

Deno.test("expandRef: klausctl's short-name expansion", () => {
  const base = "localhost:5000/plugins";
  const cases: [string, string][] = [
    ["base", `${base}/base`],
    ["base:v1.0.0", `${base}/base:v1.0.0`],
    ["base@sha256:abc", `${base}/base@sha256:abc`],
    [" base:v1 ", `${base}/base:v1`],
    ["other.example/x/base:v1", "other.example/x/base:v1"],
    ["ocidir:///tmp/l/base:v1", "ocidir:///tmp/l/base:v1"],
    ["", ""],
  ];
  for (const [ref, want] of cases) equal(expandRef(ref, base), want, ref);
});

Deno.test("describe text: plugin with every component", () => {
  deepStrictEqual(
    pluginLines({
      ref: "r/p/x:v1",
      tag: "v1",
      digest: DIGEST,
      plugin: {
        name: "x",
        version: "v1",
        description: "d",
        author: { name: "A" },
        homepage: "https://h",
        repository: "https://r",
        license: "MIT",
        keywords: ["a", "b"],
        skills: ["s1", "s2"],
        commands: ["c"],
        agents: ["ag"],
        hasHooks: true,
        mcpServers: ["m"],
        lspServers: ["l"],
      },
    }, plain),
    [
      "Name:          x",
      "Version:       v1",
      "Description:   d",
      "Author:        A",
      "Homepage:      https://h",
      "Repository:    https://r",
      "License:       MIT",
      "Keywords:      a, b",
      `Digest:        ${DIGEST}`,
      "",
      "Components:",
      "  Skills:        s1, s2",
      "  Commands:      c",
      "  Agents:        ag",
      "  Hooks:         yes",
      "  MCP Servers:   m",
      "  LSP Servers:   l",
    ],
  );
  deepStrictEqual(
    pluginLines({
      ref: "r@" + DIGEST,
      tag: "",
      digest: DIGEST,
      plugin: { name: "" },
    }, plain),
    ["Name:          ", `Digest:        ${DIGEST}`],
    "digest reference: no version; no components: no block",
  );
});

Deno.test("describe text: personality with resolved dependencies", () => {
  const lines = personalityLines(
    {
      ref: "r/s/sre:v1",
      tag: "v1",
      digest: DIGEST,
      personality: {
        name: "sre",
        version: "v1",
        author: { name: "GS", email: "gs@example.com" },
        toolchain: { repository: "r/t/go", tag: "1.0.0" },
        plugins: [{ repository: "r/p/a", digest: DIGEST }, {
          repository: "r/p/b",
          tag: "v2",
        }],
      },
    },
    {
      toolchain: {
        ref: "r/t/go:1.0.0",
        tag: "1.0.0",
        digest: DIGEST,
        toolchain: { name: "go", version: "1.0.0", license: "Apache-2.0" },
      },
      plugins: [{
        ref: "r/p/a@" + DIGEST,
        tag: "",
        digest: DIGEST,
        plugin: { name: "a", description: "A" },
      }],
      warnings: ["plugin r/p/b:v2: not found"],
    },
    plain,
  );
  deepStrictEqual(lines, [
    "Name:          sre",
    "Version:       v1",
    "Author:        GS <gs@example.com>",
    `Digest:        ${DIGEST}`,
    "",
    "Toolchain:     r/t/go:1.0.0",
    "",
    "Plugins:",
    `  - r/p/a@${DIGEST}`,
    "  - r/p/b:v2",
    "",
    "Resolved Toolchain:",
    "  Name:          go",
    "  Version:       1.0.0",
    `  Digest:        ${DIGEST}`,
    "",
    "Resolved Plugin [a]:",
    "  Name:          a",
    "  Description:   A",
    `  Digest:        ${DIGEST}`,
    "",
    "Warning: plugin r/p/b:v2: not found",
  ]);
  deepStrictEqual(dependencyLines({ plugins: [], warnings: [] }, plain), []);
});

Deno.test("describe text: toolchain and author forms", () => {
  deepStrictEqual(
    toolchainLines({
      ref: "r/t/go:1",
      tag: "1",
      digest: DIGEST,
      toolchain: { name: "go", version: "1" },
    }, plain),
    ["Name:          go", "Version:       1", `Digest:        ${DIGEST}`],
  );
  equal(formatAuthor(undefined), "");
  equal(formatAuthor({ name: "N" }), "N");
  equal(formatAuthor({ name: "N", email: "e@x" }), "N <e@x>");
  equal(formatAuthor({ email: "e@x" }), " <e@x>");
});

Deno.test("describe: dependencies by default in text, with --deps in JSON", () => {
  const cases: [{ deps?: boolean; "no-deps"?: boolean }, boolean, boolean][] = [
    [{}, false, true],
    [{}, true, false],
    [{ deps: true }, true, true],
    [{ "no-deps": true }, false, false],
    [{ deps: true }, false, true],
  ];
  for (const [flags, json, want] of cases) {
    equal(wantsDeps(flags, json), want, JSON.stringify([flags, json]));
  }
});
