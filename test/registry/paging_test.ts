/**
 * Every page of every list: `Link` in the forms registries write, explicit
 * `n`, the registry's own origin only, bounded in entries, pages and time.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { TooLargeError } from "../../src/errors.ts";
import { nextLink } from "../../src/registry/link.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { TimeoutError } from "../../src/registry/timeout_error.ts";
import {
  type FaultyRegistryOptions,
  startFaultyRegistry,
} from "../harness/faulty_registry.ts";

const MT = "application/vnd.oci.image.manifest.v1+json";
const MANIFEST = new TextEncoder().encode('{"schemaVersion":2}');

const LINKS: [string, string | undefined][] = [
  ['</v2/a/tags/list?last=v2&n=2>; rel="next"', "/v2/a/tags/list?last=v2&n=2"],
  ["</v2/a/tags/list?last=v2>; rel=next", "/v2/a/tags/list?last=v2"],
  // Quay and the Workers registry: bare and absolute, rel unquoted.
  [
    "http://r.example/v2/a/tags/list?n=50&last=v0.54.0; rel=next",
    "http://r.example/v2/a/tags/list?n=50&last=v0.54.0",
  ],
  ['/v2/a/tags/list?last=b; rel="next"', "/v2/a/tags/list?last=b"],
  ['"/v2/a/tags/list?last=c"; rel=next', "/v2/a/tags/list?last=c"],
  [
    '<https://r/prev>; rel="prev", <https://r/next>; rel="next"',
    "https://r/next",
  ],
  ['</v2/x>; rel="prev"', undefined],
  ["</v2/only>", "/v2/only"],
  ["", undefined],
];

for (const [header, want] of LINKS) {
  Deno.test(`nextLink: ${JSON.stringify(header)}`, () => {
    strictEqual(nextLink(header), want);
  });
}

function store(extra: ConstructorParameters<typeof RegistryStore>[0] = {}) {
  return new RegistryStore({
    plainHttp: true,
    credentials: () => Promise.resolve(undefined),
    ...extra,
  });
}

async function withTags(
  count: number,
  options: FaultyRegistryOptions,
  fn: (
    reg: ReturnType<typeof startFaultyRegistry>,
    tags: string[],
  ) => Promise<void>,
) {
  const reg = startFaultyRegistry(options);
  try {
    const tags = Array.from({ length: count }, (_, i) => `v0.${i + 1}.0`);
    for (const t of tags) reg.addManifest("org/a", t, MANIFEST, MT);
    await fn(reg, tags.sort());
  } finally {
    await reg.close();
  }
}

for (const linkStyle of ["angle", "bare", "bare-absolute"] as const) {
  Deno.test(`listTags: 5-tag pages with a ${linkStyle} Link → every tag, n on every request`, async () => {
    await withTags(12, { maxPageSize: 5, linkStyle }, async (reg, tags) => {
      const r = await store().listTags({
        registry: reg.host,
        repository: "org/a",
      });
      deepStrictEqual(r.tags, tags);
      strictEqual(reg.requests.length, 3);
      for (const req of reg.requests) {
        ok(new URL(`http://x${req.path}`).searchParams.has("n"), req.path);
      }
    });
  });
}

Deno.test("listTags: a page that fails is an error, never a short list", async () => {
  await withTags(12, { maxPageSize: 5, linkStyle: "bare" }, async (reg) => {
    reg.fault((_req, url) =>
      url.searchParams.has("last")
        ? new Response('{"errors":[{"code":"DENIED","message":"nope"}]}', {
          status: 403,
        })
        : undefined
    );
    await rejects(
      store().listTags({ registry: reg.host, repository: "org/a" }),
      /response status code 403/,
    );
  });
});

Deno.test("listTags: more entries than the limit → TooLargeError", async () => {
  await withTags(30, { maxPageSize: 10 }, async (reg) => {
    await rejects(
      store({ list: { maxEntries: 25 } }).listTags({
        registry: reg.host,
        repository: "org/a",
      }),
      (e: unknown) =>
        e instanceof TooLargeError && /more than 25 entries/.test(e.message),
    );
  });
});

Deno.test("listRepositories: a catalog that never ends stops at the page budget", async () => {
  const reg = startFaultyRegistry();
  try {
    let i = 0;
    reg.fault((_req, url) =>
      url.pathname === "/v2/_catalog"
        ? new Response(JSON.stringify({ repositories: [`r${++i}`] }), {
          headers: { link: `</v2/_catalog?last=r${i}>; rel="next"` },
        })
        : undefined
    );
    await rejects(
      store({ list: { maxPages: 50 } }).listRepositories(reg.host),
      (e: unknown) =>
        e instanceof TooLargeError && /more than 50 pages/.test(e.message),
    );
    strictEqual(reg.requests.length, 50);
  } finally {
    await reg.close();
  }
});

Deno.test("listRepositories: a slow endless catalog stops at the time budget", async () => {
  const reg = startFaultyRegistry();
  try {
    let i = 0;
    reg.fault(async (_req, url) => {
      if (url.pathname !== "/v2/_catalog") return undefined;
      await new Promise((r) => setTimeout(r, 20));
      return new Response(JSON.stringify({ repositories: [`r${++i}`] }), {
        headers: { link: `</v2/_catalog?last=r${i}>; rel="next"` },
      });
    });
    const started = Date.now();
    await rejects(
      store({ list: { deadlineMs: 300 } }).listRepositories(reg.host),
      (e: unknown) =>
        e instanceof TimeoutError &&
        /not complete after 300 ms/.test(e.message),
    );
    ok(Date.now() - started < 2_000);
  } finally {
    await reg.close();
  }
});
