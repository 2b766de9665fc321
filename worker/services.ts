/**
 * What the routes and the page ask for — list, describe, versions, resolve,
 * deps — on top of the client: full references built only from the
 * configured bases, identical concurrent questions answered once, and the
 * cache status of every answer.
 *
 * @module
 */
import {
  type ListEntry,
  type Personality,
  type PluginReference,
  referenceString,
  type ResolvedDependencies,
  type ToolchainReference,
} from "../src/artifact/types.ts";
import { withDeadline } from "../src/_deadline.ts";
import type { BackgroundScheduler } from "../src/cache/scheduler.ts";
import { Singleflight } from "../src/cache/singleflight.ts";
import type { Client } from "../src/client.ts";
import { isValidRepository } from "../src/ref/grammar.ts";
import { repositoryFromRef } from "../src/ref/helpers.ts";
import { RequestScope } from "./cache/scope.ts";
import type { AnswerState } from "./cache/http_cache.ts";
import type { DescribedAny, Kind, RegistryBases } from "./kinds.ts";
import { PERSONALITIES, refFor } from "./kinds.ts";
import {
  type EdgeVerification,
  type Verifier,
  VERIFY_BUDGET_MS,
} from "./verification.ts";

/** A dependency of a personality. */
type DependencyReference = PluginReference | ToolchainReference;

/** An answer and how it was produced. */
export interface Answer<T> {
  /** The value. */
  value: T;
  /** Manifest digest the value stands for, when there is one. */
  digest?: string;
  /** Cache state. */
  state: AnswerState;
  /**
   * The signature check of the artifact, when the app has a verification
   * policy (describe only).
   */
  verification?: EdgeVerification;
}

/**
 * How long one answer may take before the API gives up with a 504: 10 s.
 * The registry may stall, drip or queue behind other requests; the
 * requester still hears back within this budget.
 *
 * @example
 * ```ts
 * import { ANSWER_BUDGET_MS } from "./services.ts";
 * console.log(ANSWER_BUDGET_MS); // 10000
 * ```
 */
export const ANSWER_BUDGET_MS = 10_000;

/** Options of {@linkcode Services}. */
export interface ServicesOptions {
  /** Registry bases per kind. */
  registries: RegistryBases;
  /**
   * The library client; each answer runs on a `withCallOptions` view of
   * it that reports to the answer's {@linkcode RequestScope}.
   */
  client: Client;
  /**
   * Budget of one answer in milliseconds (default
   * {@linkcode ANSWER_BUDGET_MS}); past it the answer fails with a
   * `TimeoutError` (a 504).
   */
  budgetMs?: number;
  /**
   * Checks each described artifact's signatures (the `VERIFY_*` policy);
   * omit for no verification.
   */
  verifier?: Verifier;
}

/**
 * Whether a personality's dependency may be described: a short name
 * (expanded against the configured base), or a repository below `base`.
 *
 * @example
 * ```ts
 * import { dependencyAllowed } from "./services.ts";
 * console.log(dependencyAllowed({ repository: "gs-base" }, "r.example/plugins")); // true
 * console.log(dependencyAllowed({ repository: "evil.example/x" }, "r.example/plugins")); // false
 * ```
 */
export function dependencyAllowed(
  d: DependencyReference,
  base: string,
): boolean {
  const repo = d.repository ?? "";
  if (!repo.includes("/")) return repo !== "";
  if (!repo.startsWith(`${base}/`)) return false;
  return isValidRepository(repo.slice(base.length + 1));
}

/**
 * The app's operations. One instance per app; it holds the in-flight map
 * that coalesces identical concurrent questions within an isolate.
 *
 * @example
 * ```ts
 * import { Services } from "./services.ts";
 * console.log(typeof Services);
 * ```
 */
export class Services {
  /** Registry bases. */
  readonly registries: RegistryBases;
  #client: Client;
  #budgetMs: number;
  #verifier: Verifier | undefined;
  #flights = new Singleflight();

  /** Creates the services. */
  constructor(options: ServicesOptions) {
    this.registries = options.registries;
    this.#client = options.client;
    this.#budgetMs = options.budgetMs ?? ANSWER_BUDGET_MS;
    this.#verifier = options.verifier;
  }

  /** Whether describes carry a verification. */
  get verifying(): boolean {
    return this.#verifier !== undefined;
  }

