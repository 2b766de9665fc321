import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { InvalidReferenceError, KlausOciError } from "../../src/errors.ts";
import {
  formatReference,
  isLayoutReference,
  manifestReference,
  parseReference,
  repositoryString,
} from "../../src/ref/reference.ts";
import type { Reference } from "../../src/ref/reference_type.ts";

const D256 = "sha256:" + "0123456789abcdef".repeat(4);
const D512 = "sha512:" + "0123456789abcdef".repeat(8);
const D384 = "sha384:" + "0123456789abcdef".repeat(6);

// [input, expected, canonical form when it differs from the input]
const VALID: [string, Reference, string?][] = [
  ["example.com/repo", { registry: "example.com", repository: "repo" }],
  ["example.com/repo:v1.0.0", {
    registry: "example.com",
    repository: "repo",
    tag: "v1.0.0",
  }],
  [`example.com/repo@${D256}`, {
    registry: "example.com",
    repository: "repo",
    digest: D256,
  }],
  [`example.com/repo@${D512}`, {
    registry: "example.com",
    repository: "repo",
    digest: D512,
  }],
  [`example.com/repo:v1@${D256}`, {
    registry: "example.com",
    repository: "repo",
    tag: "v1",
    digest: D256,
  }],
  ["gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base:v0.0.7", {
    registry: "gsoci.azurecr.io",
    repository: "giantswarm/klaus-plugins/gs-base",
    tag: "v0.0.7",
  }],
  ["localhost/repo", { registry: "localhost", repository: "repo" }],
  ["localhost:5000/plugins/base:latest", {
    registry: "localhost:5000",
    repository: "plugins/base",
    tag: "latest",
  }],
  ["127.0.0.1:5000/a/b/c", {
    registry: "127.0.0.1:5000",
    repository: "a/b/c",
  }],
  ["[::1]:5000/repo:t", {
    registry: "[::1]:5000",
    repository: "repo",
    tag: "t",
  }],
  ["[::1]/repo", { registry: "[::1]", repository: "repo" }],
  ["[2001:db8::ff00:42:8329]:443/repo", {
    registry: "[2001:db8::ff00:42:8329]:443",
    repository: "repo",
  }],
  ["[::ffff:192.0.2.1]:5000/repo", {
    registry: "[::ffff:192.0.2.1]:5000",
    repository: "repo",
  }],
  ["Registry.Example.COM/repo", {
    registry: "Registry.Example.COM",
    repository: "repo",
  }],
  ["my-registry.example-1.io:65535/repo", {
    registry: "my-registry.example-1.io:65535",
    repository: "repo",
  }],
  ["example.com/a.b_c__d---e/f", {
    registry: "example.com",
    repository: "a.b_c__d---e/f",
  }],
  ["example.com/0/9", { registry: "example.com", repository: "0/9" }],
  ["example.com/repo:_", {
    registry: "example.com",
    repository: "repo",
    tag: "_",
  }],
  ["example.com/repo:A.b-C_d", {
    registry: "example.com",
    repository: "repo",
    tag: "A.b-C_d",
  }],
  ["example.com/repo:" + "a".repeat(128), {
    registry: "example.com",
    repository: "repo",
    tag: "a".repeat(128),
  }],
  ["example.com/" + "a".repeat(255), {
    registry: "example.com",
    repository: "a".repeat(255),
  }],
  ["a/b", { registry: "a", repository: "b" }],
  // oras-go accepts these (issue 12): `_` in a host, sha384 and sha512
  // digests, an empty tag or digest meaning none, any tag before a digest.
  ["local_registry:5000/repo:v1", {
    registry: "local_registry:5000",
    repository: "repo",
    tag: "v1",
  }],
  ["my_registry/a/b", { registry: "my_registry", repository: "a/b" }],
  ["-host-/repo", { registry: "-host-", repository: "repo" }],
  ["host./repo", { registry: "host.", repository: "repo" }],
  ["a".repeat(64) + ".com/repo", {
    registry: "a".repeat(64) + ".com",
    repository: "repo",
  }],
  [`example.com/repo@${D384}`, {
    registry: "example.com",
    repository: "repo",
    digest: D384,
  }],
  [`local_registry:5000/repo:v1@${D384}`, {
    registry: "local_registry:5000",
    repository: "repo",
    tag: "v1",
    digest: D384,
  }],
  ["example.com/repo:", {
    registry: "example.com",
    repository: "repo",
  }, "example.com/repo"],
  ["example.com/repo@", {
    registry: "example.com",
    repository: "repo",
  }, "example.com/repo"],
  // oras-go: everything from `@` on is the (empty) reference, the tag goes
  ["example.com/repo:v1@", {
    registry: "example.com",
    repository: "repo",
  }, "example.com/repo"],
  // oras-go drops the tag before a digest unseen; a valid one is kept here
  [`example.com/repo:@${D256}`, {
    registry: "example.com",
    repository: "repo",
    digest: D256,
  }, `example.com/repo@${D256}`],
  [`example.com/repo:.x@${D256}`, {
    registry: "example.com",
    repository: "repo",
    digest: D256,
  }, `example.com/repo@${D256}`],
  [`example.com/repo:a:b@${D512}`, {
    registry: "example.com",
    repository: "repo",
    digest: D512,
  }, `example.com/repo@${D512}`],
  // layouts
  ["ocidir://store", { registry: "ocidir://", repository: "store" }],
  ["ocidir://store:v1", {
    registry: "ocidir://",
    repository: "store",
    tag: "v1",
  }],
  ["ocidir://./out/base:v1.0.0", {
    registry: "ocidir://",
    repository: "./out/base",
    tag: "v1.0.0",
  }],
  ["ocidir://../rel/dir", { registry: "ocidir://", repository: "../rel/dir" }],
  ["ocidir:///abs/path/base", {
    registry: "ocidir://",
    repository: "/abs/path/base",
  }],
  ["ocidir:///abs/path/base:latest", {
    registry: "ocidir://",
    repository: "/abs/path/base",
    tag: "latest",
  }],
  [`ocidir:///abs/base@${D256}`, {
    registry: "ocidir://",
    repository: "/abs/base",
    digest: D256,
  }],
  [`ocidir://rel/base@${D512}`, {
    registry: "ocidir://",
    repository: "rel/base",
    digest: D512,
  }],
  [`ocidir://rel/base:v2@${D256}`, {
    registry: "ocidir://",
    repository: "rel/base",
    tag: "v2",
    digest: D256,
  }],
  // `:` and `@` before the last `/` belong to the directory
  ["ocidir:///tmp/a:b/c", { registry: "ocidir://", repository: "/tmp/a:b/c" }],
  ["ocidir:///tmp/a:b/c:t", {
    registry: "ocidir://",
    repository: "/tmp/a:b/c",
    tag: "t",
  }],
  ["ocidir://node_modules/@scope/pkg:v1", {
    registry: "ocidir://",
    repository: "node_modules/@scope/pkg",
    tag: "v1",
  }],
  // layout directories are paths, not repository names
  ["ocidir://My Store/Base_Dir", {
    registry: "ocidir://",
    repository: "My Store/Base_Dir",
  }],
  // a colon inside the last segment: the last one is the tag separator
  ["ocidir://dir:with:v3", {
    registry: "ocidir://",
    repository: "dir:with",
    tag: "v3",
  }],
  ["ocidir://.", { registry: "ocidir://", repository: "." }],
  // empty tag or digest: none, as for registry references
  [
    "ocidir://dir:",
    { registry: "ocidir://", repository: "dir" },
    "ocidir://dir",
  ],
  [
    "ocidir://dir@",
    { registry: "ocidir://", repository: "dir" },
    "ocidir://dir",
  ],
  [`ocidir://dir@${D384}`, {
    registry: "ocidir://",
    repository: "dir",
    digest: D384,
  }],
  ["ocidir://dir/", { registry: "ocidir://", repository: "dir/" }],
];

