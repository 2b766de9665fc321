import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  digestFromRef,
  extractTag,
  hasDigest,
  hasTagOrDigest,
  repositoryFromRef,
  shortName,
  splitNameTag,
  splitRegistryBase,
  truncateDigest,
} from "../../src/ref/helpers.ts";

// Tables from giantswarm/klaus-oci helpers_test.go, plus the
// quirks the spec documents, plus edge cases of our own.

Deno.test("splitRegistryBase", async (t) => {
  const cases: [string, string, string][] = [
    // Go table
    [
      "gsoci.azurecr.io/giantswarm/klaus-plugins",
      "gsoci.azurecr.io",
      "giantswarm/klaus-plugins/",
    ],
    [
      "gsoci.azurecr.io/giantswarm/klaus-personalities",
      "gsoci.azurecr.io",
      "giantswarm/klaus-personalities/",
    ],
    ["gsoci.azurecr.io", "gsoci.azurecr.io", ""],
    ["localhost:5000/plugins", "localhost:5000", "plugins/"],
    ["example.com/org/team/artifacts", "example.com", "org/team/artifacts/"],
    // quirk: trailing slash doubles
    ["a/b/", "a", "b//"],
    ["host/", "host", "/"],
    ["", "", ""],
    ["/x", "", "x/"],
    ["ocidir://store", "ocidir:", "/store/"],
  ];
  for (const [base, host, prefix] of cases) {
    await t.step(JSON.stringify(base), () => {
      deepStrictEqual(splitRegistryBase(base), [host, prefix]);
    });
  }
});

Deno.test("shortName", async (t) => {
  const cases: [string, string][] = [
    ["gsoci.azurecr.io/giantswarm/klaus-plugins/gs-platform", "gs-platform"],
    ["registry.example.com/repo", "repo"],
    ["simple", "simple"],
    ["ends/with/", ""],
    ["", ""],
    // tags are not stripped
    ["example.com/repo:v1", "repo:v1"],
    ["localhost:5000", "localhost:5000"],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      strictEqual(shortName(input), want);
    });
  }
});

Deno.test("shortName(repositoryFromRef(ref)) strips the tag", () => {
  strictEqual(
    shortName(repositoryFromRef("gsoci.azurecr.io/giantswarm/x/gs-ae:v1")),
    "gs-ae",
  );
});

Deno.test("truncateDigest", async (t) => {
  const full = "sha256:" + "0123456789abcdef".repeat(4);
  const cases: [string, string][] = [
    ["sha256:abc123def456789abcdef", "sha256:abc123def456"],
    ["sha256:short", "sha256:short"],
    ["noprefix", "noprefix"],
    [full, "sha256:0123456789ab"],
    ["sha256:abcdefabcdef", "sha256:abcdefabcdef"], // exactly 12: unchanged
    ["sha256:abcdefabcdef0", "sha256:abcdefabcdef"], // 13: cut
    ["sha512:" + "f".repeat(128), "sha512:ffffffffffff"],
    [":" + "a".repeat(20), ":aaaaaaaaaaaa"],
    ["", ""],
    ["a:b:cccccccccccccccc", "a:b:cccccccccc"], // first colon counts
    // Go counts bytes (`len(d[i+1:]) > 12`, `[:12]`), not UTF-16 units:
    // 7 × é = 14 bytes > 12, cut after 12 bytes = 6 × é.
    ["sha256:" + "é".repeat(7), "sha256:" + "é".repeat(6)],
    // 6 × é = 12 bytes: unchanged.
    ["sha256:" + "é".repeat(6), "sha256:" + "é".repeat(6)],
    // 4 emoji = 16 bytes (8 UTF-16 units): cut to 3.
    ["x:" + "\u{1F600}".repeat(4), "x:" + "\u{1F600}".repeat(3)],
    // 3 emoji = 12 bytes: unchanged.
    ["x:" + "\u{1F600}".repeat(3), "x:" + "\u{1F600}".repeat(3)],
    // The cut splits a character: Go keeps its first bytes (invalid UTF-8),
    // one U+FFFD each when Go turns them into runes or JSON.
    ["sha256:a" + "é".repeat(6), "sha256:a" + "é".repeat(5) + "\ufffd"],
    [
      "x:ab" + "\u{1F600}".repeat(3),
      "x:ab" + "\u{1F600}".repeat(2) + "\ufffd\ufffd",
    ],
    ["x:abcdefghijk€", "x:abcdefghijk\ufffd"], // € = E2 82 AC, 1 byte kept
    ["x:abcdefghij€", "x:abcdefghij\ufffd\ufffd"], // 2 bytes kept
    // The prefix before the colon is never cut.
    ["é:" + "a".repeat(13), "é:" + "a".repeat(12)],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      strictEqual(truncateDigest(input), want);
    });
  }
  strictEqual(truncateDigest(full).length, 19);
});

