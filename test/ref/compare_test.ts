import { strictEqual } from "node:assert/strict";
import { compareSemver } from "../../src/ref/compare.ts";
import { mustParseSemver } from "../../src/ref/semver.ts";

// Pairs [lower, higher] under Masterminds Compare (the Go module's order).
const ORDERED: [string, string][] = [
  ["v0.0.1", "v0.0.2"],
  ["v0.0.2", "v0.0.3"],
  ["v0.9.0", "v1.0.0"],
  ["v1.0.0", "v1.0.1"],
  ["v1.0.2", "v1.0.10"],
  ["v1.9.0", "v1.10.0"],
  ["v9.0.0", "v10.0.0"],
  ["v0.9.0", "v1.0.0-rc.1"], // a prerelease of a higher version wins
  ["v1.0.0-rc.1", "v1.0.0"],
  ["1.0.0-alpha", "1.0.0"],
  ["v1.0.0", "v1.1.0-rc.1"],
  // semver.org §11 chain
  ["1.0.0-alpha", "1.0.0-alpha.1"],
  ["1.0.0-alpha.1", "1.0.0-alpha.beta"],
  ["1.0.0-alpha.beta", "1.0.0-beta"],
  ["1.0.0-beta", "1.0.0-beta.2"],
  ["1.0.0-beta.2", "1.0.0-beta.11"],
  ["1.0.0-beta.11", "1.0.0-rc.1"],
  ["1.0.0-rc.1", "1.0.0"],
  // numeric < alphanumeric
  ["1.0.0-1", "1.0.0-a"],
  ["1.0.0-999", "1.0.0--"],
  ["1.0.0-rc.9", "1.0.0-rc.a"],
  // alphanumeric byte-wise: uppercase sorts before lowercase, "-" before digits
  ["1.0.0-RC", "1.0.0-rc"],
  ["1.0.0-Z", "1.0.0-a"],
  ["1.0.0-a-1", "1.0.0-a1"],
  ["1.0.0-rc10", "1.0.0-rc9"], // not numeric: text order
  ["1.0.0-alpha", "1.0.0-beta"],
  // shorter list lower
  ["1.0.0-rc", "1.0.0-rc.0"],
  ["1.0.0-1", "1.0.0-1.1"],
  // big numbers compare exactly (beyond 2^53)
  ["20240114", "20240115"],
  ["2024.01.15", "20240115"],
  ["9007199254740992", "9007199254740993"],
  ["18446744073709551614", "18446744073709551615"],
  ["1.0.0-9007199254740992", "1.0.0-9007199254740993"],
  // prerelease number beyond uint64 counts as alphanumeric (Go quirk)
  ["1.0.0-18446744073709551615", "1.0.0-18446744073709551616"],
  ["1.0.0-99999999999999999999", "1.0.0-a"], // as text: "9" < "a"
  // coerced forms
  ["v1", "1.0.1"],
  ["1.2", "v1.2.1"],
  ["01.02.03", "1.2.4"],
  ["0.1.14", "0.1.15"],
];

Deno.test("compareSemver orders pairs", async (t) => {
  for (const [lo, hi] of ORDERED) {
    await t.step(`${lo} < ${hi}`, () => {
      const a = mustParseSemver(lo);
      const b = mustParseSemver(hi);
      strictEqual(compareSemver(a, b), -1);
      strictEqual(compareSemver(b, a), 1);
      strictEqual(compareSemver(a, a), 0);
      strictEqual(compareSemver(b, b), 0);
    });
  }
});

Deno.test("compareSemver equal pairs", async (t) => {
  const equal: [string, string][] = [
    ["v1.0.0", "1.0.0"],
    ["v1", "1.0.0"],
    ["1.2", "v1.2.0"],
    ["01.02.03", "1.2.3"],
    ["1.0.0+build.1", "1.0.0+build.2"],
    ["1.0.0+build", "1.0.0"],
    ["1.0.0-rc.1+a", "v1.0.0-rc.1+b"],
    ["0", "0.0.0"],
  ];
  for (const [a, b] of equal) {
    await t.step(`${a} == ${b}`, () => {
      strictEqual(compareSemver(mustParseSemver(a), mustParseSemver(b)), 0);
      strictEqual(compareSemver(mustParseSemver(b), mustParseSemver(a)), 0);
    });
  }
});

Deno.test("compareSemver: sorting a shuffled chain restores it", () => {
  const chain = [
    "0.0.1",
    "v0.1.0",
    "1.0.0-1",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "v1.0.0",
    "1.0.1",
    "v1.10.0",
    "2024.01.15",
    "20240115",
  ];
  const shuffled = [...chain].reverse();
  shuffled.push(shuffled.shift()!);
  const sorted = shuffled
    .map(mustParseSemver)
    .sort(compareSemver)
    .map((v) => v.original);
  strictEqual(sorted.join(" "), chain.join(" "));
});
