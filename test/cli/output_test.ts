import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  colorEnabled,
  field,
  Output,
  redact,
  secretsOfDockerConfig,
  Style,
  table,
  type Writer,
} from "../../src/cli/output.ts";

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

Deno.test("secrets of a Docker config are scrubbed from messages", () => {
  const config = btoa(JSON.stringify({
    auths: {
      "r.example": { auth: btoa("user:hunter22") },
      "t.example": { auth: btoa("<token>:"), identitytoken: "refresh-xyz" },
      "p.example": { username: "u", password: "plainpass" },
    },
  }));
  const secrets = secretsOfDockerConfig(config);
  for (
    const s of [
      "hunter22",
      btoa("user:hunter22"),
      "refresh-xyz",
      "plainpass",
      config,
    ]
  ) {
    ok(secrets.includes(s), s);
  }
  equal(
    redact("failed with hunter22 and refresh-xyz", secrets),
    "failed with *** and ***",
  );
  deepStrictEqual(secretsOfDockerConfig(undefined), []);
  deepStrictEqual(secretsOfDockerConfig("not base64 json"), [
    "not base64 json",
  ]);
  equal(
    redact("abc", ["abc"]),
    "abc",
    "too short to be a secret worth scrubbing",
  );
});

Deno.test("Output: JSON document, text, warnings and errors", () => {
  const out = sink(false);
  const err = sink(true);
  const o = new Output(out, err, { json: true, secrets: ["topsecret"] });
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
