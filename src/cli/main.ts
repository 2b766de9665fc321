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
 * stdio, the environment and the library client into {@linkcode runCli}.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { Client } from "../client.ts";
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

/**
 * Runs the command line with `args` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["plugin", "list", "--json"]));
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCli(args, {
    stdout: writerFor(Deno.stdout),
    stderr: writerFor(Deno.stderr),
    env,
    createClient: (options) => new Client(options),
    version: denoJson.version,
  });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
