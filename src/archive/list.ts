/**
 * Listing the entries of a tar.gz without extracting it.
 *
 * @module
 */
import { gunzipStream } from "./gzip.ts";
import {
  type ArchiveLimits,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_TOTAL_BYTES,
} from "./limits.ts";
import { type TarEntryType, TarReader } from "./tar_reader.ts";

/**
 * One listed entry.
 */
export interface TarEntryInfo {
  /** Entry name as stored (not cleaned). */
  name: string;
  /** What it is. */
  type: TarEntryType;
  /** Typeflag character. */
  typeflag: string;
  /** Mode bits as stored. */
  mode: number;
  /** Data bytes (0 for directories and links). */
  size: number;
  /** Link target of links, else `""`. */
  linkname: string;
}

/**
 * Lists the entries of a gzip-compressed tar stream in archive order (PAX
 * global headers are not listed). The same limits as extraction apply,
 * except the per-file size.
 */
export async function listTarGz(
  stream: ReadableStream<Uint8Array>,
  options: Omit<ArchiveLimits, "maxFileBytes"> = {},
): Promise<TarEntryInfo[]> {
  const tar = new TarReader(await gunzipStream(stream), {
    maxBytes: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
  });
  const out: TarEntryInfo[] = [];
  try {
    for (let h = await tar.next(); h; h = await tar.next()) {
      if (h.type === "pax-global") continue;
      const { name, type, typeflag, mode, size, linkname } = h;
      out.push({ name, type, typeflag, mode, size, linkname });
    }
    await tar.drain();
  } catch (err) {
    await tar.cancel(err);
    throw err;
  }
  return out;
}
