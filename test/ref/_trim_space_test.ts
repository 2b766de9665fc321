import { strictEqual } from "node:assert/strict";
import { trimSpace } from "../../src/ref/_trim_space.ts";

Deno.test("trimSpace is Go's strings.TrimSpace", async (t) => {
  // Go: unicode.IsSpace = '\t','\n','\v','\f','\r',' ', U+0085, U+00A0 and
  // the White_Space characters above Latin-1. String#trim differs on U+0085
  // (Go trims it) and U+FEFF (Go keeps it).
  const cases: [string, string][] = [
    ["  gs-base:v1  ", "gs-base:v1"],
    ["\t\n\v\f\r gs-ae \r\n", "gs-ae"],
    ["\u0085gs-ae\u0085", "gs-ae"],
    ["\ufeffgs-ae\ufeff", "\ufeffgs-ae\ufeff"],
    ["\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x\u3000", "x"],
    ["\u200bx\u200b", "\u200bx\u200b"], // zero-width space: not White_Space
    ["\u180ex", "\u180ex"], // Mongolian vowel separator: not White_Space
    ["\u001cx\u001f", "\u001cx\u001f"], // JS trim keeps these too
    ["a b", "a b"],
    ["   ", ""],
    ["", ""],
    ["\u0085", ""],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      strictEqual(trimSpace(input), want);
    });
  }
  // Linear on a long run of spaces.
  const long = " ".repeat(200_000) + "x" + " ".repeat(200_000) + "y";
  strictEqual(trimSpace(long), long.slice(200_000));
});
