import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { InvalidArtifactError } from "../../src/errors.ts";
import {
  compareCodePoints,
  goCompact,
  goIndent,
  goMarshal,
  goQuote,
  RawJson,
} from "../../src/artifact/go_json.ts";
import {
  decodeStringSlice,
  decodeStruct,
  parseGoJson,
  toPlainValue,
} from "../../src/artifact/go_json_parse.ts";

// Expected outputs are what Go 1.25's json.Marshal writes for a string.
const quoteCases: [string, string, string][] = [
  ["plain", "hello", '"hello"'],
  ["html", "<b>", '"\\u003cb\\u003e"'],
  ["ampersand", "a&b", '"a\\u0026b"'],
  ["quote and backslash", 'a"b\\c', '"a\\"b\\\\c"'],
  ["newline, cr, tab", "a\nb\rc\td", '"a\\nb\\rc\\td"'],
  ["backspace and form feed (Go >= 1.22)", "\b\f", '"\\b\\f"'],
  ["other control chars", "\u0000\u0001\u001f", '"\\u0000\\u0001\\u001f"'],
  ["DEL stays raw", "\u007f", '"\u007f"'],
  ["line and paragraph separators", "\u2028\u2029", '"\\u2028\\u2029"'],
  ["non-ASCII raw", "héllo ✓ 😀", '"héllo ✓ 😀"'],
  ["lone high surrogate", "a\ud800b", '"a\\ufffdb"'],
  ["lone low surrogate", "\udc00", '"\\ufffd"'],
  ["high surrogate at end", "x\ud83d", '"x\\ufffd"'],
  ["U+FFFD itself raw", "\ufffd", '"\ufffd"'],
  ["slash not escaped", "a/b", '"a/b"'],
];

for (const [name, input, want] of quoteCases) {
  Deno.test(`goQuote: ${name}`, () => strictEqual(goQuote(input), want));
}

Deno.test("goMarshal: struct order kept, undefined skipped, Map keys sorted", () => {
  strictEqual(
    goMarshal({
      z: 1,
      a: undefined,
      m: new Map<string, string>([["b", "2"], ["a", "1"], ["B", "0"]]),
      l: [true, false, null, "x"],
      e: [],
      o: {},
    }),
    '{"z":1,"m":{"B":"0","a":"1","b":"2"},"l":[true,false,null,"x"],"e":[],"o":{}}',
  );
});

Deno.test("goMarshal: numbers", () => {
  strictEqual(
    goMarshal([0, -0, 12345678901, -3, 1.5]),
    "[0,0,12345678901,-3,1.5]",
  );
  throws(() => goMarshal(NaN), InvalidArtifactError);
  throws(() => goMarshal(Infinity), InvalidArtifactError);
});

Deno.test("compareCodePoints: UTF-8 byte order, not UTF-16 unit order", () => {
  // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 9F 98 80);
  // as UTF-16 units the emoji's surrogate D83D would sort first.
  deepStrictEqual(["😀", "～", "a"].sort(compareCodePoints), ["a", "～", "😀"]);
  deepStrictEqual(["ab", "a", "b"].sort(compareCodePoints), ["a", "ab", "b"]);
});

Deno.test("goCompact: whitespace removed, strings kept, HTML escaped", () => {
  strictEqual(
    goCompact('{ "a" : [ 1 , 2.50e3 ] ,\n\t"b":"<x> &\\u0041 \u2028" }'),
    '{"a":[1,2.50e3],"b":"\\u003cx\\u003e \\u0026\\u0041 \\u2028"}',
  );
  strictEqual(goCompact('"a \\" b"'), '"a \\" b"');
  throws(() => goCompact("{"), InvalidArtifactError);
});

Deno.test("goMarshal: RawJson embedded compacted", () => {
  strictEqual(
    goMarshal({ c: new RawJson(new TextEncoder().encode('{ "k": [ ] }')) }),
    '{"c":{"k":[]}}',
  );
});

Deno.test("goIndent: Go's MarshalIndent layout", () => {
  strictEqual(
    goIndent('{"a":[1,2],"b":{},"c":[],"d":{"e":"x, y: {z}"}}'),
    '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {},\n  "c": [],\n  "d": {\n    "e": "x, y: {z}"\n  }\n}',
  );
  strictEqual(goIndent('"s"'), '"s"');
  strictEqual(goIndent('["a\\"]"]'), '[\n  "a\\"]"\n]');
});

