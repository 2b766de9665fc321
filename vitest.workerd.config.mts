/**
 * The workerd suite: the Worker (`worker/index.ts`, `wrangler.toml`) runs
 * inside the real Workers runtime with a real KV namespace, against a real
 * registry started by the global setup. Every outbound request of the
 * Worker passes through `outboundService` below, which records it and
 * refuses any host but the registries, the test's control server and the
 * local sigstore services (Fulcio, Rekor and the TUF mirror share a host).
 *
 *   WRANGLER_SEND_METRICS=false npx vitest run --config vitest.workerd.config.mts
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

/** Where the tests read the outbound log: a host the guard answers itself. */
const GUARD_HOST = "outbound-guard.test";

interface Outbound {
  method: string;
  url: string;
  host: string;
  allowed: boolean;
}

/**
 * Sends a request from the Worker on with Node's fetch: redirects are
 * handed back to the Worker, and a refused connection (registry stopped)
 * becomes a 503 answer, since the guard cannot fail the Worker's fetch
 * the way a network error would.
 */
async function forward(request: Request): Promise<Response> {
  const body = request.method === "GET" || request.method === "HEAD"
    ? undefined
    : new Uint8Array(await request.arrayBuffer());
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body,
      redirect: "manual",
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  } catch (e) {
    return new Response(`unreachable: ${e instanceof Error ? e.message : e}`, {
      status: 503,
    });
  }
}

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const registryHost = inject("registryHost");
      const controlHost = new URL(inject("controlUrl")).host;
      const basicHost = inject("basicRegistryHost");
      const sigstoreUrl = inject("sigstoreUrl");
      const sigstoreHost = new URL(sigstoreUrl).host;
      const log: Outbound[] = [];
      return {
        main: "./worker/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            PLUGIN_REGISTRY: `${registryHost}/klaus-plugins`,
            PERSONALITY_REGISTRY: `${registryHost}/klaus-personalities`,
            TOOLCHAIN_REGISTRY: `${registryHost}/klaus-toolchains`,
            PLAIN_HTTP: "true",
            CACHE_FRESH_TTL_SECONDS: "1",
            CACHE_STALE_TTL_SECONDS: "6",
            REGISTRY_AUTH: btoa(JSON.stringify({
              auths: {
                [registryHost]: { auth: btoa("klaus:s3cret-unused-password") },
              },
            })),
            TEST_REGISTRY_HOST: registryHost,
            TEST_CONTROL_URL: inject("controlUrl"),
            TEST_PUSHED: JSON.stringify(inject("pushed")),
            TEST_BASIC_REGISTRY_HOST: basicHost,
            TEST_BASIC_REGISTRY_AUTH: inject("basicRegistryAuth"),
            TEST_SIGSTORE_URL: sigstoreUrl,
            TEST_TUF_ROOT: inject("tufRoot"),
            TEST_TRUSTED_ROOT: inject("trustedRoot"),
            TEST_KEYLESS: JSON.stringify(inject("keyless")),
          },
          kvNamespaces: ["KLAUS_CACHE"],
          outboundService: async (request: Request) => {
            const url = new URL(request.url);
            if (url.host === GUARD_HOST) {
              if (url.pathname === "/reset") log.length = 0;
              return Response.json(log);
            }
            const allowed = [registryHost, basicHost, controlHost, sigstoreHost]
              .includes(url.host);
            log.push({
              method: request.method,
              url: request.url,
              host: url.host,
              allowed,
            });
            if (!allowed) {
              return new Response("blocked by the test's outbound guard", {
                status: 599,
              });
            }
            return await forward(request);
          },
        },
      };
    }),
  ],
  test: {
    include: ["test/worker/**/*.workerd.spec.ts"],
    globalSetup: ["./test/worker/workerd_global_setup.ts"],
    // The files share one registry that some tests stop and start.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
