/**
 * The library `Client` as the edge API runs it: one per isolate (or
 * server), with defaults for a server answering untrusted requests — short
 * registry timeouts, no credential helpers, no process environment, and no
 * `ocidir://` layouts unless the runtime has a disk. Per answer the app
 * takes a `withCallOptions` view of it (see `services.ts`).
 *
 * @module
 */
import { Client } from "../src/client.ts";
import type { CacheOptions } from "../src/cache/options.ts";
import { InvalidReferenceError } from "../src/errors.ts";
import type { OciStore } from "../src/oci/store.ts";
import type { RegistryBases } from "./kinds.ts";

/** Options of {@linkcode edgeClient}. */
export interface EdgeClientOptions {
  /** Registry bases per kind. */
  registries: RegistryBases;
  /** `http://` instead of `https://`. */
  plainHttp?: boolean;
  /** Name of the variable in `env` holding a base64 Docker config. */
  registryAuthEnv?: string;
  /** Where credentials are read from (never the process environment). */
  env?: Record<string, string | undefined>;
  /** The (guarded) `fetch`. */
  fetch?: typeof fetch;
  /** Cache options; omit for no cache. */
  cache?: CacheOptions;
  /** Most concurrent repository operations (default 6, the Workers connection cap). */
  concurrency?: number;
  /**
   * Timeout of one registry response (headers, and each stall of a body);
   * default 10 s — an edge answer should not wait for a minute.
   */
  timeoutMs?: number;
  /** Total budget of one registry request including retries (default 20 s). */
  requestBudgetMs?: number;
  /**
   * The store for `ocidir://` bases (a `LayoutStore` under Deno). Default:
   * one refusing every address — a Worker has no disk.
   */
  layout?: OciStore;
}

function noLayouts(): Promise<never> {
  return Promise.reject(
    new InvalidReferenceError(
      "ocidir:// layouts are not available in this runtime",
    ),
  );
}

/** An {@linkcode OciStore} refusing every `ocidir://` address. */
const NO_LAYOUTS: OciStore = {
  resolve: noLayouts,
  fetchManifest: noLayouts,
  fetchBlob: noLayouts,
  blobExists: noLayouts,
  pushBlob: noLayouts,
  pushBlobStream: noLayouts,
  listReferrers: noLayouts,
  pushManifest: noLayouts,
  listTags: noLayouts,
  listRepositories: noLayouts,
};

/**
 * The client of the edge API.
 *
 * @example
 * ```ts
 * import { edgeClient } from "./edge_client.ts";
 * const client = edgeClient({ registries: { plugin: "r.example/p", personality: "r.example/s", toolchain: "r.example/t" } });
 * console.log(typeof client.withCallOptions);
 * await client.close();
 * ```
 */
export function edgeClient(options: EdgeClientOptions): Client {
  return new Client({
    registries: options.registries,
    plainHttp: options.plainHttp,
    registryAuthEnv: options.registryAuthEnv,
    env: options.env ?? {},
    // Credential helpers spawn processes: never from a server.
    credentialHelpers: false,
    fetch: options.fetch,
    cache: options.cache,
    concurrency: options.concurrency ?? 6,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: { maxElapsedMs: options.requestBudgetMs ?? 20_000 },
    layout: options.layout ?? NO_LAYOUTS,
  });
}