const parseErrors: [string, string, string][] = [
  ["empty", "", "unexpected end of JSON input"],
  [
    "not json",
    "not json",
    "invalid character 'o' in literal null (expecting 'u')",
  ],
  ["truncated object", '{"a":', "unexpected end of JSON input"],
  ["bad start", "?", "invalid character '?' looking for beginning of value"],
  ["trailing data", "{} x", "invalid character 'x' after top-level value"],
  ["missing colon", '{"a" 1}', "invalid character '1' after object key"],
  [
    "trailing comma",
    '{"a":1,}',
    "invalid character '}' looking for beginning of object key string",
  ],
  ["array junk", "[1 2]", "invalid character '2' after array element"],
  ["bad escape", '"\\x"', "invalid character 'x' in string escape code"],
  [
    "control char in string",
    '"a\nb"',
    "invalid character '\\n' in string literal",
  ],
  ["leading zero", "01", "invalid character '1' after top-level value"],
  ["bare minus", "-", "unexpected end of JSON input"],
  [
    "byte order mark",
    "\ufeff{}",
    "invalid character '\\ufeff' looking for beginning of value",
  ],
  [
    "single quotes",
    "{'a':1}",
    "invalid character '\\'' looking for beginning of object key string",
  ],
];

for (const [name, input, message] of parseErrors) {
  Deno.test(`parseGoJson error: ${name}`, () => {
    throws(() => parseGoJson(input), (e: unknown) => {
      strictEqual((e as Error).message, message);
      return e instanceof InvalidArtifactError;
    });
  });
}

Deno.test("parseGoJson: BOM in bytes is not stripped", () => {
  throws(
    () => parseGoJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])),
    InvalidArtifactError,
  );
});

Deno.test("parseGoJson: trailing data allowed on request (json.Decoder)", () => {
  deepStrictEqual(parseGoJson('{"a":1} garbage', { allowTrailing: true }), {
    type: "object",
    entries: [["a", { type: "number", text: "1" }]],
  });
});

Deno.test("parseGoJson: surrogate escapes", () => {
  const v = (s: string) => toPlainValue(parseGoJson(s));
  strictEqual(v('"\\ud83d\\ude00"'), "😀");
  strictEqual(v('"\\ud83d"'), "\ufffd");
  strictEqual(v('"\\ud83dx"'), "\ufffdx");
  strictEqual(v('"\\ud83d\\u0041"'), "\ufffdA");
  strictEqual(v('"\\ude00"'), "\ufffd");
  strictEqual(v('"\\u00e9\\/"'), "é/");
});

Deno.test("parseGoJson: nesting deeper than 1000 levels is refused", () => {
  throws(
    () => parseGoJson("[".repeat(1002) + "]".repeat(1002)),
    /exceeded max depth/,
  );
  strictEqual(parseGoJson("[".repeat(1000) + "]".repeat(1000)).type, "array");
});

Deno.test("toPlainValue: __proto__ keys are data, not prototypes", () => {
  const v = toPlainValue(
    parseGoJson('{"__proto__":{"polluted":true}}'),
  ) as Record<string, unknown>;
  deepStrictEqual(Object.keys(v), ["__proto__"]);
  strictEqual(({} as Record<string, unknown>).polluted, undefined);
});

interface S {
  skills?: string[];
  name?: string;
}
const decodeS = (json: string) =>
  decodeStruct<S>(parseGoJson(json), {}, { struct: "S", field: "" }, "S", {
    skills: decodeStringSlice,
    name: (n, prev, p) => (n.type === "string" ? n.value : prev ?? p.field),
  });

const structCases: [string, string, S | undefined][] = [
  ["case-insensitive keys", '{"SKILLS":["a"],"Name":"n"}', {
    skills: ["a"],
    name: "n",
  }],
  ["last duplicate wins", '{"skills":["a"],"Skills":["b"]}', { skills: ["b"] }],
  ["last duplicate wins (other order)", '{"Skills":["b"],"skills":["a"]}', {
    skills: ["a"],
  }],
  ["Kelvin sign folds to k", '{"s\u212aills":["k"]}', { skills: ["k"] }],
  ["long s folds to s", '{"\u017fkills":["s"]}', { skills: ["s"] }],
  ["unknown keys ignored", '{"other":1,"skillz":[]}', {}],
  ["null slice clears", '{"skills":["a"],"skills":null}', {}],
  [
    "null element keeps previous element",
    '{"skills":["a","b"],"skills":[null]}',
    { skills: ["a"] },
  ],
  ["null element is empty string", '{"skills":[null,"x"]}', {
    skills: ["", "x"],
  }],
  ["top-level null", "null", {}],
];

for (const [name, json, want] of structCases) {
  Deno.test(`decodeStruct: ${name}`, () =>
    deepStrictEqual(decodeS(json), want));
}

Deno.test("decodeStruct: type mismatch has Go's wording", () => {
  throws(
    () => decodeS('{"skills":"x"}'),
    {
      message:
        "json: cannot unmarshal string into Go struct field S.skills of type []string",
    },
  );
  throws(
    () => decodeS('{"skills":[1]}'),
    {
      message:
        "json: cannot unmarshal number into Go struct field S.skills of type string",
    },
  );
  throws(() => decodeS("[]"), {
    message: "json: cannot unmarshal array into Go value of type S",
  });
});
