import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  colorEnabled,
  field,
  Output,
  Style,
  table,
  type Writer,
} from "../../src/cli/output.ts";
import { registerSecret } from "../../src/_redact.ts";

function sink(isTTY: boolean): Writer & { text: string } {
  return {
    text: "",
    isTTY,
    write(t: string) {
      this.text += t;
    },
  };
}

Deno.test("colours only on a terminal without NO_COLOR", () => {
  const cases: [boolean, string | undefined, boolean][] = [
    [true, undefined, true],
    [true, "", true],
    [true, "1", false],
    [true, "false", false], // any non-empty value disables (no-color.org)
    [false, undefined, false],
  ];
  for (const [isTTY, noColor, want] of cases) {
    equal(
      colorEnabled({ write() {}, isTTY }, noColor),
      want,
      `${isTTY} ${noColor}`,
    );
  }
  equal(new Style(false).red("x"), "x");
  equal(new Style(true).red("x"), "\x1b[31mx\x1b[39m");
  equal(new Style(true).bold("x"), "\x1b[1mx\x1b[22m");
});

Deno.test("field pads like %-14s, also when styled", () => {
  equal(field("Name:", "base", new Style(false)), "Name:          base");
  equal(
    field("MCP Servers:", "a, b", new Style(false), "  "),
    "  MCP Servers:   a, b",
  );
  equal(field("Description:", "x", new Style(false)), "Description:   x");
  equal(
    field("Name:", "base", new Style(true)),
    "\x1b[1mName:         \x1b[22m base",
  );
});

Deno.test("table aligns like tabwriter with 3 spaces of padding", () => {
  equal(
    table([["NAME", "VERSION", "REFERENCE"], [
      "gs-base",
      "v1.0.0",
      "r/gs-base:v1.0.0",
    ], ["x", "v10.0.0", "r/x:v10.0.0"]]),
    "NAME      VERSION   REFERENCE\n" +
      "gs-base   v1.0.0    r/gs-base:v1.0.0\n" +
      "x         v10.0.0   r/x:v10.0.0",
  );
});

Deno.test("Output: JSON document, text, warnings and errors", () => {
  const out = sink(false);
  const err = sink(true);
  registerSecret("topsecret");
  const o = new Output(out, err, { json: true });
  o.json({ ref: "r:v1" });
  equal(out.text, '{\n  "ref": "r:v1"\n}\n');
  deepStrictEqual(JSON.parse(out.text), { ref: "r:v1" });
  o.warn("tag already exists");
  o.error("denied for topsecret");
  equal(
    err.text,
    "\x1b[33mWarning:\x1b[39m tag already exists\n\x1b[31merror:\x1b[39m denied for ***\n",
  );
  const plainErr = sink(true);
  const p = new Output(sink(false), plainErr, { noColor: "1" });
  p.error("boom");
  equal(plainErr.text, "error: boom\n");
});

Deno.test("Output: stderr is redacted and stripped of terminal controls", () => {
  const err = sink(false);
  const o = new Output(sink(false), err, { noColor: "1" });
  registerSecret("output-test-secret-1");
  o.error(
    'GET "https://u:pw@r.example/v2/": registry said\x1b[2J output-test-secret-1, Authorization=Basic dTpwdzEyMw==',
  );
  o.warn("r.example/x: ?access_token=abcdef");
  equal(
    err.text,
    'error: GET "https://***@r.example/v2/": registry said[2J ***, Authorization=Basic ***\n' +
      "Warning: r.example/x: ?access_token=***\n",
  );
});

Deno.test("Output: a million lines print without spreading arguments", () => {
  const out = sink(false);
  const o = new Output(out, sink(false));
  const many = Array.from({ length: 1_000_000 }, (_, i) => `v${i}`);
  o.lines(many);
  equal(out.text.length, many.join("\n").length + 1);
  o.lines([]);
  ok(out.text.endsWith("v999999\n"));
});
