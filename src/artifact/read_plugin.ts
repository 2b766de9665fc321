/**
 * Reading a plugin's source directory: metadata from
 * `.claude-plugin/plugin.json`, components discovered from the tree.
 *
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError, wrapError } from "../errors.ts";
import { fsErrorText } from "./fs_error.ts";
import { compareCodePoints } from "./go_json.ts";
import {
  type DecodePath,
  decodeString,
  decodeStringSlice,
  decodeStruct,
  type FieldDecoders,
  type JsonNode,
  parseGoJson,
} from "./go_json_parse.ts";
import type { Author, KlausMetadata, Plugin } from "./types.ts";

const AUTHOR_FIELDS: FieldDecoders<Author> = {
  name: decodeString,
  email: decodeString,
  url: decodeString,
};

type ManifestFields = KlausMetadata & { hooks?: boolean };

/** Whether a `hooks` value in plugin.json configures anything. */
function configuresHooks(node: JsonNode): boolean {
  switch (node.type) {
    case "null":
      return false;
    case "bool":
      return node.value;
    case "string":
      return node.value !== "";
    case "array":
      return node.items.length > 0;
    case "object":
      return node.entries.length > 0;
    default:
      return true;
  }
}

const MANIFEST_FIELDS: FieldDecoders<ManifestFields> = {
  name: decodeString,
  description: decodeString,
  author: (node, prev, path) =>
    decodeStruct(node, prev, path, "oci.Author", AUTHOR_FIELDS, true),
  homepage: decodeString,
  repository: decodeString,
  license: decodeString,
  keywords: decodeStringSlice,
  // The upstream hooks configuration (a path, paths, or inline hooks): any
  // form is accepted and counts as shipping hooks when it is not empty.
  hooks: (node) => configuresHooks(node),
  // skills, commands, agents, mcpServers, lspServers and hasHooks are not
  // decoded: upstream uses them as path overrides (strings, arrays, inline
  // objects) and discovery replaces them anyway.
};

/** Removes absent and empty-string fields, except `keep`. */
function dropEmpty<T extends object>(o: T, keep?: string): T {
  for (const [k, v] of Object.entries(o)) {
    if (k !== keep && (v === "" || v === undefined)) {
      delete (o as Record<string, unknown>)[k];
    }
  }
  return o;
}

/**
 * Decodes plugin.json bytes: Go's JSON rules (keys case-insensitive, the
 * last duplicate wins, unknown keys such as `version` or `$schema`
 * ignored, `null` allowed), but the upstream Claude Code path-override
 * forms of the component keys are accepted and ignored. Metadata of the
 * wrong type (`author` not an object, `keywords` not strings, `name` not a
 * string) is an {@linkcode InvalidArtifactError}. A non-empty `hooks`
 * configuration sets `hasHooks`.
 */
export function parsePluginManifest(bytes: Uint8Array | string): Plugin {
  const path: DecodePath = { struct: "Plugin", field: "" };
  const decoded = decodeStruct(
    parseGoJson(bytes),
    {} as ManifestFields,
    path,
    "oci.Plugin",
    MANIFEST_FIELDS,
  ) ?? { name: "" };
  const plugin: Plugin = dropEmpty({
    name: decoded.name ?? "",
    description: decoded.description,
    author: decoded.author && dropEmpty({ ...decoded.author }),
    homepage: decoded.homepage,
    repository: decoded.repository,
    license: decoded.license,
    keywords: decoded.keywords,
  }, "name");
  if (decoded.hooks) plugin.hasHooks = true;
  return plugin;
}

async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

function sorted(names: string[]): string[] | undefined {
  return names.length > 0 ? names.sort(compareCodePoints) : undefined;
}

/** Directories under `skills/` (not symlinks) holding a `SKILL.md`. */
async function discoverSkills(dir: string): Promise<string[] | undefined> {
  const skillsDir = join(dir, "skills");
  const entries = await listDir(skillsDir);
  if (!entries) return undefined;
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    try {
      await stat(join(skillsDir, e.name, "SKILL.md"));
      names.push(e.name);
    } catch {
      // not a skill
    }
  }
  return sorted(names);
}

