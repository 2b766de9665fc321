/**
 * Where a TUF client keeps its trusted metadata and targets between
 * updates: in memory (workerd, no cache directory) or in a directory
 * (`fs_store.ts`, loaded only when one is given).
 *
 * @module
 */

/** The local copies of one repository's metadata and targets. */
export interface TufStore {
  /** The file `name` (`root.json`, `targets/trusted_root.json`), if kept and at most `maxBytes` long. */
  read(name: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Keeps `bytes` as `name`, whole or not at all; failures are ignored. */
  write(name: string, bytes: Uint8Array): Promise<void>;
}

/** A store in memory (nothing survives the process). */
export function memoryStore(): TufStore {
  const files = new Map<string, Uint8Array>();
  return {
    read: (name, maxBytes) => {
      const bytes = files.get(name);
      return Promise.resolve(
        bytes && bytes.length <= maxBytes ? bytes : undefined,
      );
    },
    write: (name, bytes) => {
      files.set(name, bytes.slice());
      return Promise.resolve();
    },
  };
}

/**
 * The store of mirror `mirrorUrl` below `cacheDir`: a directory per
 * mirror (its host and path, percent-encoded, as sigstore-js names it).
 */
export async function directoryStore(
  cacheDir: string,
  mirrorUrl: string,
): Promise<TufStore> {
  const { fsStore } = await import("./fs_store.ts");
  const url = new URL(mirrorUrl);
  const name = encodeURIComponent(url.host + url.pathname.replace(/\/+$/, ""));
  return fsStore(`${cacheDir.replace(/\/+$/, "")}/${name}`);
}
