/**
 * `<kind> list`: every artifact below the registry base with its latest
 * version.
 *
 * @module
 */

import type { ListEntry } from "../artifact/types.ts";
import { type CommandContext, positionals } from "./context.ts";
import { plural } from "./kind.ts";
import { table } from "./output.ts";

/**
 * Runs `list`: JSON `ListEntry[]`, or a `NAME VERSION REFERENCE` table;
 * skipped repositories are warned about on stderr.
 */
export async function listCommand(ctx: CommandContext): Promise<void> {
  positionals(ctx, []);
  const options = {
    registry: ctx.base,
    onWarning: (w: string) => ctx.out.warn(w),
  };
  let entries: ListEntry[];
  switch (ctx.kind) {
    case "plugin":
      entries = await ctx.client.listPlugins(options);
      break;
    case "personality":
      entries = await ctx.client.listPersonalities(options);
      break;
    case "toolchain":
      entries = await ctx.client.listToolchains(options);
      break;
  }
  if (ctx.out.jsonMode) {
    ctx.out.json(entries);
    return;
  }
  if (entries.length === 0) {
    ctx.out.text(`No ${plural(ctx.kind)} found in ${ctx.base}.`);
    return;
  }
  ctx.out.text(
    table([
      ["NAME", "VERSION", "REFERENCE"],
      ...entries.map((e) => [e.name, e.version, e.reference]),
    ]),
  );
}
