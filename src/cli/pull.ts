/**
 * `<plugin|personality> pull <ref> [dir]`: resolve the reference, then
 * download and extract it.
 *
 * @module
 */

import { resolve as resolvePath } from "node:path";
import { repositoryFromRef, shortName, truncateDigest } from "../ref/mod.ts";
import { type CommandContext, positionals } from "./context.ts";
import { resolveRef } from "./resolve.ts";

/**
 * Runs `pull`: JSON `{"name","ref","digest","dir","cached"}`, or
 * `<name>: pulled (<digest>)` / `<name>: up-to-date (<digest>)`. The
 * directory defaults to `./<short name>` of the resolved reference.
 *
 * @example
 * ```ts
 * import { pullCommand } from "./pull.ts";
 * console.log(typeof pullCommand); // function
 * ```
 */
export async function pullCommand(ctx: CommandContext): Promise<void> {
  const [ref, dirArg] = positionals(ctx, ["<ref>"], ["[dir]"]);
  const resolved = await resolveRef(ctx.client, ctx.kind, ref);
  const name = shortName(repositoryFromRef(resolved));
  const dir = resolvePath(dirArg ?? name);
  const options = { onWarning: (w: string) => ctx.out.warn(w) };
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
