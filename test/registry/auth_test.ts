import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { UnauthorizedError, UnsafeUrlError } from "../../src/errors.ts";
import { AuthClient } from "../../src/registry/auth.ts";
import type { Credential } from "../../src/registry/docker_config.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { TokenCache } from "../../src/registry/token_cache.ts";
import { Transport } from "../../src/registry/transport.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import {
  type FakeAuth,
  type FaultyRegistry,
  startFaultyRegistry,
} from "../harness/faulty_registry.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 4 };
const PASSWORD = "s3cret-Pa55word";
const REFRESH = "refresh-token-XYZ";
const MT = "application/vnd.oci.image.manifest.v1+json";

function registry(auth: FakeAuth): FaultyRegistry {
  const reg = startFaultyRegistry({ auth });
  reg.addManifest("org/a", "v1", new TextEncoder().encode("{}"), MT);
  reg.addManifest("org/a", "v2", new TextEncoder().encode("[]"), MT);
  reg.addManifest("org/b", "v1", new TextEncoder().encode("{}"), MT);
  return reg;
}

function store(
  credential: Credential | undefined,
  extra: { fetch?: typeof fetch; tokenCache?: TokenCache } = {},
): RegistryStore {
  return new RegistryStore({
    plainHttp: true,
    retry: FAST,
    credentials: () => Promise.resolve(credential),
    ...extra,
  });
}

Deno.test("auth: Basic challenge is answered, then Basic is sent up front", async () => {
  const reg = registry({ kind: "basic", username: "u", password: PASSWORD });
  try {
    const c = countingFetch();
    const s = store({ username: "u", password: PASSWORD }, { fetch: c.fetch });
    const repo = { registry: reg.host, repository: "org/a" };
    deepStrictEqual((await s.listTags(repo)).tags, ["v1", "v2"]);
    strictEqual(c.count(), 2); // 401, then with credentials
    c.reset();
    deepStrictEqual((await s.listTags(repo)).tags, ["v1", "v2"]);
    strictEqual(c.count(), 1);
    ok(reg.requests.at(-1)!.headers.get("authorization")!.startsWith("Basic "));
  } finally {
    await reg.close();
  }
});

Deno.test("auth: wrong Basic password → UnauthorizedError without the password", async () => {
  const reg = registry({ kind: "basic", username: "u", password: "right" });
  try {
    const s = store({ username: "u", password: PASSWORD });
    await rejects(
      s.listTags({ registry: reg.host, repository: "org/a" }),
      (e: unknown) => {
        ok(e instanceof UnauthorizedError);
        ok(!e.message.includes(PASSWORD), e.message);
        ok(!e.message.includes(btoa(`u:${PASSWORD}`)), e.message);
        ok(e.message.includes("response status code 401"), e.message);
        return true;
      },
    );
  } finally {
    await reg.close();
  }
});

Deno.test("auth: anonymous on a Basic registry → UnauthorizedError", async () => {
  const reg = registry({ kind: "basic", username: "u", password: "p" });
  try {
    await rejects(
      store(undefined).listTags({ registry: reg.host, repository: "org/a" }),
      UnauthorizedError,
    );
  } finally {
    await reg.close();
  }
});

Deno.test("auth: Bearer token by GET with Basic credentials; warm requests cost one round trip", async () => {
  const reg = registry({
    kind: "bearer",
    username: "u",
    password: PASSWORD,
    expiresIn: 300,
  });
  try {
    const c = countingFetch();
    const s = store({ username: "u", password: PASSWORD }, { fetch: c.fetch });
    const ref = { registry: reg.host, repository: "org/a", tag: "v1" };
    await s.resolve(ref);
    deepStrictEqual(c.counts(), { "HEAD manifest": 2, "GET token": 1 });
    const t = reg.tokenRequests[0];
    strictEqual(t.method, "GET");
    strictEqual(t.params.get("service"), "faulty");
    deepStrictEqual(t.params.getAll("scope"), ["repository:org/a:pull"]);
    strictEqual(t.authorization, "Basic " + btoa(`u:${PASSWORD}`));
    c.reset();
    await s.resolve(ref);
    await s.fetchManifest(ref);
    await s.listTags(ref);
    deepStrictEqual(c.counts(), {
      "HEAD manifest": 1,
      "GET manifest": 1,
      "GET tags": 1,
    });
    // Another repository is another scope: one more token.
    c.reset();
    await s.resolve({ ...ref, repository: "org/b" });
    deepStrictEqual(c.counts(), { "HEAD manifest": 2, "GET token": 1 });
  } finally {
    await reg.close();
  }
});

