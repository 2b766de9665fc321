/**
 * Progress bars on a terminal: one line per blob with bytes, rate and ETA,
 * redrawn in place. Nothing is drawn unless the writer is a terminal.
 *
 * @module
 */

import type { ProgressEvent } from "../oci/store.ts";
import type { Writer } from "./output.ts";

const KIB = 1024;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Bytes in binary units with one decimal from KiB on.
 */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= KIB && unit < UNITS.length - 1) {
    value /= KIB;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * Whole seconds as `42s`, `3m07s` or `2h05m`.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(s / 3600)}h${
    String(Math.floor((s % 3600) / 60)).padStart(2, "0")
  }m`;
}

/**
 * What one bar shows.
 */
export interface BarState {
  /** Left column: blob role and short digest. */
  label: string;
  /** Bytes so far. */
  transferred: number;
  /** Bytes expected (0 when unknown). */
  total: number;
  /** Time of the first event (ms). */
  startedAt: number;
  /** Time of the last event (ms). */
  updatedAt?: number;
  /** Finished. */
  done: boolean;
  /** Already present, not transferred. */
  skipped: boolean;
}

const MAX_BAR_WIDTH = 30;
/** Width of the fixed fields after the bar (4 + 19 + 11 + 10 + 3 spaces). */
const TAIL_WIDTH = 47;
const MIN_BAR_WIDTH = 8;

function role(mediaType: string | undefined): string {
  if (mediaType === undefined) return "blob";
  if (mediaType.includes("manifest") || mediaType.includes("index")) {
    return "index";
  }
  if (mediaType.includes("config")) return "config";
  return "layer";
}

function shortHex(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}

/**
 * One bar's line, fitted to `width` columns: label, bar, percentage, bytes,
 * rate, ETA (or `done`). The fields after the bar have fixed widths so
 * nothing jumps between redraws; the bar takes the room left (8 to 30
 * columns) and is dropped on terminals too narrow for it.
 */
export function renderBar(bar: BarState, now: number, width = 80): string {
  if (bar.skipped) {
    return fit(`${bar.label} already present, skipped`, width);
  }
  const end = bar.done ? (bar.updatedAt ?? now) : now;
  const elapsed = Math.max(end - bar.startedAt, 0) / 1000;
  const rate = elapsed > 0 ? bar.transferred / elapsed : 0;
  const known = bar.total > 0;
  const fraction = known ? Math.min(bar.transferred / bar.total, 1) : 0;
  const pct = `${Math.floor(fraction * 100)}%`;
  const bytes = known
    ? `${formatBytes(bar.transferred)}/${formatBytes(bar.total)}`
    : formatBytes(bar.transferred);
  const speed = rate > 0 ? `${formatBytes(Math.round(rate))}/s` : "";
  let state = "";
  if (bar.done) state = "done";
  else if (rate > 0 && bar.total > bar.transferred) {
    state = `ETA ${formatDuration((bar.total - bar.transferred) / rate)}`;
  }
  if (!known) {
    // Nothing to align against: no bar, no padding.
    return fit(
      [bar.label, bytes, speed, state].filter(Boolean).join(" "),
      width,
    );
  }
  const tail = [
    pct.padStart(4),
    bytes.padStart(19),
    speed.padStart(11),
    state.padEnd(10),
  ].join(" ").trimEnd();
  const room = width - bar.label.length - TAIL_WIDTH - 4;
  const barWidth = Math.min(MAX_BAR_WIDTH, room);
  if (barWidth < MIN_BAR_WIDTH) return fit(`${bar.label} ${tail}`, width);
  const filled = Math.round(fraction * barWidth);
  const drawn = `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]`;
  return fit(`${bar.label} ${drawn} ${tail}`, width);
}

function fit(line: string, width: number): string {
  return line.length > width ? line.slice(0, width) : line;
}

/**
 * Options of {@linkcode ProgressRenderer}.
 */
export interface ProgressRendererOptions {
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Least time between redraws for in-flight updates (default 100). */
  intervalMs?: number;
}

/**
 * Draws one bar per blob on a terminal and redraws them in place (cursor up,
 * clear line). Bars of one block stay until {@linkcode finish}; text
 * written through {@linkcode interject} appears above them.
 */
export class ProgressRenderer {
  readonly #writer: Writer;
  readonly #now: () => number;
  readonly #intervalMs: number;
  #bars = new Map<string, BarState>();
  #drawn = 0;
  #lastDraw = -Infinity;
  #dirty = false;

  /** Creates a renderer writing to `writer` (which should be a terminal). */
  constructor(writer: Writer, options: ProgressRendererOptions = {}) {
    this.#writer = writer;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 100;
  }

  /** Takes one progress event; redraws when due. */
  update(event: ProgressEvent): void {
    const now = this.#now();
    const key = `${event.direction} ${event.digest || event.mediaType || "?"}`;
    let bar = this.#bars.get(key);
    const isNew = bar === undefined;
    if (bar === undefined) {
      // Docker's layout: the first 12 hex digits identify the blob.
      const id = event.digest ? shortHex(event.digest) : "(uploading)";
      bar = {
        label: `${role(event.mediaType).padEnd(6)} ${id}`,
        transferred: 0,
        total: 0,
        startedAt: now,
        done: false,
        skipped: false,
      };
      this.#bars.set(key, bar);
    }
    bar.transferred = event.transferred;
    bar.total = event.total;
    bar.updatedAt = now;
    bar.done = bar.done || event.done;
    bar.skipped = bar.skipped || (event.skipped ?? false);
    this.#dirty = true;
    if (isNew || event.done || now - this.#lastDraw >= this.#intervalMs) {
      this.#draw(now);
    }
  }

  /** Writes `text` above the bars (warnings while a transfer runs). */
  interject(text: string): void {
    let out = "";
    if (this.#drawn > 0) out += `\x1b[${this.#drawn}A\r\x1b[0J`;
    out += text;
    this.#drawn = 0;
    this.#writer.write(out);
    if (this.#bars.size > 0) this.#draw(this.#now());
  }

  /** Draws the final state and starts a new block for later events. */
  finish(): void {
    if (this.#dirty) this.#draw(this.#now());
    this.#bars = new Map();
    this.#drawn = 0;
  }

  #draw(now: number): void {
    // One column short of the width, so no line wraps (a wrapped line
    // would break the cursor-up arithmetic). Unknown or 0 width: 80.
    const columns = this.#writer.columns;
    const width = columns && columns > 0 ? Math.max(columns - 1, 20) : 79;
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "";
    for (const bar of this.#bars.values()) {
      out += `\r\x1b[2K${renderBar(bar, now, width)}\n`;
    }
    this.#drawn = this.#bars.size;
    this.#lastDraw = now;
    this.#dirty = false;
    this.#writer.write(out);
  }
}

/**
 * A renderer for `writer` when it is a terminal and not `quiet`, else
 * `undefined` (no progress output at all).
 */
export function createProgress(
  writer: Writer,
  quiet: boolean,
  options?: ProgressRendererOptions,
): ProgressRenderer | undefined {
  if (quiet || !writer.isTTY) return undefined;
  return new ProgressRenderer(writer, options);
}
