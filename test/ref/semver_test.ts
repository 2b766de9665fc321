import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  isSemver,
  MAX_UINT64,
  mustParseSemver,
  parseSemver,
  parseUint64,
} from "../../src/ref/semver.ts";

// Masterminds/semver v3.4.0 NewVersion in coercing mode, as the Go module
// parses tags.

type Parts = [
  major: bigint,
  minor: bigint,
  patch: bigint,
  pre: string[],
  build: string[],
];

Deno.test("parseSemver accepts", async (t) => {
  const cases: [string, Parts][] = [
    ["v1.2.3", [1n, 2n, 3n, [], []]],
    ["1.2.3", [1n, 2n, 3n, [], []]],
    ["v1", [1n, 0n, 0n, [], []]],
    ["1", [1n, 0n, 0n, [], []]],
    ["1.2", [1n, 2n, 0n, [], []]],
    ["v1.2", [1n, 2n, 0n, [], []]],
    ["0", [0n, 0n, 0n, [], []]],
    ["v0.0.0", [0n, 0n, 0n, [], []]],
    ["01.02.03", [1n, 2n, 3n, [], []]],
    ["v00.000.0000", [0n, 0n, 0n, [], []]],
    ["1-rc1", [1n, 0n, 0n, ["rc1"], []]],
    ["1.2-rc1", [1n, 2n, 0n, ["rc1"], []]],
    ["v1.2.3-rc.1+build.5", [1n, 2n, 3n, ["rc", "1"], ["build", "5"]]],
    ["2024.01.15", [2024n, 1n, 15n, [], []]],
    ["20240115", [20240115n, 0n, 0n, [], []]],
    ["0.1.14", [0n, 1n, 14n, [], []]],
    ["v0.0.63", [0n, 0n, 63n, [], []]],
    ["1.0.0-alpha", [1n, 0n, 0n, ["alpha"], []]],
    ["1.0.0-alpha.1", [1n, 0n, 0n, ["alpha", "1"], []]],
    ["1.0.0-0.3.7", [1n, 0n, 0n, ["0", "3", "7"], []]],
    ["1.0.0-x.7.z.92", [1n, 0n, 0n, ["x", "7", "z", "92"], []]],
    ["1.0.0-x-y-z.--", [1n, 0n, 0n, ["x-y-z", "--"], []]],
    ["1.0.0--", [1n, 0n, 0n, ["-"], []]],
    ["1.0.0-0a", [1n, 0n, 0n, ["0a"], []]], // alphanumeric may start with 0
    ["1.0.0-00a", [1n, 0n, 0n, ["00a"], []]],
    ["1.0.0+20130313144700", [1n, 0n, 0n, [], ["20130313144700"]]],
    ["1.0.0+001", [1n, 0n, 0n, [], ["001"]]], // metadata may have zeros
    ["1.0.0-beta+exp.sha.5114f85", [1n, 0n, 0n, ["beta"], [
      "exp",
      "sha",
      "5114f85",
    ]]],
    ["1+build", [1n, 0n, 0n, [], ["build"]]],
    ["1.0.0-rc.1-2", [1n, 0n, 0n, ["rc", "1-2"], []]],
    ["1-2-3", [1n, 0n, 0n, ["2-3"], []]],
    ["1.0.0-DEV", [1n, 0n, 0n, ["DEV"], []]],
    ["18446744073709551615", [MAX_UINT64, 0n, 0n, [], []]],
    ["1.18446744073709551615.0", [1n, MAX_UINT64, 0n, [], []]],
    ["0000000000000000000000000001", [1n, 0n, 0n, [], []]],
    // prerelease numbers beyond uint64 are allowed (compared as text)
    ["1.0.0-99999999999999999999", [1n, 0n, 0n, ["99999999999999999999"], []]],
  ];
  for (const [tag, [major, minor, patch, prerelease, build]] of cases) {
    await t.step(tag, () => {
      deepStrictEqual(parseSemver(tag), {
        major,
        minor,
        patch,
        prerelease,
        build,
        original: tag,
      });
      ok(isSemver(tag));
    });
  }
});

Deno.test("parseSemver rejects", async (t) => {
  const cases = [
    "",
    "V1.0.0",
    "V1",
    "latest",
    "main",
    "dev",
    "nightly",
    "1.2.3.4",
    "v1.2.3.4",
    "sha256-" + "a".repeat(64) + ".sig",
    "sha256-" + "a".repeat(64) + ".att",
    "1.0.0-",
    "1.0.0+",
    "1.0.0-a..b",
    "1.0.0+a..b",
    "1.0.0-a.",
    "1.0.0-.a",
    "1.0.0-01",
    "1.0.0-rc.01",
    "1.0.0-00",
    "18446744073709551616",
    "1.18446744073709551616",
    "1.0.18446744073709551616",
    "99999999999999999999999.0.0",
    "v",
    "vv1",
    ".1",
    "1.",
    "1..2",
    "1.2.",
    " 1.2.3",
    "1.2.3 ",
    "1.2.3\n",
    "=1.2.3",
    "1.2.3-rc_1",
    "1.2.3+build_1",
    "1.2.3-ü",
    "1.x",
    "1.2.x",
    "~1.2",
    "^1.2",
    "-1.2.3",
    "1.2.3-rc+",
    "１.2.3", // full-width digit
    "v1.2.3-rc.1+build.5+x",
  ];
  for (const tag of cases) {
    await t.step(JSON.stringify(tag), () => {
      strictEqual(parseSemver(tag), undefined);
      strictEqual(isSemver(tag), false);
    });
  }
});

Deno.test("mustParseSemver throws TypeError for non-versions", () => {
  strictEqual(mustParseSemver("v2").major, 2n);
  throws(() => mustParseSemver("latest"), TypeError);
  throws(() => mustParseSemver("V1"), /invalid semantic version "V1"/);
});

Deno.test("parseUint64 mirrors strconv.ParseUint(s, 10, 64)", async (t) => {
  const cases: [string, bigint | undefined][] = [
    ["0", 0n],
    ["007", 7n],
    ["18446744073709551615", MAX_UINT64],
    ["18446744073709551616", undefined],
    ["", undefined],
    ["+1", undefined],
    ["-1", undefined],
    ["1_000", undefined],
    ["0x10", undefined],
    [" 1", undefined],
    ["rc1", undefined],
  ];
  for (const [s, want] of cases) {
    await t.step(JSON.stringify(s), () => {
      strictEqual(parseUint64(s), want);
    });
  }
  strictEqual(MAX_UINT64, 18446744073709551615n);
});