  /**
   * Runs `fn` once for every concurrent caller asking the same `key`, with
   * a client whose cache reports and background work go to a fresh scope,
   * within the answer budget.
   */
  #run<T>(
    key: string,
    scheduler: BackgroundScheduler,
    fn: (
      client: Client,
      scheduler: BackgroundScheduler,
    ) => Promise<
      { value: T; digest?: string; verification?: EdgeVerification }
    >,
  ): Promise<Answer<T>> {
    return this.#flights.do(key, async () => {
      const scope = new RequestScope(scheduler);
      const client = this.#client.withCallOptions({
        onCacheStatus: scope.report,
        scheduler: scope.scheduler,
      });
      // Inside the flight: every caller joined to it hears the 504 at the
      // same moment, and the next request starts afresh.
      const { value, digest, verification } = await withDeadline(
        key,
        this.#budgetMs,
        () => fn(client, scope.scheduler),
      );
      return {
        value,
        digest,
        verification,
        state: {
          status: scope.status,
          ageMs: scope.ageMs,
          staleIfError: scope.staleIfError,
        },
      };
    });
  }

  /** Every artifact of a kind. */
  list(
    kind: Kind,
    scheduler: BackgroundScheduler,
  ): Promise<Answer<ListEntry[]>> {
    const base = this.registries[kind.name];
    return this.#run(`list ${kind.path}`, scheduler, async (c) => ({
      value: await kind.list(c, base),
    }));
  }

  /**
   * One artifact, latest semver when `version` is undefined; with a
   * verifier, `verification` says whether its signatures verify (also in
   * the value), within what is left of the answer budget (at most
   * {@linkcode VERIFY_BUDGET_MS}).
   */
  describe(
    kind: Kind,
    name: string,
    version: string | undefined,
    scheduler: BackgroundScheduler,
  ): Promise<Answer<DescribedAny>> {
    const repository = refFor(this.registries[kind.name], name);
    const r = refFor(this.registries[kind.name], name, version);
    return this.#run(
      `describe ${kind.path} ${r}`,
      scheduler,
      async (c, background) => {
        const started = Date.now();
        const value = await kind.describe(c, r);
        if (!this.#verifier) return { value, digest: value.digest };
        // Leave the describe a moment to answer before its own deadline.
        const left = this.#budgetMs - (Date.now() - started) - 250;
        const verification = await this.#verifier.check(
          c,
          repository,
          value.digest,
          background,
          Math.max(1, Math.min(VERIFY_BUDGET_MS, left)),
        );
        return {
          value: { ...value, verification },
          digest: value.digest,
          verification,
        };
      },
    );
  }

  /** Every tag of an artifact's repository. */
  versions(
    kind: Kind,
    name: string,
    scheduler: BackgroundScheduler,
  ): Promise<Answer<string[]>> {
    const repo = refFor(this.registries[kind.name], name);
    return this.#run(`versions ${kind.path} ${repo}`, scheduler, async (c) => ({
      value: await kind.versions(c, repo),
    }));
  }

  /** The reference `name[:version]` resolves to. */
  resolve(
    kind: Kind,
    name: string,
    version: string | undefined,
    scheduler: BackgroundScheduler,
  ): Promise<Answer<string>> {
    const r = refFor(this.registries[kind.name], name, version);
    return this.#run(`resolve ${kind.path} ${r}`, scheduler, async (c) => ({
      value: await kind.resolve(c, r),
    }));
  }

  /**
   * A personality's toolchain and plugins. Dependencies outside the
   * configured bases are not contacted; each becomes a warning.
   */
  deps(
    name: string,
    version: string | undefined,
    scheduler: BackgroundScheduler,
  ): Promise<Answer<ResolvedDependencies>> {
    const r = refFor(this.registries.personality, name, version);
    return this.#run(`deps ${r}`, scheduler, async (c, background) => {
      const started = Date.now();
      const described = await PERSONALITIES.describe(c, r);
      const p = described.personality as Personality;
      const refused: string[] = [];
      let toolchain = p.toolchain;
      if (
        toolchain?.repository &&
        !dependencyAllowed(toolchain, this.registries.toolchain)
      ) {
        refused.push(
          `toolchain ${referenceString(toolchain)}: ${
            outside(this.registries.toolchain)
          }`,
        );
        toolchain = undefined;
      }
      const plugins = (p.plugins ?? []).filter((d) => {
        if (dependencyAllowed(d, this.registries.plugin)) return true;
        refused.push(
          `plugin ${referenceString(d)}: ${outside(this.registries.plugin)}`,
        );
        return false;
      });
      const resolved = await c.resolvePersonalityDeps({
        ...p,
        toolchain,
        plugins,
      });
      const value: ResolvedDependencies = {
        ...(resolved.toolchain ? { toolchain: resolved.toolchain } : {}),
        plugins: resolved.plugins,
        warnings: [...refused, ...resolved.warnings],
      };
      const verifier = this.#verifier;
      if (!verifier) return { value };
      // Each dependency's check as a describe's (the same cache entry, by
      // repository and digest), all at once within the answer budget.
      const left = this.#budgetMs - (Date.now() - started) - 250;
      const budget = Math.max(1, Math.min(VERIFY_BUDGET_MS, left));
      const withCheck = async <T extends { ref: string; digest: string }>(
        d: T,
      ): Promise<T & { verification: EdgeVerification }> => ({
        ...d,
        verification: await verifier.check(
          c,
          repositoryFromRef(d.ref),
          d.digest,
          background,
          budget,
        ),
      });
      const [toolchainChecked, ...pluginsChecked] = await Promise.all([
        value.toolchain ? withCheck(value.toolchain) : undefined,
        ...value.plugins.map(withCheck),
      ]);
      return {
        value: {
          ...value,
          ...(toolchainChecked ? { toolchain: toolchainChecked } : {}),
          plugins: pluginsChecked.filter((p) => p !== undefined),
        },
      };
    });
  }
}

function outside(base: string): string {
  return `not below the configured registry base ${base}; not contacted`;
}
