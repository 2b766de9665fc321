/**
 * The `klaus-oci` command line under Deno:
 *
 * ```sh
 * deno run -A jsr:@klaus/oci/cli plugin list
 * deno run -A jsr:@klaus/oci/cli personality describe sre --json
 * deno run -A jsr:@klaus/oci/cli plugin pull gs-base:v0.1.0 ./gs-base
 * ```
 *
 * This is the only file of the library that touches `Deno.*`: it wires
 * stdio, the environment, signals and the library client into
 * {@linkcode runCli}.
 *
 * SIGINT and SIGTERM: while a pull runs, its signal is aborted so it
 * removes its temporary sibling (or, already swapping, finishes the swap:
 * the destination is never left missing); then the process exits 130 or
 * 143. Without a pull running, or on a second signal, or when the pull has
 * not stopped within 10 s, it exits at once (the next pull repairs
 * whatever was left).
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { testPause } from "../artifact/test_pause.ts";
import { Client } from "../client.ts";
import type { CliClient } from "./context.ts";
import type { Writer } from "./output.ts";
import { runCli } from "./run.ts";

const encoder = new TextEncoder();

function writerFor(file: typeof Deno.stdout | typeof Deno.stderr): Writer {
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
        const { columns } = Deno.consoleSize();
        if (columns > 0) return columns;
      } catch {
        // not a console after all
      }
      // A pseudo-terminal without a size reports 0 columns.
      return Number(env("COLUMNS")) || undefined;
    },
  };
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // Without --allow-env a variable reads as unset.
    return undefined;
  }
}

/** The exit code for each signal handled: 128 + its number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** How long an interrupted pull may take to clean up before a hard exit. */
const INTERRUPT_GRACE_MS = 10_000;

type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Signal handling for one run: aborts running pulls, then exits. */
class Interrupts {
  readonly #controller = new AbortController();
  readonly #listeners: [HandledSignal, () => void][] = [];
  #pulls = 0;
  /** The exit code of the first signal received, if any. */
  exitCode: number | undefined;

  constructor() {
    for (const name of Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]) {
      const listener = () => this.#received(name);
      try {
        Deno.addSignalListener(name, listener);
        this.#listeners.push([name, listener]);
      } catch {
        // Not available here (SIGTERM on Windows): the default stays.
      }
    }
  }

  #received(name: HandledSignal): void {
    const code = SIGNAL_EXIT_CODES[name];
    if (this.exitCode !== undefined || this.#pulls === 0) Deno.exit(code);
    this.exitCode = code;
    this.#controller.abort(new Error(`interrupted by ${name}`));
    Deno.unrefTimer(setTimeout(() => Deno.exit(code), INTERRUPT_GRACE_MS));
  }

  /** `client` with every pull given the abort signal (and the test pause). */
  wrap(client: Client, pause: string | undefined): CliClient {
    const signal = this.#controller.signal;
    const onStep = testPause(pause, signal);
    const track = async <T>(pull: () => Promise<T>): Promise<T> => {
      this.#pulls++;
      try {
        return await pull();
      } finally {
        this.#pulls--;
      }
    };
    return new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key === "pullPlugin" || key === "pullPersonality") {
          return (ref: string, dir: string, options?: object) =>
            track(() =>
              value.call(target, ref, dir, { ...options, signal, onStep })
            );
        }
        // Bound to the real client: its private fields are not on the proxy.
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  dispose(): void {
    for (const [name, listener] of this.#listeners) {
      Deno.removeSignalListener(name, listener);
    }
  }
}

/**
 * Runs the command line with `args` and returns the exit code (130 or 143
 * when SIGINT or SIGTERM interrupted a pull).
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["plugin", "list", "--json"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const interrupts = new Interrupts();
  try {
    const code = await runCli(args, {
      stdout: writerFor(Deno.stdout),
      stderr: writerFor(Deno.stderr),
      env,
      createClient: (options) =>
        interrupts.wrap(new Client(options), env("KLAUS_OCI_TEST_PAUSE")),
      version: denoJson.version,
    });
    return interrupts.exitCode ?? code;
  } finally {
    interrupts.dispose();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