Deno.test("parseReference: valid", async (t) => {
  for (const [input, want] of VALID) {
    await t.step(input.length > 80 ? input.slice(0, 80) + "…" : input, () => {
      deepStrictEqual(parseReference(input), want);
    });
  }
});

Deno.test("formatReference round-trips every valid reference", async (t) => {
  for (const [input, want, canonical] of VALID) {
    await t.step(input.length > 80 ? input.slice(0, 80) + "…" : input, () => {
      strictEqual(formatReference(want), canonical ?? input);
      deepStrictEqual(parseReference(formatReference(want)), want);
    });
  }
});

// [input, part, value]; part undefined = the missing-`/` message
const INVALID: [string, string | undefined, string][] = [
  ["", undefined, ""],
  ["gs-base", undefined, ""],
  ["gs-base:v1", undefined, ""],
  ["localhost:5000", undefined, ""],
  [`repo@${D256}`, undefined, ""],
  // registry, refused by oras-go too
  ["host:port/repo", "registry", "host:port"],
  ["host:-1/repo", "registry", "host:-1"],
  ["ho st/repo", "registry", "ho st"],
  ["user@host/repo", "registry", "user@host"],
  ["[::1/repo", "registry", "[::1"],
  ["[::1]x/repo", "registry", "[::1]x"],
  // (oras-go refuses the repository "/host/repo" instead)
  ["https://host/repo", "registry", "https:"],
  // registry, accepted by oras-go (Go 1.19 net/url) but not here: README's
  // differences table
  ["/repo", "registry", ""],
  ["host:/repo", "registry", "host:"],
  ["http:/repo", "registry", "http:"],
  ["host:0/repo", "registry", "host:0"],
  ["host:65536/repo", "registry", "host:65536"],
  ["host:123456/repo", "registry", "host:123456"],
  ["host:5000:1/repo", "registry", "host:5000:1"],
  ["::1/repo", "registry", "::1"],
  ["host..com/repo", "registry", "host..com"],
  [".host/repo", "registry", ".host"],
  ["ho!st/repo", "registry", "ho!st"],
  ["bücher.example/repo", "registry", "bücher.example"],
  ["256.1.1.1/repo", "registry", "256.1.1.1"],
  ["[::1]:/repo", "registry", "[::1]:"],
  ["[]/repo", "registry", "[]"],
  ["[1:2:3]/repo", "registry", "[1:2:3]"],
  ["[1:2:3:4:5:6:7:8:9]/repo", "registry", "[1:2:3:4:5:6:7:8:9]"],
  ["[1::2::3]/repo", "registry", "[1::2::3]"],
  ["[12345::]/repo", "registry", "[12345::]"],
  ["[g::1]/repo", "registry", "[g::1]"],
  // repository
  ["example.com/", "repository", ""],
  ["example.com/Repo", "repository", "Repo"],
  ["example.com/org/Repo:v1", "repository", "org/Repo"],
  ["example.com/a..b", "repository", "a..b"],
  ["example.com/a//b", "repository", "a//b"],
  ["example.com/a/", "repository", "a/"],
  ["example.com//a", "repository", "/a"],
  ["example.com/.a", "repository", ".a"],
  ["example.com/a.", "repository", "a."],
  ["example.com/-a", "repository", "-a"],
  ["example.com/a-", "repository", "a-"],
  ["example.com/_a", "repository", "_a"],
  ["example.com/a___b", "repository", "a___b"],
  ["example.com/a._b", "repository", "a._b"],
  ["example.com/a b", "repository", "a b"],
  ["example.com/a+b", "repository", "a+b"],
  ["example.com/ä", "repository", "ä"],
  ["example.com/" + "a".repeat(256), "repository", "a".repeat(256)],
  ["example.com/a:b/c", "repository", "a:b/c"],
  [`example.com/@${D256}`, "repository", ""],
  [`example.com/:v1`, "repository", ""],
  // tag
  ["example.com/repo:.v1", "tag", ".v1"],
  ["example.com/repo:-v1", "tag", "-v1"],
  ["example.com/repo:v1+build", "tag", "v1+build"],
  ["example.com/repo:a:b", "tag", "a:b"],
  ["example.com/repo:" + "a".repeat(129), "tag", "a".repeat(129)],
  ["example.com/repo:v 1", "tag", "v 1"],
  // digest
  ["example.com/repo@sha256:abc123", "digest", "sha256:abc123"],
  [
    "example.com/repo@sha256:" + "a".repeat(63),
    "digest",
    "sha256:" + "a".repeat(63),
  ],
  [
    "example.com/repo@sha256:" + "a".repeat(65),
    "digest",
    "sha256:" + "a".repeat(65),
  ],
  [
    "example.com/repo@sha256:" + "A".repeat(64),
    "digest",
    "sha256:" + "A".repeat(64),
  ],
  [
    "example.com/repo@sha256:" + "g".repeat(64),
    "digest",
    "sha256:" + "g".repeat(64),
  ],
  [
    "example.com/repo@sha512:" + "a".repeat(64),
    "digest",
    "sha512:" + "a".repeat(64),
  ],
  [
    "example.com/repo@sha512:" + "a".repeat(127),
    "digest",
    "sha512:" + "a".repeat(127),
  ],
  [
    "example.com/repo@sha384:" + "a".repeat(95),
    "digest",
    "sha384:" + "a".repeat(95),
  ],
  [
    "example.com/repo@sha384:" + "A".repeat(96),
    "digest",
    "sha384:" + "A".repeat(96),
  ],
  // go-digest registers sha256, sha384 and sha512 only
  [
    "example.com/repo@sha224:" + "a".repeat(56),
    "digest",
    "sha224:" + "a".repeat(56),
  ],
  [`example.com/repo:.x@sha256:0`, "digest", "sha256:0"],
  ["example.com/repo@md5:" + "a".repeat(32), "digest", "md5:" + "a".repeat(32)],
  ["example.com/repo@" + "a".repeat(64), "digest", "a".repeat(64)],
  [`example.com/repo@${D256}@${D256}`, "digest", `${D256}@${D256}`],
  [`example.com/repo@${D256}/x`, "digest", `${D256}/x`],
  // layouts
  ["ocidir://", "repository", ""],
  ["ocidir://:v1", "repository", ""],
  [`ocidir://@${D256}`, "repository", ""],
  ["ocidir://dir:.bad", "tag", ".bad"],
  ["ocidir://dir@sha256:abc", "digest", "sha256:abc"],
  ["ocidir://a\0b", "repository", "a\0b"],
];

