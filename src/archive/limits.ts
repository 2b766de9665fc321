/**
 * Archive limits and their defaults: what extraction accepts, and what
 * packing checks so that a push never makes an artifact a pull refuses.
 *
 * @module
 */

/**
 * Largest regular file extraction writes: 100 MiB, the Go module's limit.
 * Exactly this many bytes are allowed.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_FILE_BYTES } from "@klaus/oci";
 * console.log(DEFAULT_MAX_FILE_BYTES); // 104857600
 * ```
 */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

/**
 * Most bytes of uncompressed tar data an archive may expand to: 1 GiB. The
 * Go module has no such limit; without one a small gzip bomb fills the disk.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_TOTAL_BYTES } from "@klaus/oci";
 * console.log(DEFAULT_MAX_TOTAL_BYTES); // 1073741824
 * ```
 */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

/**
 * Most entries (files, directories, skipped entries) an archive may hold.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_ENTRIES } from "@klaus/oci";
 * console.log(DEFAULT_MAX_ENTRIES); // 100000
 * ```
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Limits applied while reading an archive, and checked (against the walked
 * tree, before anything is read) when packing one. Exceeding one is a
 * `TooLargeError`.
 *
 * @example
 * ```ts
 * import type { ArchiveLimits } from "@klaus/oci";
 * const limits: ArchiveLimits = { maxFileBytes: 10 << 20, maxTotalBytes: 100 << 20, maxEntries: 1000 };
 * console.log(limits.maxEntries);
 * ```
 */
export interface ArchiveLimits {
  /** Largest regular file (default {@linkcode DEFAULT_MAX_FILE_BYTES}). */
  maxFileBytes?: number;
  /**
   * Most bytes of uncompressed tar data — headers, contents, skipped
   * entries and padding — the archive may expand to (default
   * {@linkcode DEFAULT_MAX_TOTAL_BYTES}).
   */
  maxTotalBytes?: number;
  /** Most entries of any type (default {@linkcode DEFAULT_MAX_ENTRIES}). */
  maxEntries?: number;
}
