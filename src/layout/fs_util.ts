/**
 * Small file-system helpers shared by the layout store: error-code tests,
 * random temp names, full writes and atomic replacement.
 *
 * @module
 */
import { open, rename, rm, stat } from "node:fs/promises";
import { writeAll } from "../_write_all.ts";

/**
 * Whether `e` is a node:fs error meaning "no such file" (a missing
 * component, or a file where a directory was expected).
 */
export function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Whether `e` is a node:fs "already exists" error.
 */
export function isAlreadyExists(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "EEXIST";
}

/**
 * 16 random lowercase hex characters, for temp-file names and lock tokens.
 */
export function randomHex(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export { writeAll } from "../_write_all.ts";

/**
 * Replaces `path` with `bytes` so that readers see either the old or the
 * new content, never a part: write to `<path>.tmp.<random>` beside it,
 * fsync, rename over. The temp file is removed on failure.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const tmp = `${path}.tmp.${randomHex()}`;
  try {
    const fh = await open(tmp, "wx", 0o644);
    try {
      await writeAll(fh, bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

export { sleep } from "../_sleep.ts";

/**
 * Size of the regular file at `path`, or `undefined` when there is none.
 */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Whether a regular file exists at `path`.
 */
export async function isFile(path: string): Promise<boolean> {
  return (await fileSize(path)) !== undefined;
}
