/**
 * `<kind> versions <name|repository>`: the semver tags, highest first.
 *
 * @module
 */

import { type CommandContext, positionals } from "./context.ts";

/**
 * Runs `versions`: JSON `string[]`, or one tag per line.
 */
export async function versionsCommand(ctx: CommandContext): Promise<void> {
  const [name] = positionals(ctx, ["<name|repository>"]);
  let versions: string[];
  switch (ctx.kind) {
    case "plugin":
      versions = await ctx.client.listPluginVersions(name);
      break;
    case "personality":
      versions = await ctx.client.listPersonalityVersions(name);
      break;
    case "toolchain":
      versions = await ctx.client.listToolchainVersions(name);
      break;
  }
  if (ctx.out.jsonMode) {
    ctx.out.json(versions);
    return;
  }
  if (versions.length === 0) {
    ctx.out.text(`No semver tags found for ${name}.`);
    return;
  }
  ctx.out.lines(versions);
}
