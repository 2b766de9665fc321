/**
 * Pushes `examples/` and the test fixtures (a plugin whose metadata is
 * markup, a personality depending on foreign hosts) to a plain-HTTP
 * registry under `<host>/klaus-plugins`, `<host>/klaus-personalities`,
 * `<host>/klaus-toolchains`. Run by the workerd suite's global setup:
 *
 * ```sh
 * deno run -A test/worker/seed_registry.ts 127.0.0.1:5000
 * ```
 *
 * prints `{"kind/name:tag": "sha256:…"}` on stdout. `SEED_REGISTRY_AUTH`
 * (base64 Docker config) gives credentials.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { Client } from "../../src/client.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import {
  type PushedExamples,
  pushExamples,
} from "../../worker/examples_store.ts";
import type { RegistryBases } from "../../worker/kinds.ts";

/** The bases the suite configures for a registry at `host`. */
export function registryBases(host: string): RegistryBases {
  return {
    plugin: `${host}/klaus-plugins`,
    personality: `${host}/klaus-personalities`,
    toolchain: `${host}/klaus-toolchains`,
  };
}

/** `examples/` of the project. */
export const EXAMPLES_DIR = fileURLToPath(
  new URL("../../examples", import.meta.url),
);
/** The test fixtures. */
export const FIXTURES_DIR = fileURLToPath(
  new URL("./fixtures", import.meta.url),
);

/**
 * Pushes examples and fixtures; returns what was pushed. `auth` is a base64
 * Docker config for registries that require credentials.
 */
export async function seedRegistry(
  host: string,
  auth?: string,
): Promise<PushedExamples> {
  const bases = registryBases(host);
  const creds = { registryAuthEnv: "SEED_AUTH", env: { SEED_AUTH: auth } };
  const client = new Client({ plainHttp: true, ...creds });
  const store = new RegistryStore({ plainHttp: true, ...creds });
  try {
    return {
      ...await pushExamples(client, store, EXAMPLES_DIR, bases),
      ...await pushExamples(client, store, FIXTURES_DIR, bases),
    };
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  const host = Deno.args[0];
  if (!host) {
    console.error("usage: seed_registry.ts <host:port>");
    Deno.exit(2);
  }
  console.log(
    JSON.stringify(
      await seedRegistry(host, Deno.env.get("SEED_REGISTRY_AUTH")),
    ),
  );
}
