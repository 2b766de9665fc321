/**
 * Extraction that replaces a directory only on success (README,
 * "Reliability and security"): the archive goes into a fresh sibling directory, and only when
 * it was extracted completely — input read to its end, so a digest mismatch
 * raised there counts — and the caller's `beforeCommit` hook agreed, is it
 * renamed into place. Any failure leaves the previous directory exactly as
 * it was and removes the temporary one.
 *
 * Crash safety: siblings are named after their owning process
 * (`sibling_name.ts`); every run first repairs what crashed runs left
 * (`repair_destination.ts`): a destination missing between the two renames
 * of a swap is restored from its `.old-*` copy, stale siblings are removed.
 * The root, the working directory, the home directory and their ancestors
 * are never replaced (`protected_destination.ts`).
 *
 * @module
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UnsafeDestinationError, wrapError } from "../errors.ts";
import {
  type ExtractOptions,
  type ExtractResult,
  extractTarGz,
} from "./extract.ts";
import { currentOwner, type ProcessOwner } from "./process_owner.ts";
import { assertNotProtected } from "./protected_destination.ts";
import { repairDestination } from "./repair_destination.ts";
import { siblingPath } from "./sibling_name.ts";

/**
 * Options of {@linkcode extractToDirectory}.
 */
export interface ExtractToDirectoryOptions extends ExtractOptions {
  /**
   * Runs after a successful extraction, before the swap, with the temporary
   * directory holding the new content (write extra files such as a cache
   * entry there, validate it). Throwing aborts: the previous directory
   * stays.
   */
  beforeCommit?: (dir: string, result: ExtractResult) => void | Promise<void>;
  /**
   * Called as the replacement reaches each step; a returned promise holds
   * the step until it settles. `"extracting"`: the first input bytes went
   * into the temporary sibling; `"prepared"`: the sibling is complete
   * (`beforeCommit` done), the swap is next; `"moved-aside"`: the previous
   * directory was renamed to `<dir>.old-*` and the new one is not yet in
   * place; `"swapped"`: the new directory is in place; `"removing-old"`:
   * the previous copy was renamed to `<dir>.del-*` and is being deleted.
   * Errors thrown here abort only before the swap. Meant for progress
   * reports and for tests that interrupt a pull at a given step.
   */
  onStep?: (
    step:
      | "extracting"
      | "prepared"
      | "moved-aside"
      | "swapped"
      | "removing-old",
  ) => void | Promise<void>;
}

type Step = Parameters<NonNullable<ExtractToDirectoryOptions["onStep"]>>[0];

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/** Passes `stream` through, holding it once at its first chunk for `onStep`. */
function announceFirstChunk(
  stream: ReadableStream<Uint8Array>,
  onStep: (step: Step) => void | Promise<void>,
): ReadableStream<Uint8Array> {
  let announced = false;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        controller.enqueue(chunk);
        if (!announced) {
          announced = true;
          await onStep("extracting");
        }
      },
    }),
  );
}

/**
 * Extracts a tar.gz stream so that `destDir` ends up holding exactly its
 * content, or — on any failure — stays exactly as it was. First repairs
 * what interrupted runs left (a `destDir` missing between the two renames
 * of a swap is restored from `<destDir>.old-*`; siblings no running process
 * owns are removed). The new content is extracted into
 * `<destDir>.tmp-<pid>-<start>-<random>` next to it, then the old directory
 * (if any) is renamed to `<destDir>.old-…`, the new one into place, and the
 * old one renamed to `<destDir>.del-…` and removed. The root, the working
 * directory, the home directory and their ancestors are refused with an
 * {@linkcode UnsafeDestinationError}. Whether a non-empty `destDir` may be
 * replaced at all is the caller's decision (pulls refuse directories they
 * did not make).
 */
export async function extractToDirectory(
  stream: ReadableStream<Uint8Array>,
  destDir: string,
  options: ExtractToDirectoryOptions = {},
): Promise<ExtractResult> {
  const dest = resolve(destDir);
  const parent = dirname(dest);
  let owner: ProcessOwner;
  let tmp: string;
  try {
    await assertNotProtected(dest);
    owner = await currentOwner();
    tmp = siblingPath(dest, "tmp", owner);
    await mkdir(parent, { recursive: true, mode: 0o755 });
    await repairDestination(dest);
    await mkdir(tmp, { mode: 0o755 });
  } catch (err) {
    await stream.cancel(err).catch(() => {});
    if (err instanceof UnsafeDestinationError) throw err;
    throw wrapError(`creating destination ${destDir}`, err);
  }
  try {
    const onStep = options.onStep;
    const input = onStep ? announceFirstChunk(stream, onStep) : stream;
    const result = await extractTarGz(input, tmp, options);
    await options.beforeCommit?.(tmp, result);
    await onStep?.("prepared");
    // Last point to give up: from here the swap runs to its end.
    options.signal?.throwIfAborted();
    await swapIn(tmp, dest, destDir, owner, onStep);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** Runs a step hook inside the swap, where nothing may interrupt it. */
async function during(
  onStep: ExtractToDirectoryOptions["onStep"],
  step: Step,
): Promise<void> {
  try {
    await onStep?.(step);
  } catch {
    // The swap finishes whatever the hook says.
  }
}

/**
 * Moves `tmp` to `dest`, replacing what is there. Retries when another
 * writer put a directory back in the short window between the two renames.
 * A crash inside that window leaves only `<dest>.old-*`, which the next
 * run's repair moves back.
 */
async function swapIn(
  tmp: string,
  dest: string,
  destDir: string,
  owner: ProcessOwner,
  onStep: ExtractToDirectoryOptions["onStep"],
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    const old = siblingPath(dest, "old", owner);
    let moved = false;
    try {
      await rename(dest, old);
      moved = true;
    } catch (err) {
      if (code(err) !== "ENOENT") {
        throw wrapError(`cleaning destination ${destDir}`, err);
      }
    }
    if (moved) await during(onStep, "moved-aside");
    try {
      await rename(tmp, dest);
    } catch (err) {
      const raced = code(err) === "ENOTEMPTY" || code(err) === "EEXIST";
      if (raced && attempt < 3) {
        // Someone else swapped a directory in meanwhile: what we moved
        // aside is older than theirs, and theirs is replaced next round.
        if (moved) await removeOld(old, dest, owner, undefined);
        continue;
      }
      if (moved) await rename(old, dest).catch(() => {});
      throw wrapError(`creating destination ${destDir}`, err);
    }
    await during(onStep, "swapped");
    if (moved) await removeOld(old, dest, owner, onStep);
    return;
  }
}

/**
 * Deletes a copy moved aside. It is renamed to a `.del-*` name first: an
 * `.old-*` sibling is then always a whole former destination, fit to be
 * restored, never one half deleted.
 */
async function removeOld(
  old: string,
  dest: string,
  owner: ProcessOwner,
  onStep: ExtractToDirectoryOptions["onStep"],
): Promise<void> {
  const del = siblingPath(dest, "del", owner);
  try {
    await rename(old, del);
  } catch {
    return; // a repair took it (it only does so while `dest` exists)
  }
  await during(onStep, "removing-old");
  await rm(del, { recursive: true, force: true, maxRetries: 3 }).catch(
    () => {},
  );
}
