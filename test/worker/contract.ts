/**
 * The HTTP contract of the edge API (README, "Edge API") as a list of
 * checks, shared by the workerd suite (vitest, inside the Workers runtime)
 * and the Deno entry's tests, so both runtimes are held to the same
 * answers. Each check talks to the app only through `request`; the
 * registry holds `examples/` and the fixtures pushed by `seed_registry.ts`.
 *
 * @module
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";

/** What the checks need to know about the deployment under test. */
export interface ContractTarget {
  /** Sends a request to the app (`path` starts with `/`). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The configured bases. */
  bases: { plugin: string; personality: string; toolchain: string };
  /** `kind/name:tag` → manifest digest of what was seeded. */
  pushed: Record<string, string>;
  /** Strings that must never appear in a response (credentials). */
  secrets?: string[];
}

/** One named check. */
export interface ContractCase {
  /** Sentence-style name. */
  name: string;
  /** Runs the check; throws on failure. */
  fn(): Promise<void>;
}

const CACHE_STATES = ["fresh", "stale", "miss"];

/** Hostile or malformed `{name}` segments (raw, as sent on the wire). */
export const HOSTILE_NAMES: readonly string[] = [
  "..%2F..%2Fetc%2Fpasswd",
  "..%2Fexample-git",
  "Example-Git",
  "EXAMPLE",
  "example%20git",
  "%20example-git",
  "example-git%3Fversion%3Dv0.1.0",
  "example-git%23frag",
  "example-git%3Av0.1.0",
  "example-git%40sha256%3Aabc",
  "evil.example%2Fx",
  "a%2Fb",
  "%00",
  "-leading",
  "trailing-",
  "a..b",
  "a%5Cb",
  "%E2%80%AEexample",
  "x".repeat(256),
];

/** Hostile `version` query strings (raw). */
export const HOSTILE_VERSIONS: readonly string[] = [
  "version=..%2F..%2Fx",
  "version=v1%2F..",
  "version=v0.1.0&version=v0.2.0",
  "version=sha256%3Aabc",
  "version=.hidden",
  "version=%20v0.1.0",
  "version=v0.1.0%40sha256%3A" + "0".repeat(64),
  "version=" + "v".repeat(129),
  "version=http%3A%2F%2Fevil.example%2F",
];

