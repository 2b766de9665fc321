import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  latestSemverTag,
  sortedSemverTags,
} from "../../src/ref/semver_tags.ts";

Deno.test("latestSemverTag", async (t) => {
  const cases: [string, string[] | null | undefined, string][] = [
    // Go table (helpers_test.go)
    ["multiple versions", ["v0.0.1", "v0.0.3", "v0.0.2"], "v0.0.3"],
    ["single version", ["v1.0.0"], "v1.0.0"],
    [
      "mixed valid and invalid",
      ["latest", "v0.0.6", "main", "v0.0.7"],
      "v0.0.7",
    ],
    ["no valid semver", ["latest", "main", "dev"], ""],
    ["empty (nil)", null, ""],
    ["empty (undefined)", undefined, ""],
    ["empty list", [], ""],
    // the Go test is named "prerelease lower than release" but asserts this
    [
      "prerelease of higher version wins",
      ["v1.0.0-rc.1", "v0.9.0"],
      "v1.0.0-rc.1",
    ],
    // ties: first in input order wins
    ["tie v-prefix first", ["v1.0.0", "1.0.0"], "v1.0.0"],
    ["tie bare first", ["1.0.0", "v1.0.0"], "1.0.0"],
    ["tie build metadata", ["1.0.0+b", "1.0.0+a"], "1.0.0+b"],
    ["tie coerced", ["v1", "1.0.0", "v1.0"], "v1"],
    // more
    ["release beats its prerelease", ["v1.0.0-rc.1", "v1.0.0"], "v1.0.0"],
    ["numeric patch order", ["v1.0.2", "v1.0.10", "v1.0.1"], "v1.0.10"],
    ["toolchain bare tags", ["0.1.9", "0.1.14", "latest"], "0.1.14"],
    ["mixed v and bare", ["v0.1.14", "0.1.15", "v0.1.13"], "0.1.15"],
    ["uppercase V ignored", ["V9.0.0", "v1.0.0"], "v1.0.0"],
    [
      "cosign tags ignored",
      [`sha256-${"a".repeat(64)}.sig`, "v0.0.1"],
      "v0.0.1",
    ],
    ["four-part ignored", ["1.2.3.4", "1.2.3"], "1.2.3"],
    ["date-like", ["2024.01.15", "2023.12.31", "v1.0.0"], "2024.01.15"],
    ["all-digit tag is a major", ["20240115", "2024.01.15"], "20240115"],
    [
      "beyond 2^53",
      ["9007199254740993", "9007199254740992"],
      "9007199254740993",
    ],
    ["overflow ignored", ["18446744073709551616", "1.0.0"], "1.0.0"],
    ["leading-zero prerelease ignored", ["1.0.0-01", "0.1.0"], "0.1.0"],
  ];
  for (const [name, tags, want] of cases) {
    await t.step(name, () => {
      strictEqual(latestSemverTag(tags), want);
    });
  }
});

Deno.test("latestSemverTag accepts any iterable", () => {
  strictEqual(latestSemverTag(new Set(["v1", "v3", "v2"])), "v3");
  function* gen() {
    yield "main";
    yield "v0.2.0";
  }
  strictEqual(latestSemverTag(gen()), "v0.2.0");
});

Deno.test("sortedSemverTags", async (t) => {
  const cases: [string, string[] | null | undefined, string[]][] = [
    // Go table (listing_test.go)
    ["multiple versions sorted descending", ["v0.1.0", "v1.0.0", "v0.5.0"], [
      "v1.0.0",
      "v0.5.0",
      "v0.1.0",
    ]],
    ["non-semver tags filtered out", [
      "v1.0.0",
      "latest",
      "main",
      "v0.5.0",
      "dev",
    ], [
      "v1.0.0",
      "v0.5.0",
    ]],
    ["pre-release before release", ["v1.0.0", "v1.1.0-rc.1", "v0.9.0"], [
      "v1.1.0-rc.1",
      "v1.0.0",
      "v0.9.0",
    ]],
    ["single tag", ["v1.0.0"], ["v1.0.0"]],
    ["no semver tags", ["latest", "main"], []],
    ["empty input (nil)", null, []],
    ["empty input (undefined)", undefined, []],
    ["patch versions sorted correctly", ["v1.0.2", "v1.0.10", "v1.0.1"], [
      "v1.0.10",
      "v1.0.2",
      "v1.0.1",
    ]],
    // listing_test.go ListVersionsPreRelease
    ["prerelease ordering", [
      "v1.0.0-alpha.1",
      "v1.0.0-beta.1",
      "v1.0.0",
      "v0.9.0",
    ], [
      "v1.0.0",
      "v1.0.0-beta.1",
      "v1.0.0-alpha.1",
      "v0.9.0",
    ]],
    // ListToolchainVersions: `nightly` dropped
    ["toolchain versions", ["v1.0.0", "nightly", "v1.1.0"], [
      "v1.1.0",
      "v1.0.0",
    ]],
    // ours: stable for ties, keeping input order
    ["ties keep input order", ["1.0.0", "v0.1.0", "v1.0.0", "1.0.0+b", "v1"], [
      "1.0.0",
      "v1.0.0",
      "1.0.0+b",
      "v1",
      "v0.1.0",
    ]],
    ["ties keep input order (reversed input)", [
      "v1",
      "1.0.0+b",
      "v1.0.0",
      "1.0.0",
    ], [
      "v1",
      "1.0.0+b",
      "v1.0.0",
      "1.0.0",
    ]],
    ["mixed bare and v", ["0.1.9", "v0.1.14", "0.1.10", "latest"], [
      "v0.1.14",
      "0.1.10",
      "0.1.9",
    ]],
    ["big numbers", ["20240115", "9007199254740993", "9007199254740992", "1"], [
      "9007199254740993",
      "9007199254740992",
      "20240115",
      "1",
    ]],
    ["duplicates kept", ["v1.0.0", "v1.0.0"], ["v1.0.0", "v1.0.0"]],
  ];
  for (const [name, tags, want] of cases) {
    await t.step(name, () => {
      deepStrictEqual(sortedSemverTags(tags), want);
    });
  }
});

Deno.test("sortedSemverTags does not modify its input", () => {
  const tags = ["v0.1.0", "v1.0.0", "latest"];
  sortedSemverTags(tags);
  deepStrictEqual(tags, ["v0.1.0", "v1.0.0", "latest"]);
});

Deno.test("sortedSemverTags head agrees with latestSemverTag", () => {
  const lists = [
    ["v1.0.0", "1.0.0"],
    ["v0.0.1", "v0.0.3", "v0.0.2"],
    ["v1.0.0-rc.1", "v0.9.0", "main"],
    ["1.0.0+b", "1.0.0+a", "0.9"],
  ];
  for (const tags of lists) {
    strictEqual(sortedSemverTags(tags)[0], latestSemverTag(tags));
  }
});
