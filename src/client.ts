/**
 * The `Client` facade: wires the registry client, the OCI layout store and
 * the optional stale-while-revalidate cache into one {@linkcode OciStore},
 * and exposes the Klaus operations with the Go module's names. Views made
 * by {@linkcode Client.withCallOptions} share that wiring and hand extra
 * per-call options (a request's cache-status callback) to the cache.
 *
 * @module
 */
import { CachingStore } from "./cache/caching_store.ts";
import type { CacheOptions } from "./cache/options.ts";
import type { CacheCallOptions } from "./cache/status.ts";
import { LayoutStore } from "./layout/layout_store.ts";
import { PlainHttpHosts } from "./plain_http_hosts.ts";
import { trimSpace } from "./ref/_trim_space.ts";
import { FsPushRecords } from "./cache/push_records.ts";
import {
  budgetOf,
  type OperationDeadlines,
  resolveDeadlines,
  withDeadline,
} from "./_deadline.ts";
import { RegistryStore } from "./registry/registry_store.ts";
import type { RetryOptions } from "./registry/retry.ts";
import { CallOptionsStore } from "./oci/call_options_store.ts";
import { RoutingStore } from "./oci/routing_store.ts";
import type { Descriptor } from "./oci/descriptor.ts";
import type { OciStore, ProgressEvent } from "./oci/store.ts";
import { parseReference } from "./ref/reference.ts";
import {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
} from "./ref/registries.ts";
import { SignatureError, wrapError } from "./errors.ts";
import type { ArtifactContext } from "./artifact/context.ts";
import {
  describePersonality,
  describePlugin,
  describeToolchain,
} from "./artifact/describe.ts";
import {
  type ResolveDepsOptions,
  resolvePersonalityDeps,
} from "./artifact/deps.ts";
import {
  PERSONALITY_KIND,
  PLUGIN_KIND,
  TOOLCHAIN_KIND,
} from "./artifact/kind.ts";
import {
  listArtifacts,
  type ListOptions,
  listVersions,
} from "./artifact/list.ts";
import type { PullOptions } from "./artifact/pull.ts";
import type { PushOptions } from "./artifact/push.ts";
import type {
  VerificationPolicy,
  VerificationResult,
} from "./sign/verify_artifact.ts";
import {
  listTags,
  resolveArtifactRef,
  resolveLatestVersion,
} from "./artifact/resolve_ref.ts";
import type {
  DescribedPersonality,
  DescribedPlugin,
  DescribedToolchain,
  ListEntry,
  Personality,
  Plugin,
  PulledPersonality,
  PulledPlugin,
  PushResult,
  ResolvedDependencies,
} from "./artifact/types.ts";

/** Default bound on concurrent repository operations (as the Go module). */
export const DEFAULT_CONCURRENCY = 10;

/**
 * Options of {@linkcode Client}.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@klaus/oci";
 * const o: ClientOptions = { plainHttp: true, cache: { dir: "/tmp/klaus-oci" } };
 * console.log(o.plainHttp);
 * ```
 */
