/**
 * The `klaus-oci` command line, the same entry under Deno, Bun and
 * Node ≥ 22 (and in a single binary, `deno task compile`):
 *
 * ```sh
 * deno run -A jsr:@klaus/oci/cli plugin list
 * deno run -A jsr:@klaus/oci/cli personality describe sre --json
 * deno run -A jsr:@klaus/oci/cli plugin pull gs-base:v0.1.0 ./gs-base
 * bun src/cli/main.ts plugin list
 * node --experimental-strip-types src/cli/main.ts plugin list   # Node 22
 * ```
 *
 * It wires the runtime (`_runtime.ts`: stdio, the environment, signals,
 * exit) and the library client into the command runner (`run.ts`).
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

import { testPause } from "../artifact/test_pause.ts";
import type { Client } from "../client.ts";
import { VERSION } from "../version.ts";
import {
  currentRuntime,
  isMain,
  type Runtime,
  type Signal,
} from "./_runtime.ts";
import type { CliClient } from "./context.ts";
import { runCli } from "./run.ts";

export type { Runtime, Signal } from "./_runtime.ts";
export type { Writer } from "./output.ts";

/** The exit code for each signal handled: 128 + its number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** How long an interrupted pull may take to clean up before a hard exit. */
const INTERRUPT_GRACE_MS = 10_000;

/** Signal handling for one run: aborts running pulls, then exits. */
class Interrupts {
  readonly #runtime: Runtime;
  readonly #controller = new AbortController();
  readonly #removers: (() => void)[] = [];
  #pulls = 0;
  /** The exit code of the first signal received, if any. */
  exitCode: number | undefined;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
    for (const name of Object.keys(SIGNAL_EXIT_CODES) as Signal[]) {
      const remove = runtime.onSignal(name, () => this.#received(name));
      // Not available here (SIGTERM on Windows under Deno): the default stays.
      if (remove) this.#removers.push(remove);
    }
  }

  #received(name: Signal): void {
    const runtime = this.#runtime;
    const code = SIGNAL_EXIT_CODES[name];
    if (this.exitCode !== undefined || this.#pulls === 0) runtime.exit(code);
    this.exitCode = code;
    this.#controller.abort(new Error(`interrupted by ${name}`));
    runtime.unrefTimer(
      setTimeout(() => runtime.exit(code), INTERRUPT_GRACE_MS),
    );
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
    for (const remove of this.#removers) remove();
  }
}

/**
 * Runs the command line with `args` on `runtime` (default: the one this
 * process runs on) and returns the exit code (130 or 143 when SIGINT or
 * SIGTERM interrupted a pull).
 *
 * @example
 * ```ts
 * import { main } from "@klaus/oci/cli";
 * const code = await main(["--version"]); // prints "klaus-oci <version>"
 * console.log(code); // 0
 * ```
 */
export async function main(
  args: string[],
  runtime: Runtime = currentRuntime(),
): Promise<number> {
  const interrupts = new Interrupts(runtime);
  try {
    const code = await runCli(args, {
      stdout: runtime.stdout,
      stderr: runtime.stderr,
      env: runtime.env,
      // Loaded once a command needs it: `--version` and usage errors don't.
      createClient: async (options) =>
        interrupts.wrap(
          new (await import("../client.ts")).Client(options),
          runtime.env("KLAUS_OCI_TEST_PAUSE"),
        ),
      version: VERSION,
    });
    return interrupts.exitCode ?? code;
  } finally {
    interrupts.dispose();
  }
}

if (isMain(import.meta)) {
  const runtime = currentRuntime();
  await runtime.flushAndExit(await main(runtime.args, runtime));
}
