/**
 * The benchmark's corpora: trees shaped like what people publish, besides
 * the random data of `data.ts`.
 *
 * - **KiB-scale** ({@linkcode kibTrees}): the test fixtures
 *   (`test/fixtures/plugins/base`, `test/fixtures/personalities/sre`) and
 *   the plugins and personalities of `examples/`, used as they are;
 * - **text** ({@linkcode makeTextCorpus}): ~64 MiB of real text files
 *   copied from the npm packages in this checkout's `node_modules` —
 *   package sources first (`.js`, `.mjs`, `.cjs`, `.ts`, `.d.ts`, `.json`,
 *   `.md`, `.css`, `.map`: wrangler's and miniflare's dists, vite,
 *   vitest, undici, zod, hono, `@types/node`, …), then the C/C++ headers
 *   of the npm `node` package (`include/node`: V8, OpenSSL, libuv) until
 *   the target size; nothing here is generated;
 * - **mixed** ({@linkcode makeMixedCorpus}): text (the first 16 MiB of the
 *   same list), the compressible binaries of `node_modules` (every
 *   `.node` and `.wasm`: rolldown's and lightningcss's native bindings,
 *   sharp, blake3) and 16 MiB of random bytes in four files;
 * - **random** (`data.ts`): one incompressible file of 64 or 256 MiB.
 *
 * Files are taken in a fixed order (group, then path), so the same
 * `node_modules` gives the same trees. Every corpus is a plugin directory
 * (`.claude-plugin/plugin.json` beside the data).
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { makePlugin, writeRandomFile } from "./data.ts";
import { MiB } from "./stats.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const NODE_MODULES = join(ROOT, "node_modules");

/** One tree the benchmark pushes and pulls. */
export interface Corpus {
  /** Short id used in repository names and flags: `text`, `random-256`. */
  id: string;
  /** Label in the report: `text 64 MiB`, `random 256 MiB`. */
  label: string;
  /** The plugin directory. */
  dir: string;
  /** Bytes of file content. */
  bytes: number;
  /** Regular files. */
  files: number;
  /** What it holds, for the report. */
  detail: string;
  /** The largest file (the SHA-256 benchmark hashes the random one). */
  file?: string;
}

/** A KiB-scale tree the CLI pushes and pulls. */
export interface KibTree {
  /** Short id: `fixture-base`, `example-git`. */
  id: string;
  /** `plugin` or `personality` (the CLI's kind). */
  kind: "plugin" | "personality";
  /** The directory, used in place. */
  dir: string;
  /** Bytes of file content. */
  bytes: number;
  /** Regular files. */
  files: number;
}

/** Extensions of package sources (first group of the text corpus). */
const SOURCE_EXT = [
  ".js",
  ".mjs",
  ".cjs",
  ".ts",
  ".mts",
  ".cts",
  ".json",
  ".md",
  ".css",
  ".map",
];
/** Other text (second group): C/C++ headers and sources, build files. */
const OTHER_TEXT_EXT = [".h", ".hh", ".hpp", ".cc", ".c", ".gypi", ".gyp"];
/** Compressible binaries of the mixed corpus. */
const BINARY_EXT = [".node", ".wasm"];

/** Directories of `node_modules` that are not package contents. */
const SKIP_TOP = new Set([".bin", ".vite", ".vite-temp", ".cache"]);

interface Found {
  path: string;
  size: number;
}

function ext(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (base.endsWith(".d.ts")) return ".ts";
  const i = base.lastIndexOf(".");
  return i > 0 ? base.slice(i) : "";
}

/** Regular files under `node_modules` (no symlinks followed), sorted. */
async function nodeModulesFiles(): Promise<Found[]> {
  const out: Found[] = [];
  async function walk(dir: string, top: boolean): Promise<void> {
    const names: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e);
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of names) {
      if (top && (SKIP_TOP.has(e.name) || e.name.startsWith(".package"))) {
        continue;
      }
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path, false);
      else if (e.isFile) out.push({ path, size: (await Deno.stat(path)).size });
    }
  }
  try {
    await walk(NODE_MODULES, true);
  } catch (e) {
    throw new Error(
      `the text and mixed corpora copy files from ${NODE_MODULES} ` +
        `(run npm ci): ${e instanceof Error ? e.message : e}`,
    );
  }
  return out;
}

/** Up to `target` bytes of text files: package sources first, then headers. */
async function textFiles(target: number): Promise<Found[]> {
  const all = await nodeModulesFiles();
  const picked: Found[] = [];
  let total = 0;
  for (const group of [SOURCE_EXT, OTHER_TEXT_EXT]) {
    for (const f of all) {
      if (!group.includes(ext(f.path)) || f.size === 0) continue;
      if (total + f.size > target) continue;
      picked.push(f);
      total += f.size;
    }
  }
  return picked;
}

async function writePluginJson(dir: string, name: string, what: string) {
  await Deno.mkdir(join(dir, ".claude-plugin"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, ".claude-plugin", "plugin.json"),
    JSON.stringify({ name, description: what, license: "Apache-2.0" }),
  );
}