export interface ClientOptions {
  /**
   * Use `http://` instead of `https://` (Go `WithPlainHTTP`) for the
   * registries this client is told about: the configured `registries`, the
   * host of every reference or list base passed to a method. Hosts reached
   * only through an artifact (a personality's toolchain or plugins on
   * another registry) stay https. A list of hosts applies to exactly those.
   */
  plainHttp?: boolean | readonly string[];
  /**
   * Name of an environment variable holding a base64 Docker config JSON,
   * consulted before the Docker and containers config files (Go
   * `WithRegistryAuthEnv`).
   */
  registryAuthEnv?: string;
  /**
   * Environment to read credentials and config locations from (default:
   * the process environment where the runtime has one).
   */
  env?: Record<string, string | undefined>;
  /** Most concurrent repository operations (default 10). */
  concurrency?: number;
  /** Enables the registry response cache. Omit for no cache. */
  cache?: CacheOptions;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Bytes moved per blob, for progress bars. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Registry bases short names expand against, per kind (default the Giant
   * Swarm bases). An `ocidir://<root>` base works too.
   */
  registries?: { plugin?: string; personality?: string; toolchain?: string };
  /** `User-Agent` sent to registries. */
  userAgent?: string;
  /**
   * Timeout of one registry response: its headers, and each stall of its
   * body (milliseconds, default 60 000).
   */
  timeoutMs?: number;
  /**
   * Retries of transient registry failures; `maxElapsedMs` is the total
   * budget of one request including its retries.
   */
  retry?: RetryOptions;
  /**
   * Whether credential helpers (`docker-credential-*`) may be run (default
   * true). A server answering untrusted requests should say false.
   */
  credentialHelpers?: boolean;
  /**
   * The store `ocidir://` addresses go to (default an OCI image layout
   * store on the local file system). Internal: the edge API in `worker/`
   * passes one that refuses, so requests cannot name files on the server.
   * Its type is the library's internal store interface, which is not part
   * of the public API.
   *
   * @ignore
   */
  layout?: OciStore;
  /**
   * Budgets of whole operations in milliseconds: `list`, `versions`,
   * `describe`, `pull`, `push` (defaults 5 min, 2 min, 2 min, 30 min, 60
   * min; `0` for none). Past it the operation fails with a `TimeoutError`
   * naming it and its budget, and every request it has in flight is
   * aborted.
   */
  deadlines?: OperationDeadlines;
  /**
   * Signature policy of every pull and of `resolvePersonalityDeps` (a
   * call's own `verification` wins): SPKI PEM public keys of ECDSA P-256
   * signers, and/or a trusted root with the certificate identity and OIDC
   * issuer of keyless signers; `require` (default true) refuses artifacts
   * no signature verifies for with a `SignatureError`, before anything is
   * extracted.
   */
  verification?: VerificationPolicy;
}

/** What every view of one client shares. */
interface ClientStack {
  /** The operations' context; its store is the unwrapped routing store. */
  ctx: ArtifactContext;
  cache?: CachingStore;
  /** Registries the user named (where `plainHttp` applies). */
  hosts: PlainHttpHosts;
  /** The signature policy of pulls and dependency resolution. */
  verification?: VerificationPolicy;
  /** The client's `fetch`, also for the signing services (Fulcio, Rekor). */
  fetch?: typeof fetch;
}

// Marks the constructor argument of a view: a prebuilt stack instead of
// options. Module-private, so users cannot make one.
const VIEW = Symbol("Client view");

interface ViewInit {
  [VIEW]: { stack: ClientStack; extra: CacheCallOptions };
}

