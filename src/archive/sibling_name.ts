/**
 * Names of the directories a replacement keeps next to its destination
 * `<dir>`: `<dir>.tmp-*` (new content being prepared), `<dir>.old-*` (the
 * previous content, moved aside by one rename, so always whole) and
 * `<dir>.del-*` (content being deleted). Each name carries the owning
 * process (`<kind>-<pid>-<start>-<random>`), so a later run can tell a
 * crashed run's leftovers from a running one's work.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { ProcessOwner } from "./process_owner.ts";

/**
 * What a sibling is for: `tmp` new content, `old` the previous content,
 * `del` content being deleted.
 */
export type SiblingKind = "tmp" | "old" | "del";

/**
 * A sibling's name taken apart.
 */
export interface SiblingName {
  /** The entry name in the parent directory. */
  name: string;
  /** What it is for. */
  kind: SiblingKind;
  /**
   * The process that made it; absent for the `<dir>.tmp-<12 hex>` names
   * of earlier versions, which did not record one.
   */
  owner?: ProcessOwner;
}

const CURRENT = /^(tmp|old|del)-(\d+)-([0-9a-z]+)-[0-9a-f]{8}$/;
const LEGACY = /^(tmp|old)-[0-9a-f]{12}$/;

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * A fresh sibling path of `dest` of `kind`, owned by `owner`.
 */
export function siblingPath(
  dest: string,
  kind: SiblingKind,
  owner: ProcessOwner,
): string {
  return join(
    dirname(dest),
    `${basename(dest)}.${kind}-${owner.pid}-${owner.start}-${randomHex(4)}`,
  );
}

/**
 * Parses `name`, an entry of the destination's parent directory, as a
 * sibling of the destination named `base`; `undefined` when it is none.
 */
export function parseSiblingName(
  base: string,
  name: string,
): SiblingName | undefined {
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length + 1);
  const m = CURRENT.exec(rest);
  if (m) {
    const pid = Number(m[2]);
    if (!Number.isSafeInteger(pid)) return undefined;
    return { name, kind: m[1] as SiblingKind, owner: { pid, start: m[3] } };
  }
  const legacy = LEGACY.exec(rest);
  if (legacy) return { name, kind: legacy[1] as SiblingKind };
  return undefined;
}