Deno.test("auth: anonymous Bearer token (GET without Authorization)", async () => {
  const reg = registry({ kind: "bearer", anonymousPull: true });
  try {
    const s = store(undefined);
    const tags = await s.listTags({ registry: reg.host, repository: "org/a" });
    deepStrictEqual(tags.tags, ["v1", "v2"]);
    strictEqual(reg.tokenRequests.length, 1);
    strictEqual(reg.tokenRequests[0].authorization, null);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: anonymous token without rights → UnauthorizedError", async () => {
  const reg = registry({ kind: "bearer" });
  try {
    await rejects(
      store(undefined).listTags({ registry: reg.host, repository: "org/a" }),
      UnauthorizedError,
    );
  } finally {
    await reg.close();
  }
});

Deno.test("auth: identity token → POST refresh_token grant with client_id klaus-oci", async () => {
  const reg = registry({ kind: "bearer", refreshToken: REFRESH });
  try {
    const s = store({ refreshToken: REFRESH });
    await s.listTags({ registry: reg.host, repository: "org/a" });
    strictEqual(reg.tokenRequests.length, 1);
    const t = reg.tokenRequests[0];
    strictEqual(t.method, "POST");
    strictEqual(t.params.get("grant_type"), "refresh_token");
    strictEqual(t.params.get("refresh_token"), REFRESH);
    strictEqual(t.params.get("service"), "faulty");
    strictEqual(t.params.get("scope"), "repository:org/a:pull");
    strictEqual(t.params.get("client_id"), "klaus-oci");
    strictEqual(t.authorization, null);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: a refused refresh token → UnauthorizedError without the token", async () => {
  const reg = registry({ kind: "bearer", refreshToken: "other" });
  try {
    await rejects(
      store({ refreshToken: REFRESH }).listTags({
        registry: reg.host,
        repository: "org/a",
      }),
      (e: unknown) => {
        ok(e instanceof UnauthorizedError);
        ok(!e.message.includes(REFRESH), e.message);
        ok(e.message.startsWith(`POST "${reg.origin}/token`), e.message);
        return true;
      },
    );
  } finally {
    await reg.close();
  }
});

Deno.test("auth: token endpoint refusing the password → UnauthorizedError without it", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "right" });
  try {
    await rejects(
      store({ username: "u", password: PASSWORD }).listTags({
        registry: reg.host,
        repository: "org/a",
      }),
      (e: unknown) => {
        ok(e instanceof UnauthorizedError);
        ok(!e.message.includes(PASSWORD), e.message);
        ok(e.message.includes("incorrect username or password"), e.message);
        return true;
      },
    );
  } finally {
    await reg.close();
  }
});