/** Non-directory `*.md` entries of `dir`, without the extension. */
async function discoverMarkdownNames(
  dir: string,
): Promise<string[] | undefined> {
  const entries = await listDir(dir);
  if (!entries) return undefined;
  return sorted(
    entries
      .filter((e) => !e.isDirectory() && e.name.endsWith(".md"))
      .map((e) => e.name.slice(0, -3)),
  );
}

async function hasHooksDir(dir: string): Promise<boolean> {
  const entries = await listDir(join(dir, "hooks"));
  return entries !== undefined && entries.length > 0;
}

/**
 * Server names in an `.mcp.json` / `.lsp.json` file: the keys of the
 * `wrapper` object (`{"mcpServers": {…}}`, the form Claude Code itself
 * writes) when there is one, else the top-level keys. A missing or invalid
 * file, or one that is not an object, names none.
 */
async function discoverServerNames(
  path: string,
  wrapper: string,
): Promise<string[] | undefined> {
  let node: JsonNode;
  try {
    node = parseGoJson(await readFile(path));
  } catch {
    return undefined;
  }
  if (node.type !== "object") return undefined;
  let entries = node.entries;
  const wrapped = entries.findLast(([k]) => k === wrapper);
  if (wrapped && wrapped[1].type === "null") return undefined;
  if (wrapped && wrapped[1].type === "object") entries = wrapped[1].entries;
  return sorted([...new Set(entries.map(([k]) => k))]);
}

/**
 * Reads a plugin's source directory: metadata from
 * `.claude-plugin/plugin.json` (`name`, `description`, `author`,
 * `homepage`, `repository`, `license`, `keywords`), then components
 * discovered from the tree, replacing anything plugin.json said about them:
 * - `skills`: directories under `skills/` that hold a `SKILL.md`;
 * - `commands` / `agents`: `*.md` files in `commands/` / `agents/`;
 * - `hasHooks`: a non-empty `hooks/` directory or a hooks configuration in
 *   plugin.json;
 * - `mcpServers` / `lspServers`: server names in `.mcp.json` / `.lsp.json`
 *   (flat, or inside the `mcpServers` / `lspServers` wrapper).
 *
 * Lists are sorted byte-wise and absent when empty. The version is never
 * read (it is the tag). Errors are {@linkcode InvalidArtifactError}s
 * worded `reading plugin manifest: …` or `parsing plugin manifest: …`.
 *
 * @example
 * ```ts
 * import { readPluginFromDir } from "@klaus/oci";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/.claude-plugin`);
 * await Deno.mkdir(`${dir}/commands`);
 * await Deno.writeTextFile(`${dir}/.claude-plugin/plugin.json`, '{"name": "hello"}');
 * await Deno.writeTextFile(`${dir}/commands/greet.md`, "Say hello.\n");
 *
 * const plugin = await readPluginFromDir(dir);
 * console.log(plugin.name, plugin.commands); // hello [ "greet" ]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readPluginFromDir(dir: string): Promise<Plugin> {
  const manifestPath = join(dir, ".claude-plugin", "plugin.json");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(manifestPath);
  } catch (e) {
    throw new InvalidArtifactError(
      `reading plugin manifest: ${fsErrorText(manifestPath, e)}`,
      { cause: e },
    );
  }
  let plugin: Plugin;
  try {
    plugin = parsePluginManifest(bytes);
  } catch (e) {
    throw wrapError("parsing plugin manifest", e);
  }
  const [skills, commands, agents, hooksDir, mcpServers, lspServers] =
    await Promise.all([
      discoverSkills(dir),
      discoverMarkdownNames(join(dir, "commands")),
      discoverMarkdownNames(join(dir, "agents")),
      hasHooksDir(dir),
      discoverServerNames(join(dir, ".mcp.json"), "mcpServers"),
      discoverServerNames(join(dir, ".lsp.json"), "lspServers"),
    ]);
  const hasHooks = hooksDir || plugin.hasHooks === true;
  delete plugin.hasHooks;
  return dropEmpty({
    ...plugin,
    skills,
    commands,
    agents,
    hasHooks: hasHooks ? true : undefined,
    mcpServers,
    lspServers,
  }, "name");
}