Deno.test("parseReference: invalid", async (t) => {
  for (const [input, part, value] of INVALID) {
    const label = JSON.stringify(input);
    await t.step(label.length > 80 ? label.slice(0, 80) + "…" : label, () => {
      const want = part === undefined
        ? `parsing reference ${
          JSON.stringify(input)
        }: missing registry or repository`
        : `parsing reference ${JSON.stringify(input)}: invalid ${part} ${
          JSON.stringify(value)
        }`;
      throws(() => parseReference(input), (e: unknown) => {
        ok(
          e instanceof InvalidReferenceError,
          `not InvalidReferenceError: ${e}`,
        );
        ok(e instanceof KlausOciError);
        strictEqual(e.message, want);
        return true;
      });
    });
  }
});

Deno.test("parseReference: the error names the first bad part", () => {
  // bad registry and bad repository: registry reported
  throws(() => parseReference("ho st/Repo:.x"), /invalid registry "ho st"/);
  // bad repository and bad tag: repository reported
  throws(() => parseReference("host/Repo:.x"), /invalid repository "Repo"/);
  // bad tag and bad digest: the tag is dropped (oras-go never looks at
  // it), the digest reported
  throws(() => parseReference("host/repo:.x@sha256:0"), /invalid digest/);
  // bad tag without a digest: tag reported
  throws(() => parseReference("host/repo:.x"), /invalid tag ".x"/);
});