Deno.test("auth: pushes ask for pull,push", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    const s = store({ username: "u", password: "p" });
    const bytes = new TextEncoder().encode("{}");
    await s.pushManifest(
      { registry: reg.host, repository: "org/new", tag: "v1" },
      bytes,
      MT,
    );
    deepStrictEqual(reg.tokenRequests.map((t) => t.params.getAll("scope")), [
      ["repository:org/new:pull,push"],
    ]);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: a pull,push token also serves the reads that follow", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    const c = countingFetch();
    const s = store({ username: "u", password: "p" }, { fetch: c.fetch });
    const ref = { registry: reg.host, repository: "org/new", tag: "v1" };
    await s.pushManifest(ref, new TextEncoder().encode("{}"), MT);
    c.reset();
    await s.resolve(ref);
    deepStrictEqual(c.counts(), { "HEAD manifest": 1 });
    strictEqual(reg.tokenRequests.length, 1);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: the catalog asks for registry:catalog:*", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    const s = store({ username: "u", password: "p" });
    deepStrictEqual(await s.listRepositories(reg.host), [
      `${reg.host}/org/a`,
      `${reg.host}/org/b`,
    ]);
    deepStrictEqual(reg.tokenRequests[0].params.getAll("scope"), [
      "registry:catalog:*",
    ]);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: an expired cached token is not sent; a new one is fetched", async () => {
  const reg = registry({
    kind: "bearer",
    username: "u",
    password: "p",
    expiresIn: 120,
  });
  try {
    let clock = 1_000_000;
    const tokenCache = new TokenCache({ now: () => clock });
    const c = countingFetch();
    const s = store({ username: "u", password: "p" }, {
      fetch: c.fetch,
      tokenCache,
    });
    const repo = { registry: reg.host, repository: "org/a" };
    await s.listTags(repo);
    clock += 100_000; // within 120 s minus skew
    c.reset();
    await s.listTags(repo);
    deepStrictEqual(c.counts(), { "GET tags": 1 });
    clock += 20_000; // 120 s passed
    c.reset();
    await s.listTags(repo);
    // Sent without a token (none is cached), challenged, new token.
    deepStrictEqual(c.counts(), { "GET tags": 2, "GET token": 1 });
    strictEqual(c.requests[0].status, 401);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: without expires_in a token lives 60 s", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    let clock = 0;
    const tokenCache = new TokenCache({ now: () => clock, skewMs: 0 });
    const s = store({ username: "u", password: "p" }, { tokenCache });
    const repo = { registry: reg.host, repository: "org/a" };
    await s.listTags(repo);
    clock = 59_000;
    await s.listTags(repo);
    strictEqual(reg.tokenRequests.length, 1);
    clock = 60_000;
    await s.listTags(repo);
    strictEqual(reg.tokenRequests.length, 2);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: a token the registry no longer accepts is replaced once", async () => {
  const reg = registry({
    kind: "bearer",
    username: "u",
    password: "p",
    expiresIn: 300,
  });
  try {
    const s = store({ username: "u", password: "p" });
    const repo = { registry: reg.host, repository: "org/a" };
    await s.listTags(repo);
    reg.revokeTokens();
    deepStrictEqual((await s.listTags(repo)).tags, ["v1", "v2"]);
    strictEqual(reg.tokenRequests.length, 2);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: concurrent cold requests share one token request", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    const s = store({ username: "u", password: "p" });
    const repo = { registry: reg.host, repository: "org/a" };
    await Promise.all(Array.from({ length: 5 }, () => s.listTags(repo)));
    strictEqual(reg.tokenRequests.length, 1);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: a bare-stream body is sent only after authentication", async () => {
  const reg = registry({ kind: "bearer", username: "u", password: "p" });
  try {
    const c = countingFetch();
    const auth = new AuthClient({
      transport: new Transport({ fetch: c.fetch, retry: FAST }),
      credentials: () => Promise.resolve({ username: "u", password: "p" }),
    });
    const body = new TextEncoder().encode("{}");
    const { response } = await auth.send({
      method: "PUT",
      url: new URL(`${reg.origin}/v2/org/s/manifests/v1`),
      headers: { "content-type": MT },
      body: new Blob([body]).stream(),
      scopes: ["repository:org/s:pull,push"],
    });
    strictEqual(response.status, 201);
    deepStrictEqual(
      c.requests.map((r) => `${r.method} ${r.kind} ${r.status}`),
      [
        "GET ping 401",
        "GET token 200",
        "PUT manifest 201",
      ],
    );
    // The challenge of /v2/ carries no scope; the token was asked for ours.
    deepStrictEqual(reg.tokenRequests[0].params.getAll("scope"), [
      "repository:org/s:pull,push",
    ]);
  } finally {
    await reg.close();
  }
});

Deno.test("auth: a plain-http token realm for an https registry is refused", async () => {
  const fakeFetch: typeof fetch = () =>
    Promise.resolve(
      new Response(null, {
        status: 401,
        headers: {
          "www-authenticate":
            'Bearer realm="http://auth.example/token",service="x"',
        },
      }),
    );
  let asked = false;
  const s = new RegistryStore({
    fetch: fakeFetch,
    retry: FAST,
    credentials: () => {
      asked = true;
      return Promise.resolve({ username: "u", password: PASSWORD });
    },
  });
  await rejects(
    s.listTags({ registry: "reg.example", repository: "a" }),
    (e: unknown) =>
      e instanceof UnsafeUrlError && /plain-http token realm/.test(e.message),
  );
  ok(asked);
});
