import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { UnsupportedError } from "../../src/errors.ts";
import {
  compareBytes,
  filterCatalogPage,
  splitCatalogBase,
} from "../../src/registry/catalog.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { startFaultyRegistry } from "../harness/faulty_registry.ts";

// The worked example of the Go module's TestListRepositories.
const REPOS = [
  "giantswarm/aaa",
  "giantswarm/klaus-plugins-extra/foo",
  "giantswarm/klaus-plugins/gs-base",
  "giantswarm/klaus-plugins/gs-platform",
  "giantswarm/zzz",
];

Deno.test("splitCatalogBase: host and slash-terminated prefix", () => {
  const cases: [string, string, string][] = [
    ["r.example", "r.example", ""],
    ["r.example/", "r.example", ""],
    ["r.example:5000/org", "r.example:5000", "org/"],
    ["r.example/org/plugins", "r.example", "org/plugins/"],
    ["r.example/org/plugins/", "r.example", "org/plugins/"],
  ];
  for (const [base, host, prefix] of cases) {
    deepStrictEqual(splitCatalogBase(base), { host, prefix }, base);
  }
});

Deno.test("filterCatalogPage: keeps the prefix, skips before, stops after", () => {
  deepStrictEqual(filterCatalogPage(REPOS, "h", "giantswarm/klaus-plugins/"), {
    keep: [
      "h/giantswarm/klaus-plugins/gs-base",
      "h/giantswarm/klaus-plugins/gs-platform",
    ],
    stop: true,
  });
  deepStrictEqual(filterCatalogPage(REPOS, "h", ""), {
    keep: REPOS.map((r) => `h/${r}`),
    stop: false,
  });
});

Deno.test("compareBytes: code point (UTF-8) order", () => {
  strictEqual(Math.sign(compareBytes("a-b", "a/b")), -1);
  strictEqual(compareBytes("abc", "abc"), 0);
  strictEqual(Math.sign(compareBytes("ab", "abc")), -1);
  // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16 code units.
  strictEqual(Math.sign(compareBytes("\uff5e", "\u{1f600}")), -1);
});

const CASES: { base: string; want: string[] }[] = [
  {
    base: "giantswarm/klaus-plugins",
    want: [
      "giantswarm/klaus-plugins/gs-base",
      "giantswarm/klaus-plugins/gs-platform",
    ],
  },
  // Trailing slash: same answer (the Go cache path lost it).
  {
    base: "giantswarm/klaus-plugins/",
    want: [
      "giantswarm/klaus-plugins/gs-base",
      "giantswarm/klaus-plugins/gs-platform",
    ],
  },
  // The sibling whose name extends the prefix is its own base.
  {
    base: "giantswarm/klaus-plugins-extra",
    want: ["giantswarm/klaus-plugins-extra/foo"],
  },
  { base: "giantswarm/nonexistent", want: [] },
  { base: "", want: REPOS },
];

for (const { base, want } of CASES) {
  Deno.test(`listRepositories: "${base || "<bare host>"}" (Go listRepositories)`, async () => {
    const reg = startFaultyRegistry();
    try {
      for (const r of REPOS) reg.repositories.add(r);
      // A repository named exactly like the prefix is not below it.
      reg.repositories.add("giantswarm/klaus-plugins");
      const store = new RegistryStore({
        plainHttp: true,
        credentials: () => Promise.resolve(undefined),
      });
      const full = base ? `${reg.host}/${base}` : reg.host;
      const got = await store.listRepositories(full);
      const expected = base === ""
        ? [...want, "giantswarm/klaus-plugins"].sort()
        : want;
      deepStrictEqual(got, expected.map((r) => `${reg.host}/${r}`));
      const first = new URL(`http://x${reg.requests[0].path}`);
      strictEqual(
        first.searchParams.get("last"),
        base ? base.replace(/\/$/, "") : null,
      );
      // Every page names its size (some registries' defaults are tiny).
      strictEqual(first.searchParams.get("n"), "100");
    } finally {
      await reg.close();
    }
  });
}

Deno.test("listRepositories: follows Link pages and stops early past the prefix", async () => {
  const reg = startFaultyRegistry({ catalogPageSize: 1 });
  try {
    for (const r of REPOS) reg.repositories.add(r);
    for (let i = 0; i < 20; i++) reg.repositories.add(`zzz/${i}`);
    const c = countingFetch();
    const store = new RegistryStore({
      plainHttp: true,
      fetch: c.fetch,
      credentials: () => Promise.resolve(undefined),
    });
    const got = await store.listRepositories(
      `${reg.host}/giantswarm/klaus-plugins`,
    );
    deepStrictEqual(got, [
      `${reg.host}/giantswarm/klaus-plugins/gs-base`,
      `${reg.host}/giantswarm/klaus-plugins/gs-platform`,
    ]);
    // last=giantswarm/klaus-plugins skips aaa; pages: the sibling
    // klaus-plugins-extra/foo (skipped), gs-base, gs-platform, giantswarm/zzz
    // (stop) — the 20 zzz/* repositories are never fetched.
    strictEqual(c.count({ kind: "catalog" }), 4);
  } finally {
    await reg.close();
  }
});

Deno.test("listRepositories: the whole catalog across pages for a bare host", async () => {
  const reg = startFaultyRegistry({ catalogPageSize: 2 });
  try {
    for (const r of REPOS) reg.repositories.add(r);
    const store = new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
    });
    deepStrictEqual(
      await store.listRepositories(reg.host),
      REPOS.map((r) => `${reg.host}/${r}`),
    );
    strictEqual(reg.requests.length, 3);
  } finally {
    await reg.close();
  }
});

Deno.test("listRepositories: a registry without a catalog API → UnsupportedError naming versions", async () => {
  const reg = startFaultyRegistry({ noCatalog: true });
  try {
    const store = new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
    });
    await rejects(
      store.listRepositories(`${reg.host}/org/plugins`),
      (e: unknown) =>
        e instanceof UnsupportedError &&
        e.message.includes("does not support listing repositories") &&
        e.message.includes("versions <repository>"),
    );
  } finally {
    await reg.close();
  }
});

Deno.test("listRepositories: a Link on the last page, absolute and without the port, ends on the empty page", async () => {
  const reg = startFaultyRegistry({
    catalogPageSize: 2,
    linkStyle: "bare-absolute",
    catalogLinkOnLastPage: true,
  });
  try {
    for (const r of REPOS) reg.repositories.add(r);
    const store = new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
    });
    deepStrictEqual(
      await store.listRepositories(reg.host),
      REPOS.map((r) => `${reg.host}/${r}`),
    );
    // 5 repositories in pages of 2, then the empty page the last Link names.
    strictEqual(reg.requests.length, 4);
  } finally {
    await reg.close();
  }
});
