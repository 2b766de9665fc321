/**
 * The directory walk that decides what goes into a content layer, in the
 * order of Go's `filepath.WalkDir`: depth-first, a directory before its
 * contents, the names of each directory sorted byte-wise (UTF-8), symlinks
 * never followed.
 *
 * @module
 */
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { KlausOciError, wrapError } from "../errors.ts";
import { compareUtf8 } from "../_bytes.ts";

/**
 * Name of the pull cache entry; never archived, at any depth.
 */
export const CACHE_FILE_NAME = ".oci-cache.json";

/**
 * One entry of a packed directory.
 */
export interface PackEntry {
  /** Path relative to the packed directory, `/`-separated, no `./`. */
  name: string;
  /** Regular file or directory: nothing else is archived. */
  type: "file" | "directory";
  /** Permission bits plus setuid/setgid/sticky. */
  mode: number;
  /** File size in bytes (0 for directories). */
  size: number;
}

/**
 * A {@linkcode PackEntry} with where to read it from.
 */
export interface SourceEntry extends PackEntry {
  /** Absolute path on disk. */
  path: string;
}

/**
 * Byte-wise comparison of the UTF-8 encodings, which is Go's string order
 * (JavaScript's `<` compares UTF-16 units and differs above U+FFFF).
 */
export const compareBytewise: (a: string, b: string) => number = compareUtf8;

/**
 * Lists what packing `root` archives, in archive order. The root itself is
 * followed when it is a symlink (Go would archive nothing) but nothing below
 * it is: symlinks, devices, FIFOs and sockets are left out, as is every
 * entry named `.oci-cache.json` (with its contents, should it be a
 * directory).
 */
export async function walkDirectory(root: string): Promise<SourceEntry[]> {
  let info;
  try {
    info = await stat(root);
  } catch (err) {
    throw wrapError(`reading directory ${root}`, err);
  }
  if (!info.isDirectory()) {
    throw new KlausOciError(`reading directory ${root}: not a directory`);
  }
  const out: SourceEntry[] = [];
  await walkInto(root, "", out);
  return out;
}

async function walkInto(
  dir: string,
  prefix: string,
  out: SourceEntry[],
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw wrapError(`reading directory ${dir}`, err);
  }
  names = names.filter((n) => n !== CACHE_FILE_NAME).sort(compareBytewise);
  const infos = await Promise.all(names.map(async (n) => {
    const path = join(dir, n);
    try {
      return await lstat(path);
    } catch (err) {
      throw wrapError(`reading ${path}`, err);
    }
  }));
  for (let i = 0; i < names.length; i++) {
    const info = infos[i];
    const path = join(dir, names[i]);
    const name = prefix + names[i];
    const mode = Number(info.mode) & 0o7777;
    if (info.isDirectory()) {
      out.push({ name, type: "directory", mode, size: 0, path });
      await walkInto(path, name + "/", out);
    } else if (info.isFile()) {
      out.push({ name, type: "file", mode, size: Number(info.size), path });
    }
  }
}
