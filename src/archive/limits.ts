/**
 * Archive limits and their defaults: what extraction accepts, and what
 * packing checks so that a push never makes an artifact a pull refuses.
 *
 * @module
 */

/**
 * Largest regular file extraction writes: 100 MiB, the Go module's limit.
 * Exactly this many bytes are allowed.
 */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

/**
 * Most bytes of uncompressed tar data an archive may expand to: 1 GiB. The
 * Go module has no such limit; without one a small gzip bomb fills the disk.
 */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

/**
 * Most entries (files, directories, skipped entries) an archive may hold.
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
 * const limits: ArchiveLimits = {
 *   maxFileBytes: 10 * 1024 * 1024,
 *   maxTotalBytes: 100 * 1024 * 1024,
 *   maxEntries: 1000,
 * };
 * console.log(limits.maxEntries); // 1000
 * ```
 */
export interface ArchiveLimits {
  /** Largest regular file in bytes (default 100 MiB, the Go module's limit). */
  maxFileBytes?: number;
  /**
   * Most bytes of uncompressed tar data — headers, contents, skipped
   * entries and padding — the archive may expand to (default 1 GiB; the Go
   * module has no such limit).
   */
  maxTotalBytes?: number;
  /** Most entries of any type (default 100 000). */
  maxEntries?: number;
}