/** Copies `files` under `dir/<prefix>/<path relative to node_modules>`. */
async function copyFiles(
  files: Found[],
  dir: string,
  prefix: string,
): Promise<void> {
  const made = new Set<string>();
  for (const f of files) {
    const to = join(dir, prefix, relative(NODE_MODULES, f.path));
    const parent = dirname(to);
    if (!made.has(parent)) {
      await Deno.mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await Deno.copyFile(f.path, to);
  }
}

/** `12.3 MiB .js (1355), …`: bytes per extension, largest first. */
function composition(files: Found[]): string {
  const by = new Map<string, { bytes: number; n: number }>();
  for (const f of files) {
    const e = ext(f.path) || "(none)";
    const x = by.get(e) ?? { bytes: 0, n: 0 };
    x.bytes += f.size;
    x.n++;
    by.set(e, x);
  }
  return [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6)
    .map(([e, x]) => `${(x.bytes / MiB).toFixed(1)} MiB ${e} (${x.n})`)
    .join(", ");
}

function sum(files: Found[]): number {
  return files.reduce((s, f) => s + f.size, 0);
}

/**
 * Copies about `sizeMiB` MiB of text files from `node_modules` into the
 * plugin directory `<root>/text-<sizeMiB>`.
 *
 * @example
 * ```ts ignore
 * const c = await makeTextCorpus(await Deno.makeTempDir(), 64);
 * console.log(c.files, c.detail);
 * ```
 */
export async function makeTextCorpus(
  root: string,
  sizeMiB = 64,
): Promise<Corpus> {
  const files = await textFiles(sizeMiB * MiB);
  const dir = join(root, `text-${sizeMiB}`);
  await writePluginJson(dir, "bench-text", "npm package sources");
  await copyFiles(files, dir, "src");
  const bytes = sum(files);
  return {
    id: "text",
    label: `text ${(bytes / MiB).toFixed(0)} MiB`,
    dir,
    bytes,
    files: files.length + 1,
    detail: `${files.length} files copied from node_modules: ${
      composition(files)
    }`,
  };
}

/**
 * The mixed plugin directory `<root>/mixed`: 16 MiB of text, every `.node`
 * and `.wasm` of `node_modules`, 16 MiB of random bytes in four files.
 *
 * @example
 * ```ts ignore
 * const c = await makeMixedCorpus(await Deno.makeTempDir());
 * ```
 */
export async function makeMixedCorpus(root: string): Promise<Corpus> {
  const text = await textFiles(16 * MiB);
  const binaries = (await nodeModulesFiles()).filter((f) =>
    BINARY_EXT.includes(ext(f.path))
  );
  const dir = join(root, "mixed");
  await writePluginJson(dir, "bench-mixed", "text, binaries and random data");
  await copyFiles(text, dir, "src");
  await copyFiles(binaries, dir, "lib");
  const randomBytes = 16 * MiB;
  await Deno.mkdir(join(dir, "data"), { recursive: true });
  for (let i = 0; i < 4; i++) {
    await writeRandomFile(join(dir, "data", `random-${i}.bin`), 4 * MiB);
  }
  const bytes = sum(text) + sum(binaries) + randomBytes;
  return {
    id: "mixed",
    label: `mixed ${(bytes / MiB).toFixed(0)} MiB`,
    dir,
    bytes,
    files: text.length + binaries.length + 4 + 1,
    detail:
      `${(sum(text) / MiB).toFixed(1)} MiB text (${text.length} files), ` +
      `${(sum(binaries) / MiB).toFixed(1)} MiB native binaries (${
        binaries.map((b) => b.path.slice(b.path.lastIndexOf("/") + 1)).join(
          ", ",
        )
      }), 16.0 MiB random (4 files)`,
  };
}

/**
 * The random plugin of `data.ts` as a corpus.
 *
 * @example
 * ```ts ignore
 * const c = await makeRandomCorpus(await Deno.makeTempDir(), 256);
 * ```
 */
export async function makeRandomCorpus(
  root: string,
  sizeMiB: number,
): Promise<Corpus> {
  const p = await makePlugin(root, `bench-${sizeMiB}`, sizeMiB);
  return {
    id: `random-${sizeMiB}`,
    label: `random ${sizeMiB} MiB`,
    dir: p.dir,
    bytes: p.size,
    files: 2,
    detail: `one file of ${sizeMiB} MiB of random bytes`,
    file: p.file,
  };
}

async function treeSize(
  dir: string,
): Promise<{ bytes: number; files: number }> {
  let bytes = 0, files = 0;
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) {
      const s = await treeSize(path);
      bytes += s.bytes;
      files += s.files;
    } else if (e.isFile) {
      bytes += (await Deno.stat(path)).size;
      files++;
    }
  }
  return { bytes, files };
}

/**
 * The KiB-scale trees: the test fixtures and every plugin and personality
 * of `examples/`.
 *
 * @example
 * ```ts ignore
 * for (const t of await kibTrees()) console.log(t.id, t.bytes);
 * ```
 */
export async function kibTrees(): Promise<KibTree[]> {
  const list: Omit<KibTree, "bytes" | "files">[] = [
    {
      id: "fixture-base",
      kind: "plugin",
      dir: join(ROOT, "test/fixtures/plugins/base"),
    },
    {
      id: "fixture-sre",
      kind: "personality",
      dir: join(ROOT, "test/fixtures/personalities/sre"),
    },
  ];
  for (
    const [kind, folder] of [
      ["plugin", "plugins"],
      ["personality", "personalities"],
    ] as const
  ) {
    const base = join(ROOT, "examples", folder);
    const names: string[] = [];
    for await (const e of Deno.readDir(base)) {
      if (e.isDirectory) names.push(e.name);
    }
    for (const name of names.sort()) {
      list.push({ id: name, kind, dir: join(base, name) });
    }
  }
  const out: KibTree[] = [];
  for (const t of list) out.push({ ...t, ...(await treeSize(t.dir)) });
  return out;
}