async function json(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

function cachingHeaders(res: Response, what: string): void {
  const etag = res.headers.get("etag");
  ok(etag && /^"[^"]+"$/.test(etag), `${what}: strong ETag, got ${etag}`);
  const cc = res.headers.get("cache-control") ?? "";
  match(cc, /max-age=\d+/, `${what}: Cache-Control ${cc}`);
  match(cc, /stale-while-revalidate=\d+/, `${what}: Cache-Control ${cc}`);
  match(cc, /stale-if-error=\d+/, `${what}: Cache-Control ${cc}`);
  const state = res.headers.get("x-klaus-cache");
  ok(
    state !== null && CACHE_STATES.includes(state),
    `${what}: X-Klaus-Cache ${state}`,
  );
}

async function expectError(
  res: Response,
  status: number,
  code: string | RegExp,
  what: string,
): Promise<{ code: string; message: string }> {
  const body = await json(res) as {
    error?: { code?: unknown; message?: unknown };
  };
  equal(
    res.status,
    status,
    `${what}: status ${res.status} ${JSON.stringify(body)}`,
  );
  ok(body.error, `${what}: error body ${JSON.stringify(body)}`);
  equal(typeof body.error.message, "string");
  deepStrictEqual(Object.keys(body).sort(), ["error"]);
  deepStrictEqual(Object.keys(body.error).sort(), ["code", "message"]);
  if (typeof code === "string") equal(body.error.code, code, what);
  else match(String(body.error.code), code, what);
  equal(
    res.headers.get("cache-control"),
    "no-store",
    `${what}: errors are not cached`,
  );
  match(res.headers.get("content-type") ?? "", /application\/json/);
  return body.error as { code: string; message: string };
}

/**
 * The checks.
 *
 * @example
 * ```ts ignore
 * for (const c of contractCases(target)) await c.fn();
 * ```
 */
export function contractCases(t: ContractTarget): ContractCase[] {
  const get = (path: string, init?: RequestInit) => t.request(path, init);
  const d = (key: string) => {
    const v = t.pushed[key];
    ok(v, `seeded ${key}`);
    return v;
  };
  const noSecrets = (text: string, what: string) => {
    for (const s of t.secrets ?? []) {
      ok(!text.includes(s), `${what} leaks a credential`);
    }
  };
  const cases: ContractCase[] = [];
  const add = (name: string, fn: () => Promise<void>) =>
    cases.push({ name, fn });

  add("GET /healthz answers ok", async () => {
    const res = await get("/healthz");
    equal(res.status, 200);
    deepStrictEqual(await json(res), { ok: true });
  });

  add(
    "GET /v1/plugins lists every plugin with its latest semver version",
    async () => {
      const res = await get("/v1/plugins");
      equal(res.status, 200);
      cachingHeaders(res, "list");
      match(res.headers.get("content-type") ?? "", /application\/json/);
      const body = await json(res) as { items: Record<string, string>[] };
      deepStrictEqual(Object.keys(body), ["items"]);
      const byName = Object.fromEntries(body.items.map((i) => [i.name, i]));
      deepStrictEqual(byName["example-git"], {
        name: "example-git",
        version: "v0.2.0",
        repository: `${t.bases.plugin}/example-git`,
        reference: `${t.bases.plugin}/example-git:v0.2.0`,
      });
      equal(byName["example-kubernetes"]?.version, "v0.2.0");
      equal(byName["example-docs"]?.version, "v1.0.0");
      // "not-semver" is ignored when choosing the latest version.
      equal(byName["markup-test"]?.version, "v0.0.1");
    },
  );

  add("GET /v1/personalities and /v1/toolchains list theirs", async () => {
    const p = await json(await get("/v1/personalities")) as {
      items: { name: string }[];
    };
    deepStrictEqual(
      p.items.map((i) => i.name).sort(),
      ["example-sre", "example-writer", "outsider"],
    );
    const tc = await json(await get("/v1/toolchains")) as {
      items: { name: string; version: string }[];
    };
    deepStrictEqual(tc.items.map((i) => [i.name, i.version]), [[
      "example-go",
      "1.1.0",
    ]]);
  });

  add(
    "describe without a version gives the latest, with the digest as ETag",
    async () => {
      const res = await get("/v1/plugins/example-git");
      equal(res.status, 200);
      cachingHeaders(res, "describe");
      const digest = d("plugin/example-git:v0.2.0");
      equal(res.headers.get("etag"), `"${digest}"`);
      deepStrictEqual(await json(res), {
        ref: `${t.bases.plugin}/example-git:v0.2.0`,
        tag: "v0.2.0",
        digest,
        plugin: {
          name: "example-git",
          version: "v0.2.0",
          description:
            "Git workflow helpers: commit messages, pull requests and a change reviewer",
          author: {
            name: "Klaus OCI examples",
            url: "https://github.com/giantswarm/klaus-oci",
          },
          homepage: "https://github.com/giantswarm/klaus-oci",
          repository: "https://github.com/giantswarm/klaus-oci",
          license: "Apache-2.0",
          keywords: ["git", "workflow", "example"],
          skills: ["conventional-commits"],
          commands: ["commit", "pr"],
          agents: ["change-reviewer"],
        },
      });
    },
  );

  add(
    "without a verification policy describe says off and has no verification member",
    async () => {
      const res = await get("/v1/plugins/example-git?version=v0.1.0");
      equal(res.status, 200);
      equal(res.headers.get("x-klaus-verification"), "off");
      const body = await json(res) as Record<string, unknown>;
      ok(!("verification" in body), Object.keys(body).join());
    },
  );

  add("describe ?version= takes a tag or a digest", async () => {
    const byTag = await json(
      await get("/v1/plugins/example-git?version=v0.1.0"),
    ) as Record<
      string,
      unknown
    >;
    equal(byTag.tag, "v0.1.0");
    equal(byTag.ref, `${t.bases.plugin}/example-git:v0.1.0`);
    const digest = d("plugin/example-kubernetes:v0.2.0");
    const res = await get(`/v1/plugins/example-kubernetes?version=${digest}`);
    equal(res.status, 200);
    equal(res.headers.get("etag"), `"${digest}"`);
    const byDigest = await json(res) as {
      tag: string;
      digest: string;
      ref: string;
    };
    equal(byDigest.tag, "");
    equal(byDigest.digest, digest);
    equal(byDigest.ref, `${t.bases.plugin}/example-kubernetes@${digest}`);
  });

  add("describe reports every kind of plugin component", async () => {
    const k = await json(await get("/v1/plugins/example-kubernetes")) as {
      plugin: Record<string, unknown>;
    };
    deepStrictEqual(k.plugin.skills, ["helm-releases", "kubectl-debugging"]);
    deepStrictEqual(k.plugin.commands, ["triage"]);
    equal(k.plugin.hasHooks, true);
    deepStrictEqual(k.plugin.mcpServers, ["kubernetes"]);
    const docs = await json(await get("/v1/plugins/example-docs")) as {
      plugin: Record<string, unknown>;
    };
    deepStrictEqual(docs.plugin.lspServers, ["marksman"]);
  });

  add("describe a toolchain reads the image index annotations", async () => {
    const res = await get("/v1/toolchains/example-go");
    equal(res.status, 200);
    const digest = d("toolchain/example-go:1.1.0");
    equal(res.headers.get("etag"), `"${digest}"`);
    deepStrictEqual(await json(res), {
      ref: `${t.bases.toolchain}/example-go:1.1.0`,
      tag: "1.1.0",
      digest,
      toolchain: {
        name: "example-go",
        version: "1.1.0",
        description: "Go toolchain for Klaus (example)",
        author: {
          name: "Klaus OCI examples",
          url: "https://github.com/giantswarm/klaus-oci",
        },
        repository: "https://github.com/giantswarm/klaus-oci",
        license: "Apache-2.0",
        keywords: ["go", "toolchain", "example"],
      },
    });
  });

  add("describe a personality gives its declared dependencies", async () => {
    const res = await get("/v1/personalities/example-sre");
    equal(res.status, 200);
    equal(res.headers.get("etag"), `"${d("personality/example-sre:v1.0.0")}"`);
    const body = await json(res) as { personality: Record<string, unknown> };
    equal(body.personality.name, "example-sre");
    deepStrictEqual(body.personality.toolchain, {
      repository: "example-go",
      tag: "1.1.0",
    });
    deepStrictEqual(body.personality.plugins, [
      { repository: "example-kubernetes", tag: "v0.2.0" },
      { repository: "example-git" },
    ]);
  });

  add("versions lists semver tags, highest first", async () => {
    const res = await get("/v1/plugins/example-git/versions");
    equal(res.status, 200);
    cachingHeaders(res, "versions");
    deepStrictEqual(await json(res), { versions: ["v0.2.0", "v0.1.0"] });
    deepStrictEqual(await json(await get("/v1/plugins/markup-test/versions")), {
      versions: ["v0.0.1"],
    });
    deepStrictEqual(
      await json(await get("/v1/toolchains/example-go/versions")),
      {
        versions: ["1.1.0", "1.0.0"],
      },
    );
  });

  add("resolve pins a name to a tag or digest reference", async () => {
    const res = await get("/v1/plugins/example-git/resolve");
    equal(res.status, 200);
    cachingHeaders(res, "resolve");
    deepStrictEqual(await json(res), {
      ref: `${t.bases.plugin}/example-git:v0.2.0`,
    });
    deepStrictEqual(
      await json(
        await get("/v1/personalities/example-sre/resolve?version=v1.0.0"),
      ),
      {
        ref: `${t.bases.personality}/example-sre:v1.0.0`,
      },
    );
    const digest = d("toolchain/example-go:1.0.0");
    deepStrictEqual(
      await json(
        await get(`/v1/toolchains/example-go/resolve?version=${digest}`),
      ),
      {
        ref: `${t.bases.toolchain}/example-go@${digest}`,
      },
    );
  });

  add("deps resolves a personality's toolchain and plugins", async () => {
    const res = await get("/v1/personalities/example-sre/deps");
    equal(res.status, 200);
    cachingHeaders(res, "deps");
    const body = await json(res) as {
      toolchain: { ref: string; digest: string; toolchain: { name: string } };
      plugins: { ref: string; digest: string }[];
      warnings: string[];
    };
    equal(body.toolchain.ref, `${t.bases.toolchain}/example-go:1.1.0`);
    equal(body.toolchain.digest, d("toolchain/example-go:1.1.0"));
    equal(body.toolchain.toolchain.name, "example-go");
    deepStrictEqual(body.plugins.map((p) => [p.ref, p.digest]), [
      [
        `${t.bases.plugin}/example-kubernetes:v0.2.0`,
        d("plugin/example-kubernetes:v0.2.0"),
      ],
      [`${t.bases.plugin}/example-git:v0.2.0`, d("plugin/example-git:v0.2.0")],
    ]);
    deepStrictEqual(body.warnings, []);
  });

  add(
    "deps outside the configured bases are not contacted but reported",
    async () => {
      const res = await get("/v1/personalities/outsider/deps");
      equal(res.status, 200);
      const body = await json(res) as {
        toolchain?: unknown;
        plugins: { ref: string }[];
        warnings: string[];
      };
      equal(body.toolchain, undefined);
      deepStrictEqual(body.plugins.map((p) => p.ref), [
        `${t.bases.plugin}/example-git:v0.2.0`,
      ]);
      equal(body.warnings.length, 2);
      match(
        body.warnings[0],
        /^toolchain 127\.0\.0\.2:9\/elsewhere\/toolchain:1\.0\.0: .*not contacted/,
      );
      match(
        body.warnings[1],
        /^plugin evil\.example\/klaus-plugins\/exfiltrate:v1\.0\.0: .*not contacted/,
      );
    },
  );

  add(
    "If-None-Match with the ETag answers 304 with the caching headers",
    async () => {
      const first = await get("/v1/plugins/example-docs");
      const etag = first.headers.get("etag")!;
      await first.body?.cancel();
      for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        const res = await get("/v1/plugins/example-docs", {
          headers: { "If-None-Match": inm },
        });
        equal(res.status, 304, `If-None-Match: ${inm}`);
        equal(res.headers.get("etag"), etag);
        ok(res.headers.get("cache-control"));
        ok(CACHE_STATES.includes(res.headers.get("x-klaus-cache") ?? ""));
        equal(await res.text(), "");
      }
      const miss = await get("/v1/plugins/example-docs", {
        headers: { "If-None-Match": '"nope"' },
      });
      equal(miss.status, 200);
      await miss.body?.cancel();
      const list = await get("/v1/plugins");
      const listTag = list.headers.get("etag")!;
      await list.body?.cancel();
      const again = await get("/v1/plugins", {
        headers: { "If-None-Match": listTag },
      });
      equal(again.status, 304);
      await again.body?.cancel();
    },
  );

  add(
    "unknown artifacts, versions and routes are 404 JSON errors",
    async () => {
      await expectError(
        await get("/v1/plugins/does-not-exist"),
        404,
        "not_found",
        "name",
      );
      await expectError(
        await get("/v1/plugins/does-not-exist/versions"),
        404,
        "not_found",
        "versions",
      );
      await expectError(
        await get("/v1/plugins/does-not-exist/resolve"),
        404,
        "not_found",
        "resolve",
      );
      await expectError(
        await get("/v1/personalities/does-not-exist/deps"),
        404,
        "not_found",
        "deps",
      );
      await expectError(
        await get("/v1/plugins/example-git?version=v9.9.9"),
        404,
        "not_found",
        "tag",
      );
      await expectError(
        await get(`/v1/plugins/example-git?version=sha256:${"0".repeat(64)}`),
        404,
        "not_found",
        "digest",
      );
      await expectError(
        await get("/v1/plugins/example-git/deps"),
        404,
        "not_found",
        "deps route",
      );
      await expectError(await get("/v1/widgets"), 404, "not_found", "kind");
      await expectError(
        await get("/v1/plugins/a/b/c"),
        404,
        "not_found",
        "depth",
      );
    },
  );

  add("hostile names are 400 on every route", async () => {
    const routes = [
      (n: string) => `/v1/plugins/${n}`,
      (n: string) => `/v1/plugins/${n}/versions`,
      (n: string) => `/v1/toolchains/${n}/resolve`,
      (n: string) => `/v1/personalities/${n}/deps`,
    ];
    for (const name of HOSTILE_NAMES) {
      for (const route of routes) {
        const path = route(name);
        const res = await get(path);
        // A `..` segment may be normalised away by the URL parser first,
        // leaving a path no route has: that is a 404, never a fetch.
        if (res.status === 404) {
          await expectError(res, 404, "not_found", path);
          continue;
        }
        const e = await expectError(res, 400, "invalid_name", path);
        noSecrets(e.message, path);
      }
    }
  });

  add("hostile versions are 400", async () => {
    for (const q of HOSTILE_VERSIONS) {
      for (
        const base of [
          "/v1/plugins/example-git",
          "/v1/plugins/example-git/resolve",
          "/v1/personalities/example-sre/deps",
        ]
      ) {
        await expectError(
          await get(`${base}?${q}`),
          400,
          "invalid_version",
          `${base}?${q}`,
        );
      }
    }
  });

  add("unknown query parameters change nothing", async () => {
    const plain = await json(await get("/v1/plugins/example-git")) as Record<
      string,
      unknown
    >;
    for (
      const q of [
        "registry=evil.example",
        "base=evil.example%2Fplugins",
        "ref=evil.example%2Fx%3Av1",
        "url=http%3A%2F%2Fevil.example%2F",
      ]
    ) {
      const res = await get(`/v1/plugins/example-git?${q}`);
      equal(res.status, 200, q);
      deepStrictEqual(await json(res), plain, q);
    }
  });

  add("errors carry no credentials", async () => {
    for (
      const path of [
        "/v1/plugins/does-not-exist",
        "/v1/plugins/BAD",
        "/v1/personalities/outsider/deps",
      ]
    ) {
      const res = await get(path);
      noSecrets(await res.text(), path);
    }
  });

  add("/openapi.json is an OpenAPI 3.1 document of these routes", async () => {
    const res = await get("/openapi.json");
    equal(res.status, 200);
    const doc = await json(res) as {
      openapi: string;
      paths: Record<
        string,
        {
          get: {
            responses: Record<string, unknown>;
            parameters?: { name: string }[];
          };
        }
      >;
      components: { schemas: Record<string, unknown> };
    };
    equal(doc.openapi, "3.1.0");
    const want = ["/healthz", "/openapi.json", "/"];
    for (const k of ["plugins", "personalities", "toolchains"]) {
      want.push(
        `/v1/${k}`,
        `/v1/${k}/{name}`,
        `/v1/${k}/{name}/versions`,
        `/v1/${k}/{name}/resolve`,
      );
      want.push(`/${k}/{name}`);
    }
    want.push("/v1/personalities/{name}/deps");
    deepStrictEqual(Object.keys(doc.paths).sort(), want.sort());
    for (const [path, item] of Object.entries(doc.paths)) {
      ok(item.get.responses["200"], `${path} documents 200`);
      if (path.includes("{name}")) {
        ok(item.get.responses["400"], `${path} documents 400`);
        ok(
          item.get.parameters?.some((p) => p.name === "name"),
          `${path} has {name}`,
        );
      }
      if (path.startsWith("/v1/")) {
        for (const s of ["304", "404", "502", "504"]) {
          ok(item.get.responses[s], `${path} ${s}`);
        }
      }
    }
    // Describes document their verification (member and header).
    for (const T of ["Plugin", "Personality", "Toolchain"]) {
      const d = doc.components.schemas[`Described${T}`] as {
        properties: Record<string, unknown>;
      };
      deepStrictEqual(d.properties.verification, {
        $ref: "#/components/schemas/Verification",
      });
    }
    const describe = doc.paths["/v1/plugins/{name}"].get.responses["200"] as {
      headers: Record<string, { schema: { enum?: string[] } }>;
    };
    deepStrictEqual(describe.headers["X-Klaus-Verification"].schema.enum, [
      "verified",
      "unsigned",
      "failed",
      "error",
      "off",
    ]);
    // Every $ref resolves.
    const text = JSON.stringify(doc);
    for (
      const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)
    ) {
      ok(doc.components.schemas[m[1]], `schema ${m[1]}`);
    }
  });

  add("GET / is the HTML catalog of every kind", async () => {
    const res = await get("/");
    equal(res.status, 200);
    match(res.headers.get("content-type") ?? "", /text\/html/);
    ok(CACHE_STATES.includes(res.headers.get("x-klaus-cache") ?? ""));
    const page = await res.text();
    const links = [
      "/plugins/example-git",
      "/plugins/example-kubernetes",
      "/plugins/example-docs",
      "/personalities/example-sre",
      "/personalities/example-writer",
      "/toolchains/example-go",
    ];
    for (const href of links) ok(page.includes(`href="${href}"`), href);
    ok(page.includes("Go toolchain for Klaus (example)"), "descriptions shown");
    match(page, /<meta name="viewport"/);
  });

  add("detail pages escape registry-supplied strings", async () => {
    const res = await get("/plugins/markup-test");
    equal(res.status, 200);
    const page = await res.text();
    ok(
      page.includes(
        "Shows &lt;b&gt;bold&lt;/b&gt; markup &amp; &quot;quotes&quot;",
      ),
      "escaped",
    );
    ok(!page.includes("<b>bold</b>"), "no live <b>");
    ok(!/<script/i.test(page), "no script element");
    ok(!page.includes("<img"), "no img element");
    ok(!page.includes("<i>Mallory"), "no live <i>");
    ok(!/href="javascript:/i.test(page), "no javascript: link");
  });

  add(
    "detail pages show versions, digest, components and resolved deps",
    async () => {
      const plugin = await (await get("/plugins/example-git?version=v0.1.0"))
        .text();
      ok(plugin.includes(d("plugin/example-git:v0.1.0")));
      ok(plugin.includes('href="/plugins/example-git?version=v0.2.0"'));
      ok(
        plugin.includes("conventional-commits") &&
          plugin.includes("change-reviewer"),
      );
      const sre = await (await get("/personalities/example-sre")).text();
      ok(
        sre.includes('href="/toolchains/example-go?version=1.1.0"'),
        "toolchain link",
      );
      ok(
        sre.includes('href="/plugins/example-kubernetes?version=v0.2.0"'),
        "plugin link",
      );
      ok(sre.includes("Resolved dependencies"));
      const tc = await get("/toolchains/example-go");
      equal(tc.status, 200);
      ok((await tc.text()).includes(d("toolchain/example-go:1.1.0")));
    },
  );

  add("detail pages answer 400 and 404 as HTML", async () => {
    const bad = await get("/plugins/Not-Valid");
    equal(bad.status, 400);
    match(bad.headers.get("content-type") ?? "", /text\/html/);
    await bad.body?.cancel();
    const missing = await get("/plugins/does-not-exist");
    equal(missing.status, 404);
    match(await missing.text(), /Error 404/);
  });

  return cases;
}
