/**
 * Real components (docker-registry, skopeo, htpasswd, openssl, chromium,
 * workerd) are required in CI: there a missing one fails the run. On a
 * developer machine the tests that need it are ignored, and say so loudly.
 */

const warned = new Set<string>();

/** Whether `command` is on PATH (or is an executable path). */
export function hasCommand(command: string): boolean {
  const candidates = command.includes("/")
    ? [command]
    : (Deno.env.get("PATH") ?? "")
      .split(":")
      .filter(Boolean)
      .map((dir) => `${dir}/${command}`);
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** True when running in CI (`CI=true`), where nothing may be skipped. */
export function inCI(): boolean {
  const v = (Deno.env.get("CI") ?? "").toLowerCase();
  return v === "true" || v === "1";
}

/**
 * Checks that every command in `commands` is available. Returns `true` when
 * the tests needing them must be ignored (developer machine without them);
 * throws in CI.
 *
 * @example
 * Deno.test({ name: "…", ignore: missing("docker-registry"), fn: … });
 */
export function missing(...commands: string[]): boolean {
  const absent = commands.filter((c) => !hasCommand(c));
  if (absent.length === 0) return false;
  const what = absent.join(", ");
  if (inCI()) {
    throw new Error(
      `required real component(s) missing in CI: ${what} (install them in .ci/run)`,
    );
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.error(
      `\n!!! SKIPPING tests that need ${what}: not installed on this machine.` +
        ` These tests are NOT passing, they are not run. CI=true makes this a failure.\n`,
    );
  }
  return true;
}

/**
 * Like {@linkcode missing}, for a real component that is not a command on
 * PATH (a checkout found through an environment variable, say): `present`
 * says whether it was found, `hint` how to provide it. Returns `true` when
 * the tests needing it must be ignored (developer machine); throws in CI.
 *
 * @example
 * Deno.test({ name: "…", ignore: missingComponent("peer registry", exists, "set KLAUS_OCI_PEER_REGISTRY"), fn: … });
 */
export function missingComponent(
  what: string,
  present: boolean,
  hint: string,
): boolean {
  if (present) return false;
  if (inCI()) {
    throw new Error(`required real component missing in CI: ${what} (${hint})`);
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.error(
      `\n!!! SKIPPING tests that need ${what}: not available on this machine` +
        ` (${hint}). These tests are NOT passing, they are not run.` +
        ` CI=true makes this a failure.\n`,
    );
  }
  return true;
}