Deno.test("splitNameTag", async (t) => {
  const cases: [string, string, string][] = [
    // Go table
    ["gs-ae", "gs-ae", ""],
    ["gs-ae:v0.0.7", "gs-ae", "v0.0.7"],
    ["my-plugin:latest", "my-plugin", "latest"],
    ["localhost:5000/repo", "localhost:5000/repo", ""],
    ["localhost:5000/repo:v1.0.0", "localhost:5000/repo", "v1.0.0"],
    ["registry.io/org/repo:tag", "registry.io/org/repo", "tag"],
    // quirks of the Go helpers, kept on purpose
    ["host/repo@sha256:abc", "host/repo@sha256", "abc"],
    ["localhost:5000", "localhost", "5000"],
    ["repo:", "repo", ""],
    ["gs-base@sha256:abc", "gs-base@sha256", "abc"],
    // edge cases
    ["", "", ""],
    [":", "", ""],
    ["a:b:c", "a:b", "c"],
    ["host/a:b/c", "host/a:b/c", ""],
  ];
  for (const [ref, name, tag] of cases) {
    await t.step(JSON.stringify(ref), () => {
      deepStrictEqual(splitNameTag(ref), [name, tag]);
    });
  }
});

Deno.test("repositoryFromRef", async (t) => {
  const cases: [string, string][] = [
    // Go table
    ["example.com/repo:v1.0.0", "example.com/repo"],
    ["example.com/repo@sha256:abc123", "example.com/repo"],
    ["example.com/repo", "example.com/repo"],
    ["localhost:5000/repo", "localhost:5000/repo"],
    ["localhost:5000/repo:v1.0.0", "localhost:5000/repo"],
    ["localhost:5000", "localhost:5000"],
    ["registry.io/org/repo:tag", "registry.io/org/repo"],
    ["registry.io/org/repo@sha256:deadbeef", "registry.io/org/repo"],
    // quirk: slash-less name:tag unchanged (unlike splitNameTag)
    ["gs-base:v1", "gs-base:v1"],
    // first `@` wins, and a tag before it stays
    ["example.com/repo:v1@sha256:abc", "example.com/repo:v1"],
    ["gs-base@sha256:abc", "gs-base"],
    // `@` at index 0 is not a separator
    ["@sha256:abc", "@sha256:abc"],
    ["", ""],
    ["host/repo:", "host/repo"],
  ];
  for (const [ref, want] of cases) {
    await t.step(JSON.stringify(ref), () => {
      strictEqual(repositoryFromRef(ref), want);
    });
  }
});

Deno.test("hasDigest", async (t) => {
  const cases: [string, boolean][] = [
    ["example.com/repo@sha256:abc123", true],
    ["example.com/repo@sha512:abc123", true],
    ["example.com/repo:v1@sha256:abc123", true],
    ["example.com/repo@md5:abc", false],
    ["example.com/repo@SHA256:abc", false],
    ["example.com/repo:sha256:abc", false],
    ["example.com/repo", false],
    ["", false],
  ];
  for (const [ref, want] of cases) {
    await t.step(JSON.stringify(ref), () => {
      strictEqual(hasDigest(ref), want);
    });
  }
});

Deno.test("hasTagOrDigest", async (t) => {
  const cases: [string, boolean][] = [
    // Go table
    ["example.com/repo:v1.0.0", true],
    ["example.com/repo@sha256:abc123", true],
    ["example.com/repo", false],
    ["localhost:5000/repo", false],
    ["localhost:5000/repo:v1.0.0", true],
    // edge cases
    ["example.com/repo:", true], // empty tag still counts
    ["example.com/repo@md5:abc", true], // `:` after the last `/`
    ["example.com/repo@other", false],
    ["gs-ae", false],
    ["gs-ae:v1", true],
    ["localhost:5000", true],
  ];
  for (const [ref, want] of cases) {
    await t.step(JSON.stringify(ref), () => {
      strictEqual(hasTagOrDigest(ref), want);
    });
  }
});

Deno.test("extractTag", async (t) => {
  const cases: [string, string][] = [
    // Go table
    ["example.com/repo:v1.0.0", "v1.0.0"],
    ["example.com/repo:latest", "latest"],
    ["example.com/repo@sha256:abc123", ""],
    ["example.com/repo", ""],
    ["localhost:5000/repo:v1.0.0", "v1.0.0"],
    // edge cases
    ["example.com/repo:v1@sha256:abc", ""],
    ["example.com/repo@md5:abc", "abc"], // unknown algorithm: Go quirk
    ["example.com/repo:", ""],
    ["gs-ae:v2", "v2"],
  ];
  for (const [ref, want] of cases) {
    await t.step(JSON.stringify(ref), () => {
      strictEqual(extractTag(ref), want);
    });
  }
});

Deno.test("digestFromRef", async (t) => {
  const cases: [string, string][] = [
    ["example.com/repo@sha256:abc", "sha256:abc"],
    ["example.com/repo:v1@sha256:abc", "sha256:abc"],
    ["example.com/repo:v1", ""],
    ["example.com/repo@", ""],
    ["a@b@c", "b@c"],
    ["", ""],
  ];
  for (const [ref, want] of cases) {
    await t.step(JSON.stringify(ref), () => {
      strictEqual(digestFromRef(ref), want);
    });
  }
});