Deno.test("parseReference does not trim", () => {
  throws(() => parseReference(" example.com/repo"), InvalidReferenceError);
  throws(() => parseReference("example.com/repo:v1 "), InvalidReferenceError);
});

Deno.test("parseReference result has no undefined keys", () => {
  deepStrictEqual(Object.keys(parseReference("example.com/repo")), [
    "registry",
    "repository",
  ]);
  deepStrictEqual(Object.keys(parseReference(`example.com/r:t@${D256}`)), [
    "registry",
    "repository",
    "tag",
    "digest",
  ]);
});

Deno.test("isLayoutReference", async (t) => {
  const cases: [string, boolean][] = [
    ["ocidir://store", true],
    ["ocidir:///abs:v1", true],
    ["ocidir://", true],
    ["ocidir:/store", false],
    ["OCIDIR://store", false],
    ["oci:store:v1", false],
    ["example.com/repo", false],
    ["", false],
  ];
  for (const [input, want] of cases) {
    await t.step(
      input || '""',
      () => strictEqual(isLayoutReference(input), want),
    );
  }
});

Deno.test("repositoryString", async (t) => {
  const cases: [Reference, string][] = [
    [
      { registry: "example.com", repository: "org/repo", tag: "v1" },
      "example.com/org/repo",
    ],
    [
      { registry: "localhost:5000", repository: "r", digest: D256 },
      "localhost:5000/r",
    ],
    [
      { registry: "ocidir://", repository: "./store", tag: "v1" },
      "ocidir://./store",
    ],
    [
      { registry: "ocidir://", repository: "/abs/store" },
      "ocidir:///abs/store",
    ],
  ];
  for (const [ref, want] of cases) {
    await t.step(want, () => strictEqual(repositoryString(ref), want));
  }
});

Deno.test("formatReference omits empty tag and digest", () => {
  strictEqual(
    formatReference({ registry: "h", repository: "r", tag: "", digest: "" }),
    "h/r",
  );
  strictEqual(
    formatReference({ registry: "ocidir://", repository: "d", tag: "" }),
    "ocidir://d",
  );
});

Deno.test("manifestReference: digest wins, then tag", () => {
  strictEqual(manifestReference(parseReference(`h/r:v1@${D256}`)), D256);
  strictEqual(manifestReference(parseReference(`h/r@${D512}`)), D512);
  strictEqual(manifestReference(parseReference("h/r:v1")), "v1");
  strictEqual(manifestReference(parseReference("h/r")), undefined);
  strictEqual(manifestReference(parseReference("ocidir://d:v1")), "v1");
  strictEqual(
    manifestReference({ registry: "h", repository: "r", tag: "" }),
    undefined,
  );
});
