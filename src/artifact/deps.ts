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
import { parseReference } from "../ref/reference.ts";
import type { VerificationPolicy } from "../sign/verify_artifact.ts";

/** Options of {@linkcode resolvePersonalityDeps}. */
export interface ResolveDepsOptions {
  /**
   * Check every dependency's signatures under this policy: each described
   * dependency then carries `signatures`. Unless `require` is `false`, a
   * dependency no signature verifies for is not used: it becomes a
   * warning naming the reason (`plugin <ref>: verifying signature of
   * <ref>: …`), as one that cannot be described.
   */
  verification?: VerificationPolicy;
}

// The dependency as described, then (under a policy) verified at the
// digest it was described at: what is reported is what was checked.
async function verified<T extends DescribedPlugin | DescribedToolchain>(
  ctx: ArtifactContext,
  described: T,
  policy: VerificationPolicy | undefined,
): Promise<T> {
  if (!policy) return described;
  const ref = { ...parseReference(described.ref), digest: described.digest };
  const { fetchVerifiedManifest } = await import(
    "../sign/verified_manifest.ts"
  );
  const { verification } = await fetchVerifiedManifest(
    ctx.store,
    ref,
    described.ref,
    policy,
  );
  return { ...described, signatures: verification.signatures };
}

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
  options: ResolveDepsOptions = {},
): Promise<ResolvedDependencies> {
  const { verification } = options;
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
    async (t): Promise<DescribedPlugin | DescribedToolchain> =>
      await verified(
        ctx,
        t.kind === "toolchain"
          ? await describeToolchain(ctx, t.ref)
          : await describePlugin(ctx, t.ref),
        verification,
      ),
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
