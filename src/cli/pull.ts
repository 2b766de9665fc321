/**
 * `<plugin|personality> pull <ref> [dir] [--verify-key FILE]`: resolve the
 * reference, verify its signature when asked, then download and extract
 * it.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import type { PullOptions } from "../artifact/pull.ts";
import { assertPullDestination } from "../artifact/pull_destination.ts";
import { InvalidArtifactError, UnsafeDestinationError } from "../errors.ts";
import { repositoryFromRef, shortName, truncateDigest } from "../ref/mod.ts";
import { type CommandContext, positionals } from "./context.ts";
import { resolveRef } from "./resolve.ts";

/**
 * Runs `pull`: JSON `{"name","ref","digest","dir","cached"}`, or
 * `<name>: pulled (<digest>)` / `<name>: up-to-date (<digest>)`. The
 * directory defaults to `./<short name>` of the resolved reference. A
 * non-empty directory no pull made is replaced only with `--force`.
 */
export async function pullCommand(ctx: CommandContext): Promise<void> {
  try {
    await pull(ctx);
  } catch (e) {
    // The library names its option; here it is the flag.
    if (e instanceof UnsafeDestinationError) {
      throw new UnsafeDestinationError(
        e.message
          .replace(/pass overwrite to replace it$/, "use --force to replace it")
          .replace(/not even with overwrite$/, "not even with --force"),
        { path: e.path, overridable: e.overridable, cause: e },
      );
    }
    throw e;
  }
}

async function pull(ctx: CommandContext): Promise<void> {
  const [ref, dirArg] = positionals(ctx, ["<ref>"], ["[dir]"]);
  const overwrite = ctx.flags.force ?? false;
  // A refused directory is refused before any request (the library checks
  // again, after repairing interrupted pulls, and before its swap).
  if (dirArg !== undefined) {
    await assertPullDestination(resolvePath(dirArg), overwrite);
  }
  // The key is read (and checked) before any request.
  let verification: PullOptions["verification"];
  const keyFile = ctx.flags["verify-key"];
  if (keyFile !== undefined) {
    let pem: string;
    try {
      pem = await readFile(keyFile, "utf8");
    } catch (e) {
      throw new InvalidArtifactError(
        `reading verification key ${keyFile}: ${(e as Error).message}`,
      );
    }
    const { importPublicKeyPem } = await import("../sign/keys.ts");
    await importPublicKeyPem(pem);
    verification = { publicKeys: [pem] };
  }
  const resolved = await resolveRef(ctx.client, ctx.kind, ref);
  const name = shortName(repositoryFromRef(resolved));
  const dir = resolvePath(dirArg ?? name);
  const options: PullOptions = {
    onWarning: (w: string) => ctx.out.warn(w),
    overwrite,
  };
  if (verification) options.verification = verification;
  const pulled = ctx.kind === "personality"
    ? await ctx.client.pullPersonality(resolved, dir, options)
    : await ctx.client.pullPlugin(resolved, dir, options);
  if (ctx.out.jsonMode) {
    ctx.out.json({
      name,
      ref: pulled.ref,
      digest: pulled.digest,
      dir: pulled.dir,
      cached: pulled.cached,
    });
    return;
  }
  const state = pulled.cached ? "up-to-date" : "pulled";
  ctx.out.text(`${name}: ${state} (${truncateDigest(pulled.digest)})`);
}
