import type { ArtifactContext } from "./context.ts";
import { describePlugin, describeToolchain } from "./describe.ts";
import { mapSettled } from "./pool.ts";
import type {
  DescribedPlugin,
  DescribedToolchain,
  Personality,
  ResolvedDependencies,
} from "./types.ts";
import { referenceString } from "./types.ts";

/**
 * Describes a personality's toolchain and plugins concurrently. Never
 * throws: every failure becomes a warning naming the reference
 * (`toolchain <ref>: <error>`, `plugin <ref>: <error>`). Plugins keep the
 * personality's order; warnings come toolchain first, then plugins in order
 * (the Go module reports them in completion order).
 */
export async function resolvePersonalityDeps(
  ctx: ArtifactContext,
  personality: Personality,
): Promise<ResolvedDependencies> {
  type Task = { kind: "toolchain" | "plugin"; ref: string };
  const tasks: Task[] = [];
  if (personality.toolchain?.repository) {
    tasks.push({
      kind: "toolchain",
      ref: referenceString(personality.toolchain),
    });
  }
  for (const p of personality.plugins ?? []) {
    tasks.push({ kind: "plugin", ref: referenceString(p) });
  }
  const settled = await mapSettled(
    tasks,
    ctx.concurrency,
    (t): Promise<DescribedPlugin | DescribedToolchain> =>
      t.kind === "toolchain"
        ? describeToolchain(ctx, t.ref)
        : describePlugin(ctx, t.ref),
  );
  const result: ResolvedDependencies = { plugins: [], warnings: [] };
  settled.forEach((r, i) => {
    const t = tasks[i];
    if (r.status === "rejected") {
      const msg = r.reason instanceof Error
        ? r.reason.message
        : String(r.reason);
      result.warnings.push(`${t.kind} ${t.ref}: ${msg}`);
    } else if (t.kind === "toolchain") {
      result.toolchain = r.value as DescribedToolchain;
    } else {
      result.plugins.push(r.value as DescribedPlugin);
    }
  });
  return result;
}
