/**
 * Helpers of the workerd suite: the bindings the config passes in, the
 * outbound log kept by the config's guard, and the registry control.
 *
 * @module
 */

/** One request the Worker sent out. */
export interface OutboundEntry {
  /** Method. */
  method: string;
  /** Full URL. */
  url: string;
  /** `host[:port]`. */
  host: string;
  /** Whether the guard let it through. */
  allowed: boolean;
}

const GUARD = "http://outbound-guard.test";

/** Everything the Worker sent out since the last reset. */
export async function outboundLog(): Promise<OutboundEntry[]> {
  return await (await fetch(`${GUARD}/log`)).json();
}

/** Clears the outbound log. */
export async function resetOutboundLog(): Promise<void> {
  await (await fetch(`${GUARD}/reset`)).body?.cancel();
}

/** What the tests know about the deployment (from the bindings). */
export interface TestEnv {
  registryHost: string;
  controlUrl: string;
  bases: { plugin: string; personality: string; toolchain: string };
  pushed: Record<string, string>;
  secrets: string[];
}

/** Reads the test bindings. */
export function testEnv(env: unknown): TestEnv {
  const e = env as Record<string, string>;
  return {
    registryHost: e.TEST_REGISTRY_HOST,
    controlUrl: e.TEST_CONTROL_URL,
    bases: {
      plugin: e.PLUGIN_REGISTRY,
      personality: e.PERSONALITY_REGISTRY,
      toolchain: e.TOOLCHAIN_REGISTRY,
    },
    pushed: JSON.parse(e.TEST_PUSHED),
    secrets: [e.REGISTRY_AUTH, "s3cret-unused-password"],
  };
}

/** The keyless fixtures and the local sigstore services (from the bindings). */
export interface KeylessEnv {
  /** Base URL of the services: Fulcio, Rekor and the TUF mirror. */
  sigstoreUrl: string;
  /** `host:port` of the services. */
  sigstoreHost: string;
  /** The TUF repository's initial `root.json` (text). */
  tufRoot: string;
  /** The services' `trusted_root.json` (text). */
  trustedRoot: string;
  /** The plugin base of the keyless fixtures (`<host>/klaus-keyless`). */
  base: string;
  /** Manifest digest per plugin name (`keyless`, `unsigned`). */
  digests: Record<string, string>;
  /** The certificate identity the keyless signature names. */
  subject: string;
  /** The OIDC issuer its certificate names. */
  issuer: string;
}

/** Reads the keyless bindings (`seed_keyless.ts`, the sigstore services). */
export function keylessEnv(env: unknown): KeylessEnv {
  const e = env as Record<string, string>;
  const keyless = JSON.parse(e.TEST_KEYLESS) as {
    base: string;
    digests: Record<string, string>;
    subject: string;
    issuer: string;
  };
  return {
    sigstoreUrl: e.TEST_SIGSTORE_URL,
    sigstoreHost: new URL(e.TEST_SIGSTORE_URL).host,
    tufRoot: e.TEST_TUF_ROOT,
    trustedRoot: e.TEST_TRUSTED_ROOT,
    ...keyless,
  };
}

/** Stops (`down`) or starts (`up`) the registry. */
export async function registry(
  t: TestEnv,
  action: "down" | "up",
): Promise<void> {
  const res = await fetch(`${t.controlUrl}/registry/${action}`, {
    method: "POST",
  });
  if (!res.ok) throw new Error(`registry ${action}: ${await res.text()}`);
  await res.body?.cancel();
}

/** Adds tag `to` to `repo:from` in the registry. */
export async function retag(
  t: TestEnv,
  repo: string,
  from: string,
  to: string,
): Promise<void> {
  const q = new URLSearchParams({ repo, from, to });
  const res = await fetch(`${t.controlUrl}/registry/retag?${q}`, {
    method: "POST",
  });
  if (!res.ok) throw new Error(`retag: ${await res.text()}`);
  await res.body?.cancel();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
