/**
 * A TUF store in a directory: each file written to a temporary sibling
 * and renamed into place (`writeFileAtomic`), so concurrent processes
 * read a whole old file, a whole new file, or none.
 *
 * @module
 */
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../layout/fs_util.ts";
import type { TufStore } from "./store.ts";

/** A {@linkcode TufStore} in `dir` (created on the first write). */
export function fsStore(dir: string): TufStore {
  const pathOf = (name: string) => {
    const parts = name.split("/");
    if (parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new TypeError(`TUF cache: bad file name ${name}`);
    }
    return join(dir, ...parts);
  };
  return {
    async read(name, maxBytes) {
      let fh;
      try {
        fh = await open(pathOf(name), "r");
      } catch {
        // Absent or unreadable: a miss.
        return undefined;
      }
      try {
        const info = await fh.stat();
        if (!info.isFile() || info.size > maxBytes) return undefined;
        const out = new Uint8Array(info.size);
        let off = 0;
        while (off < out.length) {
          const { bytesRead } = await fh.read(out, off, out.length - off, off);
          if (bytesRead <= 0) return undefined;
          off += bytesRead;
        }
        return out;
      } catch {
        return undefined;
      } finally {
        await fh.close().catch(() => {});
      }
    },
    async write(name, bytes) {
      try {
        const path = pathOf(name);
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, bytes);
      } catch {
        // A cache that cannot be written costs downloads, not trust.
      }
    },
  };
}
