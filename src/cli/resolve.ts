/**
 * `<kind> resolve <ref>`: pins a reference (short name expanded, a missing
 * or `latest` tag replaced by the highest semver tag).
 *
 * @module
 */

import type { CliClient, CommandContext } from "./context.ts";
import { positionals } from "./context.ts";
import type { Kind } from "./kind.ts";

/**
 * Pins `ref` with the kind's `resolve*Ref`.
 */
export function resolveRef(
  client: CliClient,
  kind: Kind,
  ref: string,
): Promise<string> {
  switch (kind) {
    case "plugin":
      return client.resolvePluginRef(ref);
    case "personality":
      return client.resolvePersonalityRef(ref);
    case "toolchain":
      return client.resolveToolchainRef(ref);
  }
}

/**
 * Runs `resolve`: JSON `{"ref": …}`, or the reference on one line.
 */
export async function resolveCommand(ctx: CommandContext): Promise<void> {
  const [ref] = positionals(ctx, ["<ref>"]);
  const resolved = await resolveRef(ctx.client, ctx.kind, ref);
  if (ctx.out.jsonMode) ctx.out.json({ ref: resolved });
  else ctx.out.text(resolved);
}
