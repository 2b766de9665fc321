/**
 * Extraction that replaces a directory only on success (DESIGN decision
 * 13): the archive goes into a fresh sibling directory, and only when it
 * was extracted completely — input read to its end, so a digest mismatch
 * raised there counts — and the caller's `beforeCommit` hook agreed, is it
 * renamed into place. Any failure leaves the previous directory exactly as
 * it was and removes the temporary one.
 *
 * @module
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { wrapError } from "../errors.ts";
import {
  type ExtractOptions,
  type ExtractResult,
  extractTarGz,
} from "./extract.ts";

/**
 * Options of {@linkcode extractToDirectory}.
 *
 * @example
 * ```ts
 * import type { ExtractToDirectoryOptions } from "@klaus/oci";
 * const o: ExtractToDirectoryOptions = {
 *   beforeCommit: async (dir) => {
 *     await Deno.writeTextFile(`${dir}/.oci-cache.json`, "{}");
 *   },
 * };
 * console.log(typeof o.beforeCommit);
 * ```
 */
export interface ExtractToDirectoryOptions extends ExtractOptions {
  /**
   * Runs after a successful extraction, before the swap, with the temporary
   * directory holding the new content (write extra files such as a cache
   * entry there). Throwing aborts: the previous directory stays.
   */
  beforeCommit?: (dir: string, result: ExtractResult) => void | Promise<void>;
}

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Extracts a tar.gz stream so that `destDir` ends up holding exactly its
 * content, or — on any failure — stays exactly as it was. The new content
 * is extracted into `<destDir>.tmp-<random>` next to it, then the old
 * directory (if any) is renamed to `<destDir>.old-<random>`, the new one
 * into place, and the old one removed.
 *
 * @example
 * ```ts
 * import { extractToDirectory, packDirectory } from "@klaus/oci";
 * const packed = await packDirectory("./my-plugin");
 * const result = await extractToDirectory(packed.stream(), "./plugins/my-plugin");
 * console.log(result.files);
 * ```
 */
export async function extractToDirectory(
  stream: ReadableStream<Uint8Array>,
  destDir: string,
  options: ExtractToDirectoryOptions = {},
): Promise<ExtractResult> {
  const dest = resolve(destDir);
  const parent = dirname(dest);
  const tmp = join(parent, `${basename(dest)}.tmp-${randomSuffix()}`);
  try {
    await mkdir(parent, { recursive: true, mode: 0o755 });
    await mkdir(tmp, { mode: 0o755 });
  } catch (err) {
    await stream.cancel(err).catch(() => {});
    throw wrapError(`creating destination ${destDir}`, err);
  }
  try {
    const result = await extractTarGz(stream, tmp, options);
    await options.beforeCommit?.(tmp, result);
    await swapIn(tmp, dest, destDir);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Moves `tmp` to `dest`, replacing what is there. Retries when another
 * writer put a directory back in the short window between the two renames.
 */
async function swapIn(
  tmp: string,
  dest: string,
  destDir: string,
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    const old = `${dest}.old-${randomSuffix()}`;
    let moved = false;
    try {
      await rename(dest, old);
      moved = true;
    } catch (err) {
      if (code(err) !== "ENOENT") {
        throw wrapError(`cleaning destination ${destDir}`, err);
      }
    }
    try {
      await rename(tmp, dest);
    } catch (err) {
      const raced = code(err) === "ENOTEMPTY" || code(err) === "EEXIST";
      if (raced && attempt < 3) {
        // Someone else swapped a directory in meanwhile: what we moved
        // aside is older than theirs, and theirs is replaced next round.
        if (moved) {
          await rm(old, { recursive: true, force: true }).catch(() => {});
        }
        continue;
      }
      if (moved) await rename(old, dest).catch(() => {});
      throw wrapError(`creating destination ${destDir}`, err);
    }
    if (moved) {
      await rm(old, { recursive: true, force: true, maxRetries: 3 }).catch(
        () => {},
      );
    }
    return;
  }
}
