/**
 * Rendering for people and for programs: one JSON document on stdout with
 * `--json`, aligned text otherwise; warnings and errors on stderr; colours
 * only on a terminal and never with `NO_COLOR`.
 *
 * @module
 */

/**
 * Where text goes: stdout or stderr, a real one or a test's fake.
 *
 * @example
 * ```ts
 * import type { Writer } from "./output.ts";
 * let seen = "";
 * const w: Writer = { write: (t) => { seen += t; }, isTTY: false };
 * w.write("hi\n");
 * console.log(seen);
 * ```
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
 *
 * @example
 * ```ts
 * import { colorEnabled } from "./output.ts";
 * console.log(colorEnabled({ write() {}, isTTY: true }, "1")); // false
 * ```
 */
export function colorEnabled(
  writer: Writer,
  noColor: string | undefined,
): boolean {
  return writer.isTTY && (noColor === undefined || noColor === "");
}

/**
 * ANSI styling that turns into the identity when colours are off.
 *
 * @example
 * ```ts
 * import { Style } from "./output.ts";
 * console.log(new Style(false).bold("Name:")); // Name:
 * ```
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
 *
 * @example
 * ```ts
 * import { field, Style } from "./output.ts";
 * console.log(field("Name:", "base", new Style(false))); // "Name:          base"
 * ```
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
 *
 * @example
 * ```ts
 * import { table } from "./output.ts";
 * console.log(table([["NAME", "VERSION"], ["base", "v1.0.0"]]));
 * ```
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
 * Replaces every occurrence of each secret (of 4 characters or more) with
 * `***`: a last line of defence so no password or token reaches stderr.
 *
 * @example
 * ```ts
 * import { redact } from "./output.ts";
 * console.log(redact("bad s3cret!", ["s3cret"])); // bad ***!
 * ```
 */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join("***");
  }
  return out;
}

/**
 * The secrets a base64 Docker config carries (passwords, identity and
 * registry tokens, the `auth` fields themselves), for {@linkcode redact}.
 * Unparseable input yields the raw value only.
 *
 * @example
 * ```ts
 * import { secretsOfDockerConfig } from "./output.ts";
 * const cfg = btoa(JSON.stringify({ auths: { h: { auth: btoa("u:pw12") } } }));
 * console.log(secretsOfDockerConfig(cfg).includes("pw12")); // true
 * ```
 */
export function secretsOfDockerConfig(base64: string | undefined): string[] {
  if (!base64) return [];
  const secrets = [base64];
  try {
    const config = JSON.parse(atob(base64.trim())) as {
      auths?: Record<string, Record<string, unknown>>;
    };
    for (const entry of Object.values(config.auths ?? {})) {
      for (
        const key of ["auth", "password", "identitytoken", "registrytoken"]
      ) {
        const v = entry?.[key];
        if (typeof v !== "string" || v === "") continue;
        secrets.push(v);
        if (key === "auth") {
          try {
            const decoded = atob(v);
            const colon = decoded.indexOf(":");
            if (colon >= 0) secrets.push(decoded.slice(colon + 1));
          } catch {
            // not base64: the raw value is already listed
          }
        }
      }
    }
  } catch {
    // not a Docker config: only the raw value can be scrubbed
  }
  return secrets;
}

/**
 * The program's output channels for one run.
 *
 * @example
 * ```ts
 * import { Output } from "./output.ts";
 * let out = "";
 * const o = new Output({ write: (t) => { out += t; }, isTTY: false }, { write() {}, isTTY: false }, { json: true });
 * o.json(["v1.0.0"]);
 * console.log(out);
 * ```
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
  readonly #secrets: readonly string[];

  /** Creates the channels; colours follow `noColor` and each writer's TTY. */
  constructor(
    stdout: Writer,
    stderr: Writer,
    options: { json?: boolean; noColor?: string; secrets?: readonly string[] } =
      {},
  ) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.jsonMode = options.json ?? false;
    this.style = new Style(colorEnabled(stdout, options.noColor));
    this.errStyle = new Style(colorEnabled(stderr, options.noColor));
    this.#secrets = options.secrets ?? [];
  }

  /** Prints lines of text on stdout. */
  text(...lines: string[]): void {
    if (lines.length === 0) return;
    this.#stdout.write(lines.join("\n") + "\n");
  }

  /** Prints the one JSON document of this run on stdout (2-space indent). */
  json(value: unknown): void {
    this.#stdout.write(JSON.stringify(value, null, 2) + "\n");
  }

  /** Prints `Warning: <message>` on stderr. */
  warn(message: string): void {
    this.#stderr.write(
      `${this.errStyle.yellow("Warning:")} ${redact(message, this.#secrets)}\n`,
    );
  }

  /** Prints `error: <message>` on stderr, secrets scrubbed. */
  error(message: string): void {
    this.#stderr.write(
      `${this.errStyle.red("error:")} ${redact(message, this.#secrets)}\n`,
    );
  }

  /** Prints raw text on stderr (usage). */
  stderr(text: string): void {
    this.#stderr.write(text.endsWith("\n") ? text : text + "\n");
  }
}
