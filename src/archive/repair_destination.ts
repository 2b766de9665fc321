/**
 * Repairs what interrupted replacements of a destination left behind: a
 * process killed between the two renames of a swap leaves no `<dir>`, only
 * `<dir>.old-*`; killed earlier or later, it leaves `<dir>.tmp-*`,
 * `<dir>.old-*` or `<dir>.del-*` siblings. Run before anything else touches
 * the destination, so every later step sees a complete directory (or none).
 *
 * @module
 */
import { lstat, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  currentOwner,
  isOwnerAlive,
  type ProcessOwner,
} from "./process_owner.ts";
import {
  parseSiblingName,
  type SiblingName,
  siblingPath,
} from "./sibling_name.ts";

/** Siblings named by earlier versions carry no owner: stale after this. */
const LEGACY_STALE_MS = 60 * 60 * 1000;

/**
 * Options of {@linkcode repairDestination}.
 */
export interface RepairOptions {
  /**
   * Whether a `<dir>.old-<12 hex>` of an earlier version (which deleted it
   * in place, so it may be half gone) is a complete copy worth restoring.
   * Default: never. Current `.old-*` siblings are whole by construction.
   */
  isComplete?: (dir: string) => Promise<boolean>;
  /**
   * When the copy in `dir` was made (ms since the epoch), to pick the
   * newest of several `.old-*` copies; default and fallback: the
   * directory's modification time. Pulls read `pulledAt` of the cache
   * entry: the copy in place is always the one pulled last.
   */
  madeAt?: (dir: string) => Promise<number | undefined>;
  /** The clock (ms since the epoch), for tests. */
  now?: () => number;
}

/**
 * What {@linkcode repairDestination} did.
 */
export interface RepairReport {
  /** The `.old-*` sibling moved back into place, if any. */
  restored?: string;
  /** Stale siblings removed. */
  removed: string[];
}

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (code(e) === "ENOENT") return false;
    throw e;
  }
}

/** The siblings whose owner is gone (cached per owner). */
async function staleSiblings(
  siblings: SiblingName[],
  parent: string,
  now: number,
): Promise<SiblingName[]> {
  const alive = new Map<string, Promise<boolean>>();
  const isAlive = (o: ProcessOwner) => {
    const key = `${o.pid}-${o.start}`;
    if (!alive.has(key)) alive.set(key, isOwnerAlive(o));
    return alive.get(key)!;
  };
  const stale: SiblingName[] = [];
  for (const s of siblings) {
    if (s.owner) {
      if (!await isAlive(s.owner)) stale.push(s);
    } else if (s.kind === "old") {
      stale.push(s);
    } else {
      // A legacy temporary directory: only its age tells.
      const st = await lstat(join(parent, s.name)).catch(() => undefined);
      if (st && now - st.mtimeMs > LEGACY_STALE_MS) stale.push(s);
    }
  }
  return stale;
}

/** The newest of the complete `.old-*` copies. */
async function newestComplete(
  parent: string,
  olds: SiblingName[],
  options: RepairOptions,
): Promise<string | undefined> {
  let best: { path: string; time: number } | undefined;
  for (const s of olds) {
    const path = join(parent, s.name);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    if (!s.owner && !await options.isComplete?.(path).catch(() => false)) {
      continue;
    }
    const time = await options.madeAt?.(path).catch(() => undefined) ??
      st.mtimeMs;
    if (!best || time > best.time) best = { path, time };
  }
  return best?.path;
}

/**
 * Repairs `dest` after interrupted replacements: when `dest` is missing and
 * a complete `<dest>.old-*` of a process that is gone exists, moves it back
 * into place; then removes every `<dest>.tmp-*`, `.old-*` and `.del-*`
 * sibling no running process owns (each is first renamed to a `.del-*`
 * name of this process, so two repairs never delete the same thing and a
 * repair killed half-way leaves only its own, stale, `.del-*`). Siblings of
 * running processes, this one included, are never touched. Best effort:
 * failures to remove are ignored; only an unreadable parent throws.
 */
export async function repairDestination(
  dest: string,
  options: RepairOptions = {},
): Promise<RepairReport> {
  const parent = dirname(dest);
  const base = basename(dest);
  const report: RepairReport = { removed: [] };
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (e) {
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return report;
    throw e;
  }
  const siblings = names.flatMap((n) => parseSiblingName(base, n) ?? []);
  if (siblings.length === 0) return report;
  const stale = await staleSiblings(
    siblings,
    parent,
    (options.now ?? Date.now)(),
  );
  if (stale.length === 0) return report;

  let restoredName: string | undefined;
  if (!await exists(dest)) {
    const from = await newestComplete(
      parent,
      stale.filter((s) => s.kind === "old"),
      options,
    );
    if (from) {
      try {
        await rename(from, dest);
        report.restored = from;
        restoredName = basename(from);
      } catch {
        // Another process restored or replaced it first: theirs stands.
      }
    }
  }

  const me = await currentOwner();
  for (const s of stale) {
    if (s.name === restoredName) continue;
    // A copy moved aside is only garbage while the destination is there.
    if (s.kind === "old" && !await exists(dest)) continue;
    const path = join(parent, s.name);
    const claimed = siblingPath(dest, "del", me);
    try {
      await rename(path, claimed);
    } catch {
      continue; // gone already, or claimed by another repair
    }
    await rm(claimed, { recursive: true, force: true, maxRetries: 3 }).catch(
      () => {},
    );
    report.removed.push(path);
  }
  return report;
}
