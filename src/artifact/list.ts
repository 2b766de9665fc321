import { trimSpace } from "../ref/_trim_space.ts";
import { budgetOf, withContextDeadline } from "../_deadline.ts";
import { InvalidReferenceError, wrapError } from "../errors.ts";
import { shortName, sortedSemverTags, splitNameTag } from "../ref/mod.ts";
import type { ArtifactContext } from "./context.ts";
import type { ArtifactKind } from "./kind.ts";
import { mapSettled } from "./pool.ts";
import { listTags, resolveLatestVersion } from "./resolve_ref.ts";
import type { ListEntry } from "./types.ts";

/**
 * Options of the `list*` operations.
 *
 * @example
 * ```ts
 * import type { ListOptions } from "@klaus/oci";
 * const o: ListOptions = { registry: "localhost:5000/plugins", filter: (r) => !r.endsWith("/wip") };
 * console.log(o.registry);
 * ```
 */
export interface ListOptions {
  /** Registry base to list instead of the kind's default. */
  registry?: string;
  /** Keeps only repositories (full `host/path`) for which it returns true. */
  filter?: (repository: string) => boolean;
  /**
   * Receives one message per repository that was dropped because its tags
   * could not be listed or none is semver (the Go module drops them
   * silently).
   */
  onWarning?: (warning: string) => void;
}

/**
 * Every repository below the base with its latest semver tag, sorted by
 * repository. Repositories whose tags fail are dropped and reported through
 * `onWarning`. The whole listing has the `list` deadline of the context.
 */
export function listArtifacts(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  options: ListOptions = {},
): Promise<ListEntry[]> {
  const base = options.registry ?? ctx.registries[kind.name];
  return withContextDeadline(
    ctx,
    `listing ${kind.name}s in ${base}`,
    budgetOf(ctx.deadlines, "list"),
    (c) => listBelow(c, base, options),
  );
}

async function listBelow(
  ctx: ArtifactContext,
  base: string,
  options: ListOptions,
): Promise<ListEntry[]> {
  let repos: string[];
  try {
    repos = await ctx.store.listRepositories(base);
  } catch (e) {
    throw wrapError(`listing repositories in ${base}`, e);
  }
  if (options.filter) repos = repos.filter(options.filter);
  const settled = await mapSettled(
    repos,
    ctx.concurrency,
    (repo) => resolveLatestVersion(ctx.store, repo),
  );
  const entries: ListEntry[] = [];
  settled.forEach((r, i) => {
    if (r.status === "rejected") {
      const msg = r.reason instanceof Error
        ? r.reason.message
        : String(r.reason);
      options.onWarning?.(`${repos[i]}: ${msg}`);
      return;
    }
    const [, version] = splitNameTag(r.value);
    entries.push({
      name: shortName(repos[i]),
      version,
      repository: repos[i],
      reference: `${repos[i]}:${version}`,
    });
  });
  entries.sort((a, b) =>
    a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0
  );
  return entries;
}

/**
 * The semver tags of a repository, highest first. A name without `/`
 * expands against the kind's base. The listing has the `versions`
 * deadline of the context.
 */
export async function listVersions(
  ctx: ArtifactContext,
  kind: ArtifactKind,
  nameOrRef: string,
): Promise<string[]> {
  const trimmed = trimSpace(nameOrRef);
  if (trimmed === "") {
    throw new InvalidReferenceError("empty artifact reference");
  }
  const repo = trimmed.includes("/")
    ? trimmed
    : `${ctx.registries[kind.name]}/${trimmed}`;
  try {
    return await withContextDeadline(
      ctx,
      "listing tags",
      budgetOf(ctx.deadlines, "versions"),
      async (c) => sortedSemverTags(await listTags(c.store, repo)),
    );
  } catch (e) {
    throw wrapError(`listing versions for ${repo}`, e);
  }
}
