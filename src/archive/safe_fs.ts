/**
 * File-system steps of extraction that never go through a symbolic link:
 * directories are created one component at a time and checked with `lstat`,
 * files are created exclusively with `O_NOFOLLOW` after removing whatever
 * non-directory was in the way. Extraction itself never creates links, so in
 * a fresh destination these checks are cheap insurance; in a reused one they
 * are what keeps a planted link from redirecting a write.
 *
 * @module
 */
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { type FileHandle, lstat, mkdir, open, unlink } from "node:fs/promises";
import { join } from "node:path";

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL |
  NO_FOLLOW;

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Creates directories below a root, remembering which relative paths are
 * known to be real directories.
 */
export class DirectoryMaker {
  #root: string;
  #known = new Set<string>([""]);

  /** `root` must exist already. */
  constructor(root: string) {
    this.#root = root;
  }

  /**
   * Makes sure `rel` (cleaned, `/`-separated, relative; `"."` or `""` for
   * the root) is a real directory, creating missing components with mode
   * 0755 (less the umask). Throws when a component exists as anything else,
   * symlinks included.
   */
  async ensure(rel: string): Promise<void> {
    if (rel === "." || this.#known.has(rel)) return;
    const segments = rel.split("/");
    let sub = "";
    for (const seg of segments) {
      sub = sub === "" ? seg : `${sub}/${seg}`;
      if (this.#known.has(sub)) continue;
      const path = join(this.#root, sub);
      try {
        await mkdir(path, { mode: 0o755 });
      } catch (err) {
        if (code(err) !== "EEXIST") throw err;
        const info = await lstat(path);
        if (info.isSymbolicLink()) {
          throw new Error(`mkdir ${path}: refusing to follow a symbolic link`);
        }
        if (!info.isDirectory()) {
          throw new Error(`mkdir ${path}: not a directory`);
        }
      }
      this.#known.add(sub);
    }
  }
}

/**
 * Creates `path` as a new regular file with `mode` (less the umask). An
 * existing non-directory at `path` (a file from an earlier entry, a link)
 * is removed first, so the write can never land in another file.
 */
export async function createNewFile(
  path: string,
  mode: number,
): Promise<FileHandle> {
  try {
    return await open(path, CREATE_NEW, mode);
  } catch (err) {
    if (code(err) !== "EEXIST") throw err;
  }
  const info = await lstat(path);
  if (info.isDirectory()) throw new Error(`open ${path}: is a directory`);
  await unlink(path);
  return await open(path, CREATE_NEW, mode);
}

export { writeAll } from "../_write_all.ts";

/**
 * {@linkcode createNewFile} without the event loop: for small files, whose
 * cost is the number of file-system calls, not the bytes. Returns the file
 * descriptor.
 */
export function createNewFileSync(path: string, mode: number): number {
  try {
    return openSync(path, CREATE_NEW, mode);
  } catch (err) {
    if (code(err) !== "EEXIST") throw err;
  }
  if (lstatSync(path).isDirectory()) {
    throw new Error(`open ${path}: is a directory`);
  }
  unlinkSync(path);
  return openSync(path, CREATE_NEW, mode);
}

/** Writes all of `bytes` to `fd` (a short write continues, no progress fails). */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) {
    const n = writeSync(fd, bytes, off, bytes.byteLength - off);
    if (n <= 0) throw new Error("short write");
    off += n;
  }
}

export { closeSync };
