// Reads a test log and prints "<passed> <failed>" summed over every runner
// summary it contains (Deno's "ok | N passed | M failed" lines and Vitest's
// "Tests  N passed | M failed (T)" lines).
import { readFileSync } from "node:fs";

// Colour codes are stripped so NO_COLOR is not required for the parse.
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");
const text = readFileSync(process.argv[2], "utf8").replace(ANSI, "");
let passed = 0;
let failed = 0;
let seen = false;
for (const line of text.split("\n")) {
  const deno = line.match(/^(ok|FAILED) \| (\d+) passed.*?\| (\d+) failed/);
  if (deno) {
    passed += Number(deno[2]);
    failed += Number(deno[3]);
    seen = true;
    continue;
  }
  const vitest = line.match(/^\s*Tests\s+(.*)\(\d+\)\s*$/);
  if (vitest) {
    const p = vitest[1].match(/(\d+) passed/);
    const f = vitest[1].match(/(\d+) failed/);
    passed += p ? Number(p[1]) : 0;
    failed += f ? Number(f[1]) : 0;
    seen = true;
  }
}
if (!seen) failed += 1;
console.log(`${passed} ${failed}`);
