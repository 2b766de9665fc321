/**
 * The command line as a subprocess, without a registry: help, version and
 * usage errors (exit code 2, usage on stderr, nothing on stdout).
 */

import { equal, match, ok } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { DEFAULT_USER_AGENT } from "../../src/registry/user_agent.ts";
import { VERSION } from "../../src/version.ts";
import { helpText } from "../../src/cli/usage.ts";
import { PLUGIN_BASE, sandbox } from "./helpers.ts";

Deno.test("one version source: src/version.ts is deno.json's version", () => {
  equal(VERSION, denoJson.version);
  equal(DEFAULT_USER_AGENT, `klaus-oci-ts/${denoJson.version}`);
});

Deno.test("help: the command lists align their summaries in one column", () => {
  for (
    const topic of [{}, { kind: "plugin" }, { kind: "toolchain" }] as const
  ) {
    const text = helpText(topic);
    const block = text.split("Commands:\n")[1].split("\n\n")[0].split("\n");
    ok(block.length >= 4, text);
    const starts = block.map((line) => {
      const m = /^ {2}(\S+(?: \S+)*?) {2,}(\S)/.exec(line);
      ok(m, `not "  <command> <args>  <summary>": ${JSON.stringify(line)}`);
      return m.index + m[0].length - 1;
    });
    equal(new Set(starts).size, 1, block.join("\n"));
  }
  match(helpText({}), /\n {2}versions <name\|repository> {2,}list the semver/);
});

Deno.test("cli --version prints the deno.json version", async () => {
  await using sb = await sandbox();
  const r = await sb.ok(["--version"]);
  equal(r.stdout, `klaus-oci ${denoJson.version}\n`);
  equal(r.stderr, "");
});

Deno.test("cli --help for the program, each kind and each command", async () => {
  await using sb = await sandbox();
  const cases: [string[], RegExp][] = [
    [
      ["--help"],
      /^klaus-oci: .*\n[\s\S]*Usage:\n {2}klaus-oci <plugin\|personality\|toolchain> <command>/,
    ],
    [["help"], /Global flags:/],
    [
      ["plugin", "--help"],
      /Usage:\n {2}klaus-oci plugin <command>[\s\S]*push <dir> <ref>/,
    ],
    [["toolchain", "-h"], /describe <ref>/],
    [
      ["plugin", "push", "--help"],
      /klaus-oci plugin push <dir> <ref> \[flags\][\s\S]*--dry-run/,
    ],
    [["personality", "describe", "--help"], /--deps[\s\S]*--no-deps/],
    [["plugin", "pull", "x", "--help"], /klaus-oci plugin pull <ref> \[dir\]/],
    [["personality", "list", "-h"], /--registry BASE/],
  ];
  for (const [args, pattern] of cases) {
    const r = await sb.ok(args);
    match(r.stdout, pattern, `${args.join(" ")}:\n${r.stdout}`);
    match(
      r.stdout,
      /KLAUS_OCI_REGISTRY_AUTH|Run 'klaus-oci plugin <command> --help'|Run 'klaus-oci toolchain/,
    );
    equal(r.stderr, "");
  }
  const toolchain = await sb.ok(["toolchain", "--help"]);
  ok(!toolchain.stdout.includes("pull"), "toolchains cannot be pulled");
  const plugin = await sb.ok(["plugin", "describe", "--help"]);
  ok(!plugin.stdout.includes("--deps"), "--deps is for personalities");
});

Deno.test("cli usage errors exit 2 with the usage on stderr", async () => {
  await using sb = await sandbox();
  const cases: [string[], string][] = [
    [[], "missing artifact kind"],
    [["image", "list"], 'unknown artifact kind "image"'],
    [["plugin"], "missing command"],
    [["plugin", "frobnicate"], 'unknown command "frobnicate" for plugin'],
    [["toolchain", "pull", "go"], "toolchain has no pull command"],
    [["toolchain", "push", ".", "go:v1"], "toolchain has no push command"],
    [["plugin", "describe"], "missing <ref>"],
    [["plugin", "push", PLUGIN_BASE], "missing <ref>"],
    [["plugin", "resolve", "a", "b"], "unexpected argument: b"],
    [["plugin", "list", "extra"], "unexpected argument: extra"],
    [["plugin", "list", "--frob"], "Unknown option '--frob'"],
    [["plugin", "list", "--registry"], "--registry"],
    [
      ["plugin", "list", "--concurrency", "0"],
      "--concurrency must be a positive integer",
    ],
    [
      ["plugin", "list", "--concurrency", "ten"],
      "--concurrency must be a positive integer",
    ],
    [
      ["plugin", "describe", "x", "--deps"],
      "--deps and --no-deps apply to personality describe only",
    ],
    [
      ["personality", "describe", "x", "--deps", "--no-deps"],
      "exclude each other",
    ],
    [["plugin", "pull", "x", "--dry-run"], "--dry-run applies to push only"],
    [["plugin", "list", "--deps"], "--deps applies to describe only"],
    [["plugin", "list", "--cache-dir", ""], "--cache-dir needs a directory"],
    [["plugin", "versions", ""], "<name|repository> must not be empty"],
  ];
  for (const [args, message] of cases) {
    const r = await sb.run(args);
    const what = `klaus-oci ${args.join(" ")}:\n${r.stderr}`;
    equal(r.code, 2, what);
    equal(r.stdout, "", what);
    ok(r.stderr.startsWith("error: "), what);
    ok(r.stderr.includes(message), what);
    match(r.stderr, /\nusage: klaus-oci /, what);
    ok(!/\n\s+at /.test(r.stderr), "no stack trace");
  }
});

Deno.test("cli --json usage errors still print nothing on stdout", async () => {
  await using sb = await sandbox();
  const r = await sb.run(["plugin", "describe", "--json"]);
  equal(r.code, 2);
  equal(r.stdout, "");
});
