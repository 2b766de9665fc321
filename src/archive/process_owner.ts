/**
 * Which process owns a temporary sibling of a destination, and whether that
 * process still runs — so a pull removes what crashed pulls left behind and
 * never what a running pull is still using.
 *
 * A process is named by its PID plus, where `/proc` exists (Linux), its
 * start time in clock ticks since boot: a PID that was reused by another
 * process (common in containers, where every run is PID 1) then no longer
 * counts as the owner. Liveness is read from `/proc/<pid>/stat`, else asked
 * with `process.kill(pid, 0)` (Deno, Node and Bun all have a global
 * `process`). Whenever the answer is unknown — no permission, no `process`
 * — the owner counts as alive: a stale sibling may stay, a live one is
 * never touched.
 *
 * Known limit: a file system shared between machines or PID namespaces
 * shows siblings of processes this one cannot see. Those look stale; the
 * worst that does is make that other pull fail (every step of a swap
 * tolerates its siblings disappearing), it never loses a destination that
 * is in place.
 *
 * @module
 */
import { readFile } from "node:fs/promises";

/**
 * The identity of a process as written into sibling names.
 */
export interface ProcessOwner {
  /** Process id (`0` when the runtime does not tell). */
  pid: number;
  /** Start time in clock ticks since boot, base 36; `"0"` when unknown. */
  start: string;
}

interface MinimalProcess {
  pid?: number;
  kill?: (pid: number, signal: number) => unknown;
}

function hostProcess(): MinimalProcess | undefined {
  return (globalThis as { process?: MinimalProcess }).process;
}

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * The start time field (22nd) of `/proc/<pid>/stat`, base 36. The command
 * name (2nd field) may hold spaces and parentheses, so fields are counted
 * after its closing parenthesis.
 */
function parseStartTime(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = fields[19];
  if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
  return BigInt(ticks).toString(36);
}

/** `undefined` when there is no such process; throws when unknown. */
async function procStartTime(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    if (code(e) === "ENOENT" && await procAvailable()) return undefined;
    throw e;
  }
  const start = parseStartTime(text);
  if (start === undefined) throw new Error("unreadable /proc stat");
  return start;
}

let procChecked: Promise<boolean> | undefined;

/** Whether `/proc` describes processes here (so a missing entry means gone). */
function procAvailable(): Promise<boolean> {
  procChecked ??= (async () => {
    const pid = hostProcess()?.pid;
    if (!pid) return false;
    try {
      return parseStartTime(await readFile(`/proc/${pid}/stat`, "utf8")) !==
        undefined;
    } catch {
      return false;
    }
  })();
  return procChecked;
}

let self: Promise<ProcessOwner> | undefined;

/**
 * This process, as it names the siblings it makes.
 */
export function currentOwner(): Promise<ProcessOwner> {
  self ??= (async () => {
    const pid = hostProcess()?.pid ?? 0;
    if (!Number.isSafeInteger(pid) || pid <= 0) return { pid: 0, start: "0" };
    let start = "0";
    try {
      start = await procStartTime(pid) ?? "0";
    } catch {
      // No /proc (macOS, Windows) or no permission: the PID alone.
    }
    return { pid, start };
  })();
  return self;
}

/**
 * Whether the process that named a sibling `owner` may still be running.
 * True for this process itself and whenever liveness cannot be told.
 */
export async function isOwnerAlive(owner: ProcessOwner): Promise<boolean> {
  const me = await currentOwner();
  if (owner.pid <= 0 || me.pid <= 0) return true;
  if (owner.pid === me.pid) {
    // Ourselves, unless both start times are known and differ (a reused PID).
    return owner.start === me.start || owner.start === "0" || me.start === "0";
  }
  try {
    const start = await procStartTime(owner.pid);
    if (start === undefined) return false;
    // Same PID, other start time: the PID was reused, the owner is gone.
    return owner.start === "0" || me.start === "0" || start === owner.start;
  } catch {
    // No /proc: ask the process table.
  }
  const proc = hostProcess();
  if (typeof proc?.kill !== "function") return true;
  try {
    proc.kill(owner.pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return code(e) !== "ESRCH";
  }
}
