/**
 * TEST ONLY — a pause point for the reliability tests, which kill a real
 * CLI process at each step of a pull (`test/reliability/`). The command
 * line passes `$KLAUS_OCI_TEST_PAUSE` here; when it is unset (always,
 * outside those tests) nothing happens.
 *
 * `KLAUS_OCI_TEST_PAUSE=<step>:<marker file>` makes the pull, on reaching
 * `<step>` (a `PullOptions.onStep` step), write its PID to the marker file
 * and hold until the pull's signal aborts (the test sent SIGINT or SIGTERM)
 * or 120 s passed; SIGKILL needs no cooperation.
 *
 * @module
 */
import { rename, writeFile } from "node:fs/promises";
import type { PullOptions } from "./pull.ts";

/** How long a forgotten pause holds a pull at most. */
const MAX_PAUSE_MS = 120_000;

/**
 * The `onStep` hook `spec` asks for, or `undefined` when `spec` is unset
 * or empty.
 */
export function testPause(
  spec: string | undefined,
  signal?: AbortSignal,
): PullOptions["onStep"] | undefined {
  if (!spec) return undefined;
  const colon = spec.indexOf(":");
  if (colon <= 0) return undefined;
  const step = spec.slice(0, colon);
  const marker = spec.slice(colon + 1);
  return async (reached) => {
    if (reached !== step) return;
    const pid = (globalThis as { process?: { pid?: number } }).process?.pid;
    // Whole or absent: the test reads it as soon as it appears.
    await writeFile(`${marker}.tmp`, String(pid ?? ""));
    await rename(`${marker}.tmp`, marker);
    await new Promise<void>((resolve) => {
      // The timer also keeps the event loop alive while nothing else does.
      const timer = setTimeout(done, MAX_PAUSE_MS);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      if (signal?.aborted) done();
      else signal?.addEventListener("abort", done, { once: true });
    });
  };
}
