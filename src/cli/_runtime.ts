/**
 * The host the command line runs on — Deno, Bun or Node ≥ 22 — behind one
 * small interface: arguments, environment, stdout and stderr, signals and
 * exit. Under Deno it uses Deno's own APIs; elsewhere `node:process` (Bun
 * implements it too). `Deno` is only touched when it exists, so the same
 * entry runs unchanged under `deno run`, `bun`, `node` and in a binary
 * built by `deno compile` or `bun build --compile`.
 *
 * Everything else the command line needs from the host (the working and
 * home directories, files, `fetch`, credential helper processes) goes
 * through `node:` modules and web APIs in the library, which all three
 * runtimes provide.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Writer } from "./output.ts";

/** A signal the command line handles. */
export type Signal = "SIGINT" | "SIGTERM";

/** What the command line needs from its host runtime. */
export interface Runtime {
  /** Which runtime this is. */
  readonly name: "deno" | "bun" | "node";
  /** The command line arguments, without the program (and script) name. */
  readonly args: string[];
  /** An environment variable; unset (or not readable) is `undefined`. */
  env(name: string): string | undefined;
  /** Standard output. */
  readonly stdout: Writer;
  /** Standard error. */
  readonly stderr: Writer;
  /**
   * Calls `listener` on `signal` instead of the default (exiting); returns
   * the function that removes it, or `undefined` when the signal cannot be
   * handled here (SIGTERM under Deno on Windows).
   */
  onSignal(signal: Signal, listener: () => void): (() => void) | undefined;
  /** Lets the process exit while `timer` (from `setTimeout`) is pending. */
  unrefTimer(timer: unknown): void;
  /** Exits at once with `code`. */
  exit(code: number): never;
  /** Exits with `code` once what was written to stdout and stderr is out. */
  flushAndExit(code: number): Promise<never>;
}

/** The `Deno` namespace when running under Deno. */
function denoNamespace(): typeof Deno | undefined {
  return (globalThis as { Deno?: typeof Deno }).Deno;
}

const encoder = new TextEncoder();

function denoRuntime(deno: typeof Deno): Runtime {
  const env = (name: string): string | undefined => {
    try {
      return deno.env.get(name);
    } catch {
      // Without --allow-env a variable reads as unset.
      return undefined;
    }
  };
  const writer = (file: typeof Deno.stdout | typeof Deno.stderr): Writer => {
    const isTTY = file.isTerminal();
    return {
      write(text: string) {
        const bytes = encoder.encode(text);
        let offset = 0;
        while (offset < bytes.length) {
          offset += file.writeSync(bytes.subarray(offset));
        }
      },
      isTTY,
      get columns() {
        if (!isTTY) return undefined;
        try {
          const { columns } = deno.consoleSize();
          if (columns > 0) return columns;
        } catch {
          // not a console after all
        }
        // A pseudo-terminal without a size reports 0 columns.
        return Number(env("COLUMNS")) || undefined;
      },
    };
  };
  return {
    name: "deno",
    args: deno.args,
    env,
    stdout: writer(deno.stdout),
    stderr: writer(deno.stderr),
    onSignal(signal, listener) {
      try {
        deno.addSignalListener(signal, listener);
      } catch {
        // Not available here (SIGTERM on Windows): the default stays.
        return undefined;
      }
      return () => deno.removeSignalListener(signal, listener);
    },
    unrefTimer(timer) {
      deno.unrefTimer(timer as number);
    },
    exit(code) {
      return deno.exit(code);
    },
    // Writes are synchronous: nothing is left to flush.
    flushAndExit(code) {
      return Promise.resolve(deno.exit(code));
    },
  };
}

/** How long an exit waits for stdout and stderr to drain at most. */
const FLUSH_TIMEOUT_MS = 2000;

type NodeStream = typeof process.stdout | typeof process.stderr;

function nodeRuntime(): Runtime {
  const env = (name: string): string | undefined => process.env[name];
  const writer = (stream: NodeStream): Writer => {
    // EPIPE and the like (the reader went away): there is no one left to
    // tell, and an unhandled stream error would crash the process.
    stream.on("error", () => {});
    const isTTY = stream.isTTY === true;
    return {
      write(text: string) {
        stream.write(text);
      },
      isTTY,
      get columns() {
        if (!isTTY) return undefined;
        return stream.columns || Number(env("COLUMNS")) || undefined;
      },
    };
  };
  const drained = (stream: NodeStream) =>
    new Promise<void>((resolve) => {
      if (stream.writableLength === 0 || stream.destroyed) resolve();
      // Write callbacks run in order: this one runs after all earlier data.
      else stream.write("", () => resolve());
    });
  return {
    name: process.versions.bun ? "bun" : "node",
    // [runtime, script, ...args]; a `bun build --compile` binary keeps the
    // same shape ("bun", "/$bunfs/root/…", ...args).
    args: process.argv.slice(2),
    env,
    stdout: writer(process.stdout),
    stderr: writer(process.stderr),
    onSignal(signal, listener) {
      process.on(signal, listener);
      return () => process.off(signal, listener);
    },
    unrefTimer(timer) {
      (timer as unknown as { unref?: () => void }).unref?.();
    },
    exit(code) {
      return process.exit(code);
    },
    async flushAndExit(code) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([drained(process.stdout), drained(process.stderr)]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      return process.exit(code);
    },
  };
}

let current: Runtime | undefined;

/**
 * The runtime this process runs on (made once).
 */
export function currentRuntime(): Runtime {
  if (current === undefined) {
    const deno = denoNamespace();
    current = deno ? denoRuntime(deno) : nodeRuntime();
  }
  return current;
}

/**
 * Whether the module of `meta` is the program's entry point:
 * `import.meta.main` where the runtime has it (Deno, Bun, Node ≥ 24.2),
 * else whether it is the script Node was started with.
 */
export function isMain(meta: { url: string; main?: boolean }): boolean {
  if (typeof meta.main === "boolean") return meta.main;
  const script = process.argv[1];
  if (!script || !meta.url.startsWith("file:")) return false;
  try {
    // Node resolves symlinks of the main module: compare real paths.
    return realpathSync(script) === fileURLToPath(meta.url);
  } catch {
    return false;
  }
}
