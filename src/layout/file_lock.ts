/**
 * A cross-process lock file (`<name>.lock`, created with O_EXCL), so that
 * read-modify-write updates of `index.json` by several processes do not
 * lose each other's tags. Inside one process, holders of the same lock are
 * also queued in memory so they wait without polling.
 *
 * A lock whose file is older than `staleMs` is taken to belong to a process
 * that died and is removed. Holders keep the lock for milliseconds, so a
 * generous `staleMs` makes breaking a live lock practically impossible;
 * releasing only removes the file while it still carries the holder's
 * token, so a holder that was declared stale cannot remove its successor's
 * lock.
 *
 * @module
 */
import { open, readFile, rm, stat } from "node:fs/promises";
import { KlausOciError } from "../errors.ts";
import {
  isAlreadyExists,
  isNotFound,
  randomHex,
  sleep,
  writeAll,
} from "./fs_util.ts";

/**
 * Options of {@linkcode withFileLock}.
 */
export interface FileLockOptions {
  /** Give up waiting after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock file older than this is broken (default 10 s). */
  staleMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/** Default of {@linkcode FileLockOptions.timeoutMs}. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** Default of {@linkcode FileLockOptions.staleMs}. */
const DEFAULT_STALE_MS = 10_000;

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding the lock file `lockPath` (its directory must
 * exist), and releases the lock afterwards whatever `fn` does.
 */
export function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() =>
    holdFileLock(lockPath, fn, options)
  );
  const tail = run.catch(() => {});
  queues.set(lockPath, tail);
  // Forget the queue once it drains, so the map does not grow per path.
  tail.then(() => {
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  });
  return run;
}

async function holdFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions,
): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(
  lockPath: string,
  options: FileLockOptions,
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const token = `${randomHex()}\n`;
  const start = Date.now();
  let delay = 2;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const fh = await open(lockPath, "wx", 0o644);
      try {
        await writeAll(fh, new TextEncoder().encode(token));
      } finally {
        await fh.close();
      }
      return token;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    try {
      const info = await stat(lockPath);
      if (Date.now() - info.mtimeMs > staleMs) {
        await rm(lockPath, { force: true });
        continue;
      }
    } catch (e) {
      // Released between our open and stat: try again at once.
      if (isNotFound(e)) continue;
      throw e;
    }
    if (Date.now() - start > timeoutMs) {
      throw new KlausOciError(
        `timed out after ${timeoutMs} ms waiting for lock ${lockPath}`,
      );
    }
    // Jitter keeps racing processes from retrying in lockstep.
    await sleep(delay + Math.random() * delay, options.signal);
    delay = Math.min(delay * 2, 50);
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  try {
    const current = await readFile(lockPath, "utf8");
    if (current === token) await rm(lockPath, { force: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