function buildStack(options: ClientOptions): ClientStack {
  const hosts = new PlainHttpHosts(options.plainHttp);
  hosts.nameBase(options.registries?.plugin);
  hosts.nameBase(options.registries?.personality);
  hosts.nameBase(options.registries?.toolchain);
  const registry = new RegistryStore({
    plainHttp: hosts.plain,
    registryAuthEnv: options.registryAuthEnv,
    env: options.env,
    credentialHelpers: options.credentialHelpers,
    fetch: options.fetch,
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  // Layouts are local files: caching them would only hide fresh pushes.
  let remote: OciStore = registry;
  let cache: CachingStore | undefined;
  if (options.cache) {
    cache = new CachingStore(registry, options.cache);
    remote = cache;
  }
  const concurrency =
    options.concurrency !== undefined && options.concurrency > 0
      ? Math.floor(options.concurrency)
      : DEFAULT_CONCURRENCY;
  const ctx: ArtifactContext = {
    store: new RoutingStore(remote, options.layout ?? new LayoutStore()),
    concurrency,
    registries: {
      plugin: options.registries?.plugin ?? DEFAULT_PLUGIN_REGISTRY,
      personality: options.registries?.personality ??
        DEFAULT_PERSONALITY_REGISTRY,
      toolchain: options.registries?.toolchain ?? DEFAULT_TOOLCHAIN_REGISTRY,
    },
    onProgress: options.onProgress,
    deadlines: resolveDeadlines(options.deadlines),
    pushRecords: options.cache?.dir
      ? new FsPushRecords(`${options.cache.dir}/push`)
      : undefined,
  };
  return {
    ctx,
    cache,
    hosts,
    verification: options.verification,
    fetch: options.fetch,
  };
}

/**
 * A Klaus OCI client: describe, list, resolve, pull and push plugins,
 * personalities and toolchains on OCI registries and `ocidir://` layouts.
 *
 * @example Push, describe, pull and list through an OCI image layout on disk
 * ```ts
 * import { Client, readPluginFromDir } from "@klaus/oci";
 *
 * // A plugin source directory, and an OCI image layout store beside it.
 * const tmp = await Deno.makeTempDir();
 * const source = `${tmp}/hello`;
 * await Deno.mkdir(`${source}/.claude-plugin`, { recursive: true });
 * await Deno.mkdir(`${source}/commands`);
 * await Deno.writeTextFile(`${source}/.claude-plugin/plugin.json`, '{"name": "hello"}');
 * await Deno.writeTextFile(`${source}/commands/greet.md`, "Say hello.\n");
 *
 * const client = new Client({ registries: { plugin: `ocidir://${tmp}/store` } });
 * const plugin = await readPluginFromDir(source);
 * await client.pushPlugin(source, `ocidir://${tmp}/store/hello:v1.0.0`, plugin);
 *
 * // Short names expand against the base; no tag means the highest semver tag.
 * const ref = await client.resolvePluginRef("hello");
 * const described = await client.describePlugin(ref);
 * console.log(described.tag, described.plugin.commands); // v1.0.0 [ "greet" ]
 *
 * const pulled = await client.pullPlugin(ref, `${tmp}/plugins/hello`);
 * console.log(pulled.cached); // false; true when the same digest is pulled again
 *
 * console.log(await client.listPlugins()); // [ { name: "hello", version: "v1.0.0", … } ]
 * await client.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 *
 * @example Describe the latest version of a plugin on the default registry
 * ```ts ignore
 * import { Client } from "@klaus/oci";
 * const client = new Client({ cache: { dir: "/tmp/klaus-oci" } });
 * const d = await client.describePlugin("gs-base");
 * console.log(d.ref, d.plugin.commands);
 * await client.close();
 * ```
 */
export class Client {
  #stack: ClientStack;
  #extra?: CacheCallOptions;
  #ctx: ArtifactContext;

  /** Creates a client; nothing is contacted until the first call. */
  constructor(options: ClientOptions = {}) {
    const view = (options as Partial<ViewInit>)[VIEW];
    if (view) {
      this.#stack = view.stack;
      this.#extra = view.extra;
      this.#ctx = {
        ...view.stack.ctx,
        store: new CallOptionsStore(view.stack.ctx.store, view.extra),
      };
    } else {
      this.#stack = buildStack(options);
      this.#ctx = this.#stack.ctx;
    }
  }

  /**
   * A view of this client whose operations pass `extra` with every store
   * call: `onCacheStatus` then hears how each cached part of an answer
   * was produced, and `scheduler` takes the background revalidations the
   * calls start. The view shares everything else — registry client and
   * its tokens, cache, in-flight requests, layout store — so making one
   * per request is cheap. Options of a view made from a view add to (and
   * override) the parent's. `close()` on a view closes the shared cache.
   *
   * @example Report the cache status of one answer
   * ```ts ignore
   * import { type CacheStatus, Client } from "@klaus/oci";
   * const client = new Client({ cache: {} });
   * const statuses: CacheStatus[] = [];
   * const view = client.withCallOptions({
   *   onCacheStatus: (status) => statuses.push(status),
   * });
   * await view.describePlugin("gs-base");
   * // The least fresh part decides: a miss anywhere, else stale anywhere.
   * const worst = statuses.includes("miss")
   *   ? "miss"
   *   : statuses.includes("stale") ? "stale" : "fresh";
   * console.log("X-Klaus-Cache:", worst);
   * await client.close();
   * ```
   */
  withCallOptions(extra: CacheCallOptions): Client {
    const init: ViewInit = {
      [VIEW]: { stack: this.#stack, extra: { ...this.#extra, ...extra } },
    };
    return new Client(init as ClientOptions);
  }

  /**
   * The manifest digest `ref` points at. Digest references answer without
   * network.
   *
   * @example A digest reference answers without network
   * ```ts
   * import { Client } from "@klaus/oci";
   * const client = new Client();
   * const digest = `sha256:${"a".repeat(64)}`;
   * console.log(await client.resolve(`example.com/plugins/base@${digest}`) === digest); // true
   * await client.close();
   * ```
   */
  async resolve(ref: string): Promise<string> {
    this.#stack.hosts.name(ref);
    let parsed;
    try {
      parsed = parseReference(trimSpace(ref));
    } catch (e) {
      throw wrapError(`resolving ${ref}`, e);
    }
    if (parsed.digest !== undefined) return parsed.digest;
    try {
      return (await this.#ctx.store.resolve(parsed)).descriptor.digest;
    } catch (e) {
      throw wrapError(`resolving ${ref}`, e);
    }
  }

  /**
   * What is attached to the manifest `ref` names (OCI 1.1 referrers:
   * signatures, SBOMs, attestations), optionally of one `artifactType`:
   * through the referrers API where the registry has it, the referrers tag
   * schema where it does not (and in `ocidir://` layouts).
   *
   * @example
   * ```ts ignore
   * const sigs = await new Client().listReferrers("r.example/p/base:v1", {
   *   artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
   * });
   * ```
   */
  async listReferrers(
    ref: string,
    options: { artifactType?: string; signal?: AbortSignal } = {},
  ): Promise<Descriptor[]> {
    this.#stack.hosts.name(ref);
    let parsed;
    try {
      parsed = parseReference(trimSpace(ref));
    } catch (e) {
      throw wrapError(`listing referrers of ${ref}`, e);
    }
    try {
      const digest = parsed.digest ??
        (await this.#ctx.store.resolve(parsed, { signal: options.signal }))
          .descriptor.digest;
      return await this.#ctx.store.listReferrers(
        { registry: parsed.registry, repository: parsed.repository },
        digest,
        options,
      );
    } catch (e) {
      throw wrapError(`listing referrers of ${ref}`, e);
    }
  }

  /**
   * Checks the signatures attached to the manifest `ref` names (sigstore
   * bundles as OCI referrers) under `options.policy`, else the client's
   * `verification`: throws a `SignatureError` naming the reason when the
   * policy requires a signature and none verifies; otherwise lists what
   * was found (`{ signatures: [{ keyId | identity, issuer, verified,
   * tlogIndex }] }`).
   *
   * @example
   * ```ts ignore
   * const pem = await Deno.readTextFile("cosign.pub");
   * const { signatures } = await new Client().verifySignatures(
   *   "r.example/p/base:v1",
   *   { policy: { publicKeys: [pem] } },
   * );
   * ```
   */
  async verifySignatures(
    ref: string,
    options: { policy?: VerificationPolicy; signal?: AbortSignal } = {},
  ): Promise<VerificationResult> {
    this.#stack.hosts.name(ref);
    const policy = options.policy ?? this.#stack.verification;
    if (!policy) {
      throw new SignatureError(
        `verifying signature of ${ref}: no verification policy (no public keys, no trusted root)`,
        { reason: "other" },
      );
    }
    let parsed;
    try {
      parsed = parseReference(trimSpace(ref));
    } catch (e) {
      throw wrapError(`verifying signature of ${ref}`, e);
    }
    const { signal } = options;
    let digest = parsed.digest;
    if (digest === undefined) {
      try {
        digest = (await this.#ctx.store.resolve(parsed, { signal }))
          .descriptor.digest;
      } catch (e) {
        throw wrapError(`resolving ${ref}`, e);
      }
    }
    const { fetchVerifiedManifest } = await import(
      "./sign/verified_manifest.ts"
    );
    return (await fetchVerifiedManifest(
      this.#ctx.store,
      { ...parsed, digest },
      ref,
      policy,
      signal,
    )).verification;
  }

  /** Every tag of `repository`, all pages. */
  list(repository: string): Promise<string[]> {
    this.#stack.hosts.name(repository);
    return listTags(this.#ctx.store, repository);
  }

  /** `repository:<highest semver tag>`. */
  resolveLatestVersion(repository: string): Promise<string> {
    this.#stack.hosts.name(repository);
    return resolveLatestVersion(this.#ctx.store, repository);
  }

  /** Expands a short name and resolves `latest`/no tag to the highest semver tag. */
  resolvePluginRef(ref: string): Promise<string> {
    this.#stack.hosts.name(ref);
    return resolveArtifactRef(
      this.#ctx.store,
      ref,
      this.#ctx.registries.plugin,
    );
  }
  /** As {@linkcode Client.resolvePluginRef}, for personalities. */
  resolvePersonalityRef(ref: string): Promise<string> {
    this.#stack.hosts.name(ref);
    return resolveArtifactRef(
      this.#ctx.store,
      ref,
      this.#ctx.registries.personality,
    );
  }
  /** As {@linkcode Client.resolvePluginRef}, for toolchains. */
  resolveToolchainRef(ref: string): Promise<string> {
    this.#stack.hosts.name(ref);
    return resolveArtifactRef(
      this.#ctx.store,
      ref,
      this.#ctx.registries.toolchain,
    );
  }

  /** Every plugin repository with its latest semver version. */
  listPlugins(options?: ListOptions): Promise<ListEntry[]> {
    this.#stack.hosts.nameBase(options?.registry);
    return listArtifacts(this.#ctx, PLUGIN_KIND, options);
  }
  /** Every personality repository with its latest semver version. */
  listPersonalities(options?: ListOptions): Promise<ListEntry[]> {
    this.#stack.hosts.nameBase(options?.registry);
    return listArtifacts(this.#ctx, PERSONALITY_KIND, options);
  }
  /** Every toolchain repository with its latest semver version. */
  listToolchains(options?: ListOptions): Promise<ListEntry[]> {
    this.#stack.hosts.nameBase(options?.registry);
    return listArtifacts(this.#ctx, TOOLCHAIN_KIND, options);
  }

  /** Semver tags of a plugin, highest first. */
  listPluginVersions(nameOrRef: string): Promise<string[]> {
    this.#stack.hosts.name(nameOrRef);
    return listVersions(this.#ctx, PLUGIN_KIND, nameOrRef);
  }
  /** Semver tags of a personality, highest first. */
  listPersonalityVersions(nameOrRef: string): Promise<string[]> {
    this.#stack.hosts.name(nameOrRef);
    return listVersions(this.#ctx, PERSONALITY_KIND, nameOrRef);
  }
  /** Semver tags of a toolchain, highest first. */
  listToolchainVersions(nameOrRef: string): Promise<string[]> {
    this.#stack.hosts.name(nameOrRef);
    return listVersions(this.#ctx, TOOLCHAIN_KIND, nameOrRef);
  }

  /** Metadata and components of a plugin. */
  describePlugin(ref: string): Promise<DescribedPlugin> {
    this.#stack.hosts.name(ref);
    return describePlugin(this.#ctx, ref);
  }
  /** Metadata and dependencies of a personality. */
  describePersonality(ref: string): Promise<DescribedPersonality> {
    this.#stack.hosts.name(ref);
    return describePersonality(this.#ctx, ref);
  }
  /** Metadata of a toolchain image (from its manifest or index annotations). */
  describeToolchain(ref: string): Promise<DescribedToolchain> {
    this.#stack.hosts.name(ref);
    return describeToolchain(this.#ctx, ref);
  }

  /**
   * Describes a personality's toolchain and plugins; never throws. Under
   * `options.verification`, else the client's `verification`, every
   * dependency's signatures are checked: each carries `signatures`, and
   * unless the policy's `require` is `false` one that does not verify is
   * left out with a warning naming the reason.
   *
   * @example
   * ```ts ignore
   * const client = new Client({ verification: { publicKeys: [pem] } });
   * const { plugins, warnings } = await client.resolvePersonalityDeps(personality);
   * for (const p of plugins) console.log(p.ref, p.signatures?.[0]?.keyId);
   * ```
   */
  resolvePersonalityDeps(
    personality: Personality,
    options: ResolveDepsOptions = {},
  ): Promise<ResolvedDependencies> {
    return resolvePersonalityDeps(this.#ctx, personality, {
      verification: options.verification ?? this.#stack.verification,
    });
  }

  /** Pulls a plugin (ref with tag or digest) into `destDir`. */
  pullPlugin(
    ref: string,
    destDir: string,
    options?: PullOptions,
  ): Promise<PulledPlugin> {
    return this.#pull(
      ref,
      options,
      async (signalled) =>
        (await import("./artifact/pull.ts")).pullPlugin(
          this.#ctx,
          ref,
          destDir,
          signalled,
        ),
    );
  }
  /** Pulls a personality (ref with tag or digest) into `destDir`. */
  pullPersonality(
    ref: string,
    destDir: string,
    options?: PullOptions,
  ): Promise<PulledPersonality> {
    return this.#pull(
      ref,
      options,
      async (signalled) =>
        (await import("./artifact/pull.ts")).pullPersonality(
          this.#ctx,
          ref,
          destDir,
          signalled,
        ),
    );
  }

  /** Pushes a plugin directory under `ref`. */
  pushPlugin(
    sourceDir: string,
    ref: string,
    plugin: Plugin,
    options?: PushOptions,
  ): Promise<PushResult> {
    return this.#push(
      ref,
      options,
      async (signalled) =>
        (await import("./artifact/push.ts")).pushPlugin(
          this.#ctx,
          sourceDir,
          ref,
          plugin,
          signalled,
        ),
    );
  }
  /** Pushes a personality directory under `ref`. */
  pushPersonality(
    sourceDir: string,
    ref: string,
    personality: Personality,
    options?: PushOptions,
  ): Promise<PushResult> {
    return this.#push(
      ref,
      options,
      async (signalled) =>
        (await import("./artifact/push.ts")).pushPersonality(
          this.#ctx,
          sourceDir,
          ref,
          personality,
          signalled,
        ),
    );
  }

  // A pull runs under its deadline (the code loads on first use) with the
  // client's signature policy unless the call names its own.
  #pull<T>(
    ref: string,
    options: PullOptions | undefined,
    run: (options: PullOptions) => Promise<T>,
  ): Promise<T> {
    this.#stack.hosts.name(ref);
    return withDeadline(
      `pulling ${ref}`,
      budgetOf(this.#ctx.deadlines, "pull"),
      (signal) =>
        run({
          ...options,
          verification: options?.verification ?? this.#stack.verification,
          signal,
        }),
      options?.signal,
    );
  }

  #push<T>(
    ref: string,
    options: PushOptions | undefined,
    run: (options: PushOptions) => Promise<T>,
  ): Promise<T> {
    this.#stack.hosts.name(ref);
    return withDeadline(
      `pushing ${ref}`,
      budgetOf(this.#ctx.deadlines, "push"),
      (signal) =>
        run({
          ...options,
          // Fulcio and Rekor through the client's fetch unless told otherwise.
          ...(options?.sign
            ? { sign: { fetch: this.#stack.fetch, ...options.sign } }
            : {}),
          signal,
        }),
      options?.signal,
    );
  }

  /** Waits for background cache refreshes and stops new ones. */
  async close(): Promise<void> {
    await this.#stack.cache?.close();
  }
}
