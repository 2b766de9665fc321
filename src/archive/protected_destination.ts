/**
 * Directories a replacement must never take the place of, whatever the
 * caller asks: the file-system root, the working directory and its
 * ancestors, the home directory and its ancestors. Replacing one of them
 * means renaming it away and deleting it — a user's `pull <ref> .` or
 * `pull <ref> ~` would wipe their work.
 *
 * @module
 */
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { realpath } from "node:fs/promises";
import { UnsafeDestinationError } from "../errors.ts";

interface MinimalProcess {
  cwd?: () => string;
  env?: Record<string, string | undefined>;
}

function hostProcess(): MinimalProcess | undefined {
  return (globalThis as { process?: MinimalProcess }).process;
}

/** Each read may be refused (Deno permissions): then it is skipped. */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** `path` and every ancestor up to the root. */
function withAncestors(path: string): string[] {
  const out = [path];
  for (let p = path; dirname(p) !== p;) {
    p = dirname(p);
    out.push(p);
  }
  return out;
}

/** The lexical and the real form of a path (the real one when it exists). */
async function forms(path: string): Promise<string[]> {
  const real = await realpath(path).catch(() => undefined);
  return real && real !== path ? [path, real] : [path];
}

/**
 * `dest` itself is replaced, never followed (a symbolic link named `dest`
 * is renamed away, its target untouched), so only its parent is resolved.
 */
async function destForms(dest: string): Promise<string[]> {
  const lexical = resolve(dest);
  if (dirname(lexical) === lexical) return [lexical];
  const parent = await realpath(dirname(lexical)).catch(() => undefined);
  const real = parent === undefined ? lexical : join(parent, basename(lexical));
  return real !== lexical ? [lexical, real] : [lexical];
}

/**
 * Why `dest` must never be replaced (`"the working directory"`, …), or
 * `undefined` when it may be.
 */
export async function protectedReason(
  dest: string,
): Promise<string | undefined> {
  const targets = await destForms(dest);
  if (targets.some((t) => dirname(t) === t)) return "the root directory";
  // Both homes: `homedir()` and `$HOME` differ under sudo and in tests.
  const checks: [string, string | undefined][] = [
    ["the working directory", attempt(() => hostProcess()?.cwd?.())],
    ["the home directory", attempt(() => homedir())],
    ["the home directory", attempt(() => hostProcess()?.env?.HOME)],
  ];
  for (const [what, dir] of checks) {
    if (!dir) continue;
    for (const form of await forms(resolve(dir))) {
      const chain = withAncestors(form);
      for (const t of targets) {
        const i = chain.indexOf(t);
        if (i === 0) return what;
        if (i > 0) return `a parent of ${what}`;
      }
    }
  }
  return undefined;
}

/**
 * Throws {@linkcode UnsafeDestinationError} when `dest` is the root, the
 * working directory, the home directory or an ancestor of either — never
 * replaced, not even when the caller asks to overwrite.
 */
export async function assertNotProtected(dest: string): Promise<void> {
  const reason = await protectedReason(dest);
  if (reason !== undefined) {
    throw new UnsafeDestinationError(
      `refusing to replace ${
        resolve(dest)
      }: it is ${reason}, which is never replaced, not even with overwrite`,
      { path: resolve(dest), overridable: false },
    );
  }
}
