/**
 * Which destinations a pull may replace (README, "Reliability and
 * security"): a missing or empty
 * directory, or one an earlier pull made (it has `.oci-cache.json`).
 * Anything else — a user's directory, a file, a link to either — is only
 * replaced when the caller asks to overwrite, and the root, the working
 * directory, the home directory and their ancestors never are.
 *
 * @module
 */
import { lstat, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import { assertNotProtected } from "../archive/protected_destination.ts";
import { UnsafeDestinationError, wrapError } from "../errors.ts";
import { CACHE_FILE_NAME, hasCacheFile } from "./cache_entry.ts";

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

async function lstatOrMissing(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    if (code(e) === "ENOENT") return undefined;
    throw e;
  }
}

/** The verdict on one directory entry, `undefined` when it may be replaced. */
async function verdict(
  dest: string,
  st: Awaited<ReturnType<typeof lstat>>,
): Promise<string | undefined> {
  if (st.isDirectory()) {
    const entries = await readdir(dest).catch((e) => {
      if (code(e) === "ENOENT") return [];
      throw e;
    });
    if (entries.length === 0) return undefined;
    if (await hasCacheFile(dest)) return undefined;
    return `is not empty and holds no earlier pull (no ${CACHE_FILE_NAME})`;
  }
  // A link to an earlier pull is replaced by a directory (its target stays).
  if (st.isSymbolicLink()) {
    if (await hasCacheFile(dest)) return undefined;
    return "is a symbolic link to something no pull made";
  }
  return "is a file, not a directory";
}

/**
 * What `dest` holds that a pull must not replace unasked, if anything.
 * Concurrent pulls swap directories in and out meanwhile: a verdict counts
 * only when the same entry stood there before and after it was made.
 */
async function foreignContent(dest: string): Promise<string | undefined> {
  for (let attempt = 0;; attempt++) {
    const before = await lstatOrMissing(dest);
    if (!before) return undefined;
    const what = await verdict(dest, before);
    if (what === undefined) return undefined;
    const after = await lstatOrMissing(dest);
    if (!after) return undefined;
    if (
      (after.ino === before.ino && after.dev === before.dev) || attempt >= 3
    ) {
      return what;
    }
  }
}

/**
 * Throws {@linkcode UnsafeDestinationError} unless a pull may replace
 * `dest`: never the root, the working or home directory or an ancestor of
 * one (`overridable: false`); a non-empty directory without
 * `.oci-cache.json`, a file or a link to either only with `overwrite`
 * (`overridable: true`).
 */
export async function assertPullDestination(
  dest: string,
  overwrite: boolean,
): Promise<void> {
  await assertNotProtected(dest);
  if (overwrite) return;
  const path = resolve(dest);
  let what: string | undefined;
  try {
    what = await foreignContent(path);
  } catch (e) {
    throw wrapError(`checking destination ${path}`, e);
  }
  if (what === undefined) return;
  throw new UnsafeDestinationError(
    `refusing to replace ${path}: it ${what}; pass overwrite to replace it`,
    { path, overridable: true },
  );
}
