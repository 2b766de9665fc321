/**
 * Small statistics and formatting helpers of the benchmark.
 *
 * @module
 */

/** One MiB in bytes. */
export const MiB = 1024 * 1024;

/**
 * The median of `xs` (mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * console.log(median([3, 1, 2])); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The `p`-th percentile of `xs` (nearest rank, `p` in 0..100).
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * console.log(percentile([1, 2, 3, 4], 50)); // 2
 * ```
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/**
 * Milliseconds with a sensible number of digits.
 *
 * @example
 * ```ts
 * import { ms } from "./stats.ts";
 * console.log(ms(1234.5), ms(3.21)); // "1235 ms" "3.2 ms"
 * ```
 */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  if (x >= 100) return `${Math.round(x)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

/**
 * A ratio as `1.23×`.
 *
 * @example
 * ```ts
 * import { ratio } from "./stats.ts";
 * console.log(ratio(3, 2)); // "1.50×"
 * ```
 */
export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) {
    return "n/a";
  }
  return `${(ours / theirs).toFixed(2)}×`;
}

/**
 * Throughput in MiB/s for `bytes` moved in `millis`.
 *
 * @example
 * ```ts
 * import { mibPerSec } from "./stats.ts";
 * console.log(mibPerSec(1024 * 1024, 1000)); // 1
 * ```
 */
export function mibPerSec(bytes: number, millis: number): number {
  return bytes / MiB / (millis / 1000);
}

/**
 * Bytes as MiB with one decimal.
 *
 * @example
 * ```ts
 * import { mib } from "./stats.ts";
 * console.log(mib(3 * 1024 * 1024)); // "3.0 MiB"
 * ```
 */
export function mib(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/**
 * A Markdown table.
 *
 * @example
 * ```ts
 * import { table } from "./stats.ts";
 * console.log(table(["a", "b"], [["1", "2"]]));
 * ```
 */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    line(head.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}
