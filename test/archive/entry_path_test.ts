import { deepStrictEqual } from "node:assert/strict";
import { cleanPath, safeEntryPath } from "../../src/archive/entry_path.ts";

// Expected values are Go's path.Clean results.
const CLEAN: [string, string][] = [
  ["", "."],
  [".", "."],
  ["./", "."],
  ["/", "/"],
  ["//", "/"],
  ["a", "a"],
  ["a/", "a"],
  ["./a/b", "a/b"],
  ["a//b", "a/b"],
  ["a/./b", "a/b"],
  ["a/../b", "b"],
  ["a/b/../../c", "c"],
  ["..", ".."],
  ["../..", "../.."],
  ["../a/..", ".."],
  ["a/../..", ".."],
  ["a/../../x", "../x"],
  ["/..", "/"],
  ["/../x", "/x"],
  ["/a/../../b", "/b"],
  ["..foo", "..foo"],
  ["a/..b/c", "a/..b/c"],
  ["...", "..."],
];

Deno.test("cleanPath matches Go's path.Clean", () => {
  for (const [input, want] of CLEAN) {
    deepStrictEqual(
      cleanPath(input),
      want,
      `cleanPath(${JSON.stringify(input)})`,
    );
  }
});

const SAFE: [string, string | undefined][] = [
  ["hello.txt", "hello.txt"],
  ["./", "."],
  ["./SOUL.md", "SOUL.md"],
  ["a/../b", "b"],
  ["sub/", "sub"],
  ["..foo", "..foo"],
  ["..foo/bar", "..foo/bar"],
  ["a/..b", "a/..b"],
  ["...", "..."],
  ["..", undefined],
  ["../", undefined],
  ["../escape.txt", undefined],
  ["a/../../x", undefined],
  ["./../x", undefined],
  ["/etc/passwd", undefined],
  ["/", undefined],
  ["//x", undefined],
];

Deno.test("safeEntryPath refuses absolute names and .. segments, accepts ..foo", () => {
  for (const [input, want] of SAFE) {
    deepStrictEqual(
      safeEntryPath(input),
      want,
      `safeEntryPath(${JSON.stringify(input)})`,
    );
  }
});
