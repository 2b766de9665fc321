/**
 * The part of `node:zlib` the adaptive gzip writer (and, on Node, the
 * gzip reader) needs, loaded lazily
 * with a dynamic `import()` so that the library still loads (and bundles)
 * where `node:zlib` is missing: there gzip falls back to
 * `CompressionStream`.
 *
 * @module
 */
import { crc32 as crc32Js } from "./crc32.ts";
import type { GunzipDuplex } from "./node_gunzip.ts";

/**
 * Options of {@linkcode ZlibApi.deflateRawSync}, as in `node:zlib`.
 */
export interface DeflateRawOptions {
  /** Compression level, 0–9. */
  level: number;
  /** Preset dictionary: the 32 KiB of input before this data. */
  dictionary?: Uint8Array;
  /** Flush at the end of the data (`Z_SYNC_FLUSH` leaves the stream open). */
  finishFlush: number;
  /** Size of zlib's output buffers. */
  chunkSize?: number;
}

/**
 * What the gzip writer uses of `node:zlib`.
 */
export interface ZlibApi {
  /** Raw deflate of one buffer (`zlib.deflateRawSync`). */
  deflateRawSync(data: Uint8Array, options: DeflateRawOptions): Uint8Array;
  /** CRC-32 update (`zlib.crc32`, or a TypeScript one where it is missing). */
  crc32(data: Uint8Array, value: number): number;
  /** `zlib.constants.Z_SYNC_FLUSH`. */
  Z_SYNC_FLUSH: number;
  /** A streaming gunzip (`zlib.createGunzip`), where the module has one. */
  createGunzip?: (options: { chunkSize: number }) => GunzipDuplex;
}

let loaded: Promise<ZlibApi | undefined> | undefined;
let override: { api: ZlibApi | undefined } | undefined;

async function load(): Promise<ZlibApi | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = await import("node:zlib");
  } catch {
    return undefined;
  }
  const z = (mod.default ?? mod) as Record<string, unknown>;
  const deflateRawSync = z.deflateRawSync;
  const constants = z.constants as Record<string, number> | undefined;
  if (typeof deflateRawSync !== "function" || !constants) return undefined;
  const native = z.crc32;
  return {
    deflateRawSync: deflateRawSync as ZlibApi["deflateRawSync"],
    crc32: typeof native === "function" ? native as ZlibApi["crc32"] : crc32Js,
    Z_SYNC_FLUSH: constants.Z_SYNC_FLUSH ?? 2,
    createGunzip: typeof z.createGunzip === "function"
      ? z.createGunzip as ZlibApi["createGunzip"]
      : undefined,
  };
}

/**
 * `node:zlib`, or `undefined` where the runtime has none (the import is
 * attempted once).
 */
export function loadZlib(): Promise<ZlibApi | undefined> {
  if (override) return Promise.resolve(override.api);
  loaded ??= load();
  return loaded;
}

/**
 * Replaces what {@linkcode loadZlib} returns (`undefined` simulates a
 * runtime without `node:zlib`); `null` restores the real module. For tests.
 */
export function overrideZlib(api: ZlibApi | undefined | null): void {
  override = api === null ? undefined : { api };
}
