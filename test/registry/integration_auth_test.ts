/**
 * Credentials against a real registry (distribution 2.8): where they come
 * from (an env var holding a base64 Docker config, a `DOCKER_CONFIG` dir, an
 * identity token), what happens without or with wrong ones, and that Bearer
 * tokens are cached.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { RegistryStore } from "../../src/registry/mod.ts";
import { UnauthorizedError } from "../../src/errors.ts";
import type { Reference } from "../../src/ref/reference_type.ts";
import { missing } from "../harness/require.ts";
import {
  type RegistryHandle,
  type RegistryMode,
  startRegistry,
} from "../harness/registry.ts";
import { seedArtifact, type SeededManifest } from "../harness/seed.ts";

const ignore = missing("docker-registry", "skopeo", "htpasswd", "openssl");
const AUTH_ENV = "KLAUS_OCI_TEST_REGISTRY_AUTH";

async function withSeeded(
  mode: RegistryMode,
  fn: (reg: RegistryHandle, m: SeededManifest) => Promise<void>,
): Promise<void> {
  const reg = await startRegistry({ mode });
  try {
    const m = await seedArtifact(reg, "plugins/a", ["v1.0.0"]);
    await fn(reg, m);
  } finally {
    await reg.stop();
  }
}

function tagRef(reg: RegistryHandle): Reference {
  return { registry: reg.host, repository: "plugins/a", tag: "v1.0.0" };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "klaus-oci-auth-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts an UnauthorizedError whose message leaks none of `secrets`. */
async function rejectsUnauthorized(
  p: Promise<unknown>,
  secrets: string[],
): Promise<void> {
  await rejects(p, (e: unknown) => {
    ok(e instanceof UnauthorizedError, `expected UnauthorizedError, got ${e}`);
    for (const s of secrets) {
      ok(!e.message.includes(s), `message leaks a secret: ${e.message}`);
      ok(
        !e.message.includes(btoa(s)),
        `message leaks a secret (base64): ${e.message}`,
      );
    }
    return true;
  });
}

for (const mode of ["basic", "token"] as const) {
  Deno.test({
    name: `registry auth (${mode}): credentials from registryAuthEnv`,
    ignore,
    fn: () =>
      withSeeded(mode, async (reg, m) => {
        const store = new RegistryStore({
          plainHttp: true,
          registryAuthEnv: AUTH_ENV,
          env: { [AUTH_ENV]: reg.dockerConfigBase64() },
        });
        equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
      }),
  });

  Deno.test({
    name:
      `registry auth (${mode}): credentials from $DOCKER_CONFIG/config.json`,
    ignore,
    fn: () =>
      withSeeded(mode, (reg, m) =>
        withTempDir(async (dir) => {
          await reg.writeDockerConfig(dir);
          const store = new RegistryStore({
            plainHttp: true,
            env: { DOCKER_CONFIG: dir },
          });
          equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
          const tags = await store.listTags({
            registry: reg.host,
            repository: "plugins/a",
          });
          equal(tags.tags.join(), "v1.0.0");
        })),
  });

  Deno.test({
    name: `registry auth (${mode}): anonymous access is UnauthorizedError`,
    ignore,
    fn: () =>
      withSeeded(mode, async (reg) => {
        const store = new RegistryStore({ plainHttp: true, env: {} });
        await rejectsUnauthorized(store.resolve(tagRef(reg)), []);
        await rejectsUnauthorized(
          store.listTags({ registry: reg.host, repository: "plugins/a" }),
          [],
        );
      }),
  });

  Deno.test({
    name:
      `registry auth (${mode}): a wrong password is UnauthorizedError without the password`,
    ignore,
    fn: () =>
      withSeeded(mode, async (reg) => {
        const wrong = `wrong-${crypto.randomUUID()}`;
        const store = new RegistryStore({
          plainHttp: true,
          registryAuthEnv: AUTH_ENV,
          env: { [AUTH_ENV]: reg.dockerConfigBase64({ password: wrong }) },
        });
        await rejectsUnauthorized(store.resolve(tagRef(reg)), [
          wrong,
          reg.password,
          `${reg.username}:${wrong}`,
        ]);
        await rejectsUnauthorized(
          store.listRepositories(reg.host),
          [wrong, `${reg.username}:${wrong}`],
        );
      }),
  });
}

Deno.test({
  name: "registry auth (open): anonymous access works without any credentials",
  ignore,
  fn: () =>
    withSeeded("open", async (reg, m) => {
      const store = new RegistryStore({ plainHttp: true, env: {} });
      equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
      equal(
        (await store.listRepositories(reg.host)).join(),
        `${reg.host}/plugins/a`,
      );
    }),
});

Deno.test({
  name: "registry auth (token): a Bearer token is fetched once and reused",
  ignore,
  fn: () =>
    withSeeded("token", async (reg, m) => {
      const store = new RegistryStore({
        plainHttp: true,
        registryAuthEnv: AUTH_ENV,
        env: { [AUTH_ENV]: reg.dockerConfigBase64() },
      });
      const before = reg.tokenRequests;
      equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
      equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
      equal(
        reg.tokenRequests - before,
        1,
        "two resolves of one repository, one token",
      );
      const log = reg.tokenLog.slice(before);
      equal(log[0].subject, reg.username);
      equal(log[0].service, reg.service);
      ok(log[0].scopes.some((s) => s.includes("repository:plugins/a:pull")));
    }),
});

Deno.test({
  name:
    "registry auth (token): an identity token in the Docker config is exchanged",
  ignore,
  fn: () =>
    withSeeded("token", (reg, m) =>
      withTempDir(async (dir) => {
        await reg.writeDockerConfig(dir, { identityToken: true });
        const store = new RegistryStore({
          plainHttp: true,
          env: { DOCKER_CONFIG: dir },
        });
        const before = reg.tokenRequests;
        equal((await store.resolve(tagRef(reg))).descriptor.digest, m.digest);
        const log = reg.tokenLog.slice(before);
        ok(
          log.some((r) => r.grantType === "refresh_token" && r.status === 200),
          `no refresh_token grant in ${JSON.stringify(log)}`,
        );
      })),
});
