/**
 * Discovering image layouts below a directory, for listing an
 * `ocidir://<root>` registry base.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isNotFound } from "./fs_util.ts";
import { OCI_LAYOUT_FILE } from "./layout_files.ts";
import { compareUtf8 } from "../_bytes.ts";

/**
 * Paths (relative to `root`, `/`-separated, byte-wise sorted) of every
 * directory strictly below `root` that holds an `oci-layout` file. The
 * `blobs/` directory of a layout is not searched, symbolic links are not
 * followed (no cycles), and subdirectories that cannot be read are
 * skipped. `root` itself must be a readable directory (its node:fs error
 * is thrown otherwise).
 */
export async function findLayouts(
  root: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (rel.length === 0) throw e;
      if (isNotFound(e) || (e as { code?: unknown }).code === "EACCES") return;
      throw e;
    }
    const isLayout = entries.some((e) =>
      e.name === OCI_LAYOUT_FILE && e.isFile()
    );
    if (isLayout && rel.length > 0) found.push(rel.join("/"));
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (isLayout && e.name === "blobs") continue;
      await walk(join(dir, e.name), [...rel, e.name]);
    }
  };
  await walk(root, []);
  return found.sort(compareUtf8);
}
