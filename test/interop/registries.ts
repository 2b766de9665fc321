/**
 * The registry implementations every interop round trip runs on: CNCF
 * distribution 2.8 with htpasswd Basic auth, and cloudflare/serverless-
 * registry (a Worker on R2 under `wrangler dev --local`) with its Basic
 * auth. Both are real, independent implementations; each differs from the
 * other in ways clients meet in the wild (tag-list paging, `Link` syntax,
 * upload rules, referrers API).
 *
 * @module
 */
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import {
  missingPeerRegistry,
  startPeerRegistry,
} from "../harness/peer_registry.ts";
import { missing } from "../harness/require.ts";

/** One registry implementation under test. */
export interface InteropRegistry {
  /** Short label for test names. */
  label: string;
  /** True when its real parts are missing here (throws in CI). */
  ignore: boolean;
  /** Starts a fresh, empty instance. */
  start(): Promise<RegistryHandle>;
}

/**
 * Both implementations; skopeo is required too, as the second client.
 *
 * @example
 * ```ts
 * for (const r of interopRegistries()) {
 *   Deno.test({ name: `x on ${r.label}`, ignore: r.ignore, fn: async () => {
 *     await using reg = await r.start();
 *   } });
 * }
 * ```
 */
export function interopRegistries(): InteropRegistry[] {
  return [
    {
      label: "distribution 2.8 (htpasswd Basic)",
      ignore: missing("docker-registry", "htpasswd", "skopeo"),
      start: () => startRegistry({ mode: "basic" }),
    },
    {
      label: "serverless-registry (Workers + R2, Basic)",
      ignore: missingPeerRegistry() || missing("skopeo"),
      start: () => startPeerRegistry(),
    },
  ];
}
