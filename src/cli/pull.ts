/**
 * `<plugin|personality> pull <ref> [dir] [--verify-key FILE]
 * [--certificate-identity[-regexp] X --certificate-oidc-issuer[-regexp] Y
 * --trusted-root FILE]`: resolve the reference, verify its signature when
 * asked, then download and extract it.
 *
 * @module
 */

import { resolve as resolvePath } from "node:path";
import type { PullOptions } from "../artifact/pull.ts";
import { assertPullDestination } from "../artifact/pull_destination.ts";
import { UnsafeDestinationError } from "../errors.ts";
import { repositoryFromRef, shortName, truncateDigest } from "../ref/mod.ts";
import type { SignatureResult } from "../sign/verify_artifact.ts";
import { type CommandContext, positionals } from "./context.ts";
import { policyFromFlags, signatureLines } from "./policy.ts";
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
  // The key and trusted root are read (and checked) before any request.
  const verification = await policyFromFlags(ctx);
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
  // The signatures checked under the policy (none without one).
  const signatures = (pulled as { signatures?: SignatureResult[] }).signatures;
  if (ctx.out.jsonMode) {
    ctx.out.json({
      name,
      ref: pulled.ref,
      digest: pulled.digest,
      dir: pulled.dir,
      cached: pulled.cached,
      ...(signatures ? { signatures } : {}),
    });
    return;
  }
  const state = pulled.cached ? "up-to-date" : "pulled";
  ctx.out.text(`${name}: ${state} (${truncateDigest(pulled.digest)})`);
  if (signatures) {
    ctx.out.lines(signatureLines(signatures, ctx.out.style, "  "));
  }
}
