/**
 * Push records: what a push of a source tree produced, so an unchanged
 * re-push needs neither to read the files nor to upload anything. A record
 * is keyed by a fingerprint of the tree — every entry's path, type, mode,
 * size, modification and change time, device and inode — and of the
 * packing options; it holds the layer's descriptor and the repositories
 * (per registry) known to have the blob, which a push to another
 * repository of the same registry can mount from.
 *
 * Records are a cache: a missing, corrupt or oversized one is a normal
 * push, and anything a record claims is confirmed with the registry (a
 * `HEAD`, or the digest check of an upload) before it is relied on.
 *
 * @module
 */
import { lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";

/** What one push of a tree produced. */
export interface PushRecord {
  /** The content layer the tree packs to. */
  layer: Descriptor;
  /** Repositories known to hold the layer, per registry host. */
  repositories: Record<string, string[]>;
}

/** Where push records are kept. */
export interface PushRecords {
  /** The record of a fingerprint, if one is kept and readable. */
  get(fingerprint: string): Promise<PushRecord | undefined>;
  /** Keeps (replaces) the record of a fingerprint; failures are ignored. */
  put(fingerprint: string, record: PushRecord): Promise<void>;
}

/** One entry of a tree as the fingerprint sees it. */
export interface FingerprintEntry {
  /** Path in the archive. */
  name: string;
  /** Entry type. */
  type: string;
  /** Permission bits. */
  mode: number;
  /** Size in bytes. */
  size: number;
}

// A record is a few hundred bytes; anything much larger is not ours.
const MAX_RECORD_BYTES = 64 * 1024;
// Repositories remembered per registry (most recent first).
const MAX_REPOSITORIES = 32;
const VERSION = 1;

/**
 * The fingerprint of a tree: `sha256:` of its entries with their file
 * system metadata (`lstat`, no content read) and `options`. Any change of
 * content changes a size or a modification or change time; a file replaced
 * by another changes its inode.
 */
export async function treeFingerprint(
  dir: string,
  entries: readonly FingerprintEntry[],
  options: Record<string, unknown>,
): Promise<string> {
  const lines: string[] = [
    JSON.stringify({ version: VERSION, options }),
  ];
  for (const e of entries) {
    const st = await lstat(join(dir, e.name), { bigint: true });
    lines.push(
      JSON.stringify([
        e.name,
        e.type,
        e.mode,
        e.size,
        st.size.toString(),
        st.mtimeNs.toString(),
        st.ctimeNs.toString(),
        st.dev.toString(),
        st.ino.toString(),
      ]),
    );
  }
  return digestOf(new TextEncoder().encode(lines.join("\n")));
}

/**
 * Push records as small JSON files in a directory (the cache directory's
 * `push/`), written atomically.
 */
export class FsPushRecords implements PushRecords {
  #dir: string;

  /** Records kept below `dir` (created on the first write). */
  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(fingerprint: string): string {
    return join(this.#dir, `${fingerprint.replace(":", "-")}.json`);
  }

  async get(fingerprint: string): Promise<PushRecord | undefined> {
    let bytes: Uint8Array;
    try {
      const file = await open(this.#path(fingerprint), "r");
      try {
        const buf = new Uint8Array(MAX_RECORD_BYTES + 1);
        const { bytesRead } = await file.read(buf, 0, buf.length, 0);
        if (bytesRead > MAX_RECORD_BYTES) return undefined;
        bytes = buf.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    } catch {
      return undefined;
    }
    try {
      return parseRecord(JSON.parse(new TextDecoder().decode(bytes)));
    } catch {
      return undefined;
    }
  }

  async put(fingerprint: string, record: PushRecord): Promise<void> {
    const path = this.#path(fingerprint);
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeNew(tmp, JSON.stringify({ version: VERSION, ...record }));
      await rename(tmp, path);
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }
}

/** `record` with `repository` of `registry` added first (bounded). */
export function withRepository(
  record: PushRecord | undefined,
  layer: Descriptor,
  registry: string,
  repository: string,
): PushRecord {
  const same = record && record.layer.digest === layer.digest;
  const repositories: Record<string, string[]> = same
    ? { ...record.repositories }
    : {};
  const list = (repositories[registry] ?? []).filter((r) => r !== repository);
  repositories[registry] = [repository, ...list].slice(0, MAX_REPOSITORIES);
  return { layer, repositories };
}

async function writeNew(path: string, text: string): Promise<void> {
  const file = await open(path, "wx", 0o600);
  try {
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

function parseRecord(doc: unknown): PushRecord | undefined {
  if (typeof doc !== "object" || doc === null) return undefined;
  const d = doc as Record<string, unknown>;
  if (d.version !== VERSION) return undefined;
  const layer = d.layer as Record<string, unknown> | undefined;
  if (
    !layer || typeof layer.digest !== "string" ||
    !/^sha256:[a-f0-9]{64}$/.test(layer.digest) ||
    typeof layer.size !== "number" || !Number.isSafeInteger(layer.size) ||
    layer.size < 0 || typeof layer.mediaType !== "string"
  ) {
    return undefined;
  }
  const repositories: Record<string, string[]> = {};
  if (typeof d.repositories === "object" && d.repositories !== null) {
    for (const [host, list] of Object.entries(d.repositories)) {
      if (Array.isArray(list)) {
        repositories[host] = list.filter((r): r is string =>
          typeof r === "string"
        ).slice(0, MAX_REPOSITORIES);
      }
    }
  }
  return {
    layer: {
      mediaType: layer.mediaType,
      digest: layer.digest,
      size: layer.size,
    },
    repositories,
  };
}
