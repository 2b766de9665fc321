/**
 * Rendering for people and for programs: one JSON document on stdout with
 * `--json`, aligned text otherwise; warnings and errors on stderr; colours
 * only on a terminal and never with `NO_COLOR`. Everything on stderr goes
 * through the project's one redaction (`src/_redact.ts`).
 *
 * @module
 */
import { displayText } from "../_redact.ts";

/**
 * Where text goes: stdout or stderr, a real one or a test's fake.
 */
export interface Writer {
  /** Writes text as it is (no newline added). */
  write(text: string): void;
  /** Whether this is a terminal. */
  readonly isTTY: boolean;
  /** Terminal width in columns, when known. */
  readonly columns?: number;
}

/**
 * Whether colours may be used on `writer`: it must be a terminal and
 * `NO_COLOR` unset or empty (no-color.org).
 */
export function colorEnabled(
  writer: Writer,
  noColor: string | undefined,
): boolean {
  return writer.isTTY && (noColor === undefined || noColor === "");
}

/**
 * ANSI styling that turns into the identity when colours are off.
 */
export class Style {
  /** Whether escapes are emitted. */
  readonly enabled: boolean;

  /** Creates a style; `enabled` false makes every method the identity. */
  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  #wrap(open: number, close: number, text: string): string {
    return this.enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  }

  /** Bold text. */
  bold(text: string): string {
    return this.#wrap(1, 22, text);
  }

  /** Dimmed text. */
  dim(text: string): string {
    return this.#wrap(2, 22, text);
  }

  /** Red text. */
  red(text: string): string {
    return this.#wrap(31, 39, text);
  }

  /** Yellow text. */
  yellow(text: string): string {
    return this.#wrap(33, 39, text);
  }

  /** Green text. */
  green(text: string): string {
    return this.#wrap(32, 39, text);
  }
}

/**
 * klausctl's `%-14s %s` field line, with an optional indent; the label is
 * padded before styling so alignment survives colours.
 */
export function field(
  label: string,
  value: string,
  style: Style,
  indent = "",
): string {
  return `${indent}${style.bold(label.padEnd(14))} ${value}`;
}

/**
 * Go `text/tabwriter` with 3 spaces of padding: columns as wide as their
 * widest cell, the last column unpadded.
 */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row.map((cell, i) =>
      i === row.length - 1 ? cell : cell.padEnd(widths[i] + 3)
    )
      .join("")
  ).join("\n");
}

/**
 * The program's output channels for one run.
 */
export class Output {
  /** Print JSON rather than text. */
  readonly jsonMode: boolean;
  /** Styling for stdout. */
  readonly style: Style;
  /** Styling for stderr. */
  readonly errStyle: Style;
  readonly #stdout: Writer;
  readonly #stderr: Writer;

  /** Creates the channels; colours follow `noColor` and each writer's TTY. */
  constructor(
    stdout: Writer,
    stderr: Writer,
    options: { json?: boolean; noColor?: string } = {},
  ) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.jsonMode = options.json ?? false;
    this.style = new Style(colorEnabled(stdout, options.noColor));
    this.errStyle = new Style(colorEnabled(stderr, options.noColor));
  }

  /** Prints lines of text on stdout. */
  text(...lines: string[]): void {
    this.lines(lines);
  }

  /**
   * Prints a list of lines of any length on stdout (an array, never
   * spread into arguments: a million tags would overflow the call stack).
   */
  lines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.#stdout.write(lines.join("\n") + "\n");
  }

  /** Prints the one JSON document of this run on stdout (2-space indent). */
  json(value: unknown): void {
    this.#stdout.write(JSON.stringify(value, null, 2) + "\n");
  }

  /** Prints `Warning: <message>` on stderr, redacted. */
  warn(message: string): void {
    this.#stderr.write(
      `${this.errStyle.yellow("Warning:")} ${displayText(message)}\n`,
    );
  }

  /** Prints `error: <message>` on stderr, redacted. */
  error(message: string): void {
    this.#stderr.write(
      `${this.errStyle.red("error:")} ${displayText(message)}\n`,
    );
  }

  /** Whether stderr is a terminal (someone is there to act on a prompt). */
  get interactive(): boolean {
    return this.#stderr.isTTY;
  }

  /** Prints text on stderr (usage), redacted. */
  stderr(text: string): void {
    const safe = displayText(text);
    this.#stderr.write(safe.endsWith("\n") ? safe : safe + "\n");
  }
}
