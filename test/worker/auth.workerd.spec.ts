/**
 * Registry credentials on Workers: the `REGISTRY_AUTH` secret (a base64
 * Docker config) reaches the library as an explicit environment and opens a
 * registry that requires Basic auth; without it, or with a wrong password,
 * the answer is a 502 whose message holds no credential.
 */
import {
  createExecutionContext,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildWorkerApp, type Env } from "../../worker/index.ts";

const e = env as unknown as Env & Record<string, string>;
const host = e.TEST_BASIC_REGISTRY_HOST;
const auth = e.TEST_BASIC_REGISTRY_AUTH;

async function ask(
  registryAuth: string | undefined,
  path: string,
): Promise<Response> {
  const app = buildWorkerApp({
    ...e,
    PLUGIN_REGISTRY: `${host}/klaus-plugins`,
    PERSONALITY_REGISTRY: `${host}/klaus-personalities`,
    TOOLCHAIN_REGISTRY: `${host}/klaus-toolchains`,
    REGISTRY_AUTH: registryAuth,
  });
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`https://klaus.example${path}`),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("REGISTRY_AUTH in workerd", () => {
  it("opens a Basic-auth registry", async () => {
    const res = await ask(auth, "/v1/personalities/example-writer/deps");
    expect(res.status).toBe(200);
    const body = await res.json() as {
      toolchain: { ref: string };
      plugins: unknown[];
      warnings: string[];
    };
    expect(body.toolchain.ref).toBe(
      `${host}/klaus-toolchains/example-go:1.1.0`,
    );
    expect(body.plugins).toHaveLength(2);
    expect(body.warnings).toEqual([]);
  });

  it("without credentials the registry's refusal is a 502", async () => {
    const res = await ask(undefined, "/v1/plugins/example-git");
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "registry_unauthorized",
    );
  });

  it("a wrong password is a 502 that does not show it", async () => {
    const wrong = "wr0ng-password-value";
    const badAuth = btoa(
      JSON.stringify({ auths: { [host]: { auth: btoa(`klaus:${wrong}`) } } }),
    );
    const res = await ask(badAuth, "/v1/plugins/example-git/versions");
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("registry_unauthorized");
    for (const s of [wrong, badAuth, btoa(`klaus:${wrong}`)]) {
      expect(text).not.toContain(s);
    }
  });
});
