/**
 * JSON decoding with Go's `encoding/json` semantics, which plugin.json,
 * config blobs and manifests written for the Go module rely on: object keys
 * match field names case-insensitively, every occurrence of a key is applied
 * in document order (so the last wins), `null` leaves strings and booleans
 * untouched but clears slices, maps and pointers, unknown keys are ignored,
 * and a value of the wrong type is an error.
 *
 * The parser keeps objects as ordered entry lists so those rules can be
 * applied exactly; `JSON.parse` would merge duplicate keys first.
 *
 * @module
 */
import { InvalidArtifactError } from "../errors.ts";

/** A parsed JSON value that keeps object entries in document order. */
export type JsonNode =
  | { type: "null" }
  | { type: "bool"; value: boolean }
  | { type: "number"; text: string }
  | { type: "string"; value: string }
  | { type: "array"; items: JsonNode[] }
  | { type: "object"; entries: [string, JsonNode][] };

/** Options of {@linkcode parseGoJson}. */
export interface ParseGoJsonOptions {
  /**
   * Ignore anything after the first value, as Go's `json.Decoder.Decode`
   * does (manifests are read that way). Default: an error, as `json.Unmarshal`.
   */
  allowTrailing?: boolean;
}

/**
 * Nesting limit. Go allows 10000 levels; the recursive parser would run out
 * of stack well before that (Workers have small stacks), and no document
 * read here nests more than a few levels.
 */
const MAX_DEPTH = 1000;

/** Go's `quoteChar`: the character as `strconv.Quote` spells it. */
function describeChar(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return "'\"'";
  const named: Record<string, string> = {
    "\x07": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
  };
  if (ch in named) return `'${named[ch]}'`;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) {
    return "'\\x" + cp.toString(16).padStart(2, "0") + "'";
  }
  if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad || cp === 0xfeff) {
    return "'\\u" + cp.toString(16).padStart(4, "0") + "'";
  }
  return `'${ch}'`;
}

class Parser {
  #s: string;
  #i = 0;
  constructor(s: string) {
    this.#s = s;
  }

  #fail(context: string): never {
    if (this.#i >= this.#s.length) {
      throw new InvalidArtifactError("unexpected end of JSON input");
    }
    const ch = String.fromCodePoint(this.#s.codePointAt(this.#i)!);
    throw new InvalidArtifactError(
      `invalid character ${describeChar(ch)} ${context}`,
    );
  }

  #skipSpace(): void {
    const s = this.#s;
    while (this.#i < s.length) {
      const c = s.charCodeAt(this.#i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.#i++;
    }
  }

  parse(allowTrailing: boolean): JsonNode {
    const v = this.#value(0);
    this.#skipSpace();
    if (!allowTrailing && this.#i < this.#s.length) {
      this.#fail("after top-level value");
    }
    return v;
  }

  #value(depth: number): JsonNode {
    this.#skipSpace();
    if (depth > MAX_DEPTH) {
      throw new InvalidArtifactError("exceeded max depth");
    }
    const c = this.#s[this.#i];
    switch (c) {
      case "{":
        return this.#object(depth + 1);
      case "[":
        return this.#array(depth + 1);
      case '"':
        return { type: "string", value: this.#string() };
      case "t":
        this.#literal("true");
        return { type: "bool", value: true };
      case "f":
        this.#literal("false");
        return { type: "bool", value: false };
      case "n":
        this.#literal("null");
        return { type: "null" };
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return this.#number();
        this.#fail("looking for beginning of value");
    }
  }

  #literal(word: string): void {
    for (let k = 0; k < word.length; k++, this.#i++) {
      if (this.#s[this.#i] !== word[k]) {
        this.#fail(`in literal ${word} (expecting '${word[k]}')`);
      }
    }
  }

  #number(): JsonNode {
    const s = this.#s;
    const start = this.#i;
    const digits = () => {
      const from = this.#i;
      while (s[this.#i] >= "0" && s[this.#i] <= "9") this.#i++;
      return this.#i - from;
    };
    if (s[this.#i] === "-") this.#i++;
    if (s[this.#i] === "0") {
      this.#i++;
    } else if (digits() === 0) {
      this.#fail("in numeric literal");
    }
    if (s[this.#i] === ".") {
      this.#i++;
      if (digits() === 0) this.#fail("after decimal point in numeric literal");
    }
    if (s[this.#i] === "e" || s[this.#i] === "E") {
      this.#i++;
      if (s[this.#i] === "+" || s[this.#i] === "-") this.#i++;
      if (digits() === 0) this.#fail("in exponent of numeric literal");
    }
    return { type: "number", text: s.slice(start, this.#i) };
  }

  #hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const d = parseInt(this.#s[this.#i] ?? "", 16);
      if (Number.isNaN(d)) this.#fail("in \\u hexadecimal character escape");
      v = v * 16 + d;
      this.#i++;
    }
    return v;
  }

  #string(): string {
    const s = this.#s;
    this.#i++; // opening quote
    let out = "";
    let start = this.#i;
    for (;;) {
      if (this.#i >= s.length) this.#fail("in string literal");
      const c = s.charCodeAt(this.#i);
      if (c === 0x22) {
        out += s.slice(start, this.#i);
        this.#i++;
        return out;
      }
      if (c < 0x20) this.#fail("in string literal");
      if (c !== 0x5c) {
        this.#i++;
        continue;
      }
      out += s.slice(start, this.#i);
      this.#i++;
      const e = s[this.#i];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.#i++;
      } else if (e === "u") {
        this.#i++;
        const u = this.#hex4();
        if (u >= 0xd800 && u < 0xdc00 && s.startsWith("\\u", this.#i)) {
          // A high surrogate only pairs with an escaped low surrogate;
          // anything else makes it invalid, which Go replaces with U+FFFD.
          const save = this.#i;
          this.#i += 2;
          const low = this.#hex4();
          if (low >= 0xdc00 && low < 0xe000) {
            out += String.fromCharCode(u, low);
          } else {
            out += "\ufffd";
            this.#i = save;
          }
        } else if (u >= 0xd800 && u < 0xe000) {
          out += "\ufffd";
        } else {
          out += String.fromCharCode(u);
        }
      } else {
        this.#fail("in string escape code");
      }
      start = this.#i;
    }
  }

  #array(depth: number): JsonNode {
    this.#i++;
    const items: JsonNode[] = [];
    this.#skipSpace();
    if (this.#s[this.#i] === "]") {
      this.#i++;
      return { type: "array", items };
    }
    for (;;) {
      items.push(this.#value(depth));
      this.#skipSpace();
      const c = this.#s[this.#i];
      if (c === ",") {
        this.#i++;
      } else if (c === "]") {
        this.#i++;
        return { type: "array", items };
      } else {
        this.#fail("after array element");
      }
    }
  }

  #object(depth: number): JsonNode {
    this.#i++;
    const entries: [string, JsonNode][] = [];
    this.#skipSpace();
    if (this.#s[this.#i] === "}") {
      this.#i++;
      return { type: "object", entries };
    }
    for (;;) {
      this.#skipSpace();
      if (this.#s[this.#i] !== '"') {
        this.#fail("looking for beginning of object key string");
      }
      const key = this.#string();
      this.#skipSpace();
      if (this.#s[this.#i] !== ":") this.#fail("after object key");
      this.#i++;
      entries.push([key, this.#value(depth)]);
      this.#skipSpace();
      const c = this.#s[this.#i];
      if (c === ",") {
        this.#i++;
      } else if (c === "}") {
        this.#i++;
        return { type: "object", entries };
      } else {
        this.#fail("after object key:value pair");
      }
    }
  }
}

/**
 * Decodes UTF-8 bytes for JSON parsing. A byte-order mark is kept (Go
 * rejects it as an invalid character) and invalid sequences become U+FFFD,
 * as Go does inside strings.
 */
export function decodeUtf8(bytes: Uint8Array | string): string {
  return typeof bytes === "string"
    ? bytes
    : new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/**
 * Parses JSON with Go's syntax rules and Go-worded errors
 * (`unexpected end of JSON input`, `invalid character 'o' in literal null
 * (expecting 'u')`, …), thrown as {@linkcode InvalidArtifactError}.
 */
export function parseGoJson(
  input: Uint8Array | string,
  options: ParseGoJsonOptions = {},
): JsonNode {
  return new Parser(decodeUtf8(input)).parse(options.allowTrailing ?? false);
}

/**
 * Folds a JSON key the way Go matches it against a field name (ASCII case
 * folding plus the two non-ASCII runes that fold to ASCII letters: the
 * Kelvin sign K and the long s ſ).
 */
export function foldKey(key: string): string {
  let out = "";
  for (const ch of key) {
    if (ch === "\u212a") out += "k";
    else if (ch === "\u017f") out += "s";
    else if (ch >= "A" && ch <= "Z") out += ch.toLowerCase();
    else out += ch;
  }
  return out;
}

/** Where a value sits, for Go-worded type errors. */
export interface DecodePath {
  /** Go struct name (`Plugin`, `Manifest`, …). */
  struct: string;
  /** Dotted JSON field path inside it (`author.name`), "" at the top. */
  field: string;
}

/** Go's word for the kind of a JSON value in type errors. */
function jsonKind(node: JsonNode): string {
  switch (node.type) {
    case "bool":
      return "bool";
    case "number":
      return "number";
    case "string":
      return "string";
    case "array":
      return "array";
    case "object":
      return "object";
    default:
      return "null";
  }
}

/**
 * Throws Go's `json: cannot unmarshal <kind> into Go struct field
 * <Struct>.<field> of type <type>` error.
 */
export function typeError(
  node: JsonNode,
  path: DecodePath,
  goType: string,
  what = jsonKind(node),
): never {
  const where = path.field === ""
    ? `Go value of type ${goType}`
    : `Go struct field ${path.struct}.${path.field} of type ${goType}`;
  throw new InvalidArtifactError(
    `json: cannot unmarshal ${what} into ${where}`,
  );
}

function child(path: DecodePath, name: string): DecodePath {
  return {
    struct: path.struct,
    field: path.field === "" ? name : `${path.field}.${name}`,
  };
}

/** Decodes into a Go `string`: `null` keeps `prev`. */
export function decodeString(
  node: JsonNode,
  prev: string | undefined,
  path: DecodePath,
): string | undefined {
  if (node.type === "null") return prev;
  if (node.type !== "string") typeError(node, path, "string");
  return node.value;
}

/** Decodes into a Go `bool`: `null` keeps `prev`. */
export function decodeBool(
  node: JsonNode,
  prev: boolean | undefined,
  path: DecodePath,
): boolean | undefined {
  if (node.type === "null") return prev;
  if (node.type !== "bool") typeError(node, path, "bool");
  return node.value;
}

/** Decodes into a Go `int`/`int64`: `null` keeps `prev`. */
export function decodeInt(
  node: JsonNode,
  prev: number | undefined,
  path: DecodePath,
  goType = "int64",
): number | undefined {
  if (node.type === "null") return prev;
  if (node.type !== "number") typeError(node, path, goType);
  const n = Number(node.text);
  if (!/^-?\d+$/.test(node.text) || !Number.isSafeInteger(n)) {
    typeError(node, path, goType, `number ${node.text}`);
  }
  return n;
}

/**
 * Decodes into a Go slice: `null` clears it; elements are decoded over the
 * previous slice's elements, as Go reuses them.
 */
export function decodeSlice<T>(
  node: JsonNode,
  prev: T[] | undefined,
  path: DecodePath,
  goType: string,
  element: (item: JsonNode, prev: T | undefined, path: DecodePath) => T,
): T[] | undefined {
  if (node.type === "null") return undefined;
  if (node.type !== "array") typeError(node, path, goType);
  return node.items.map((item, i) => element(item, prev?.[i], path));
}

/** Decodes into a Go `[]string` (a `null` element stays `""`). */
export function decodeStringSlice(
  node: JsonNode,
  prev: string[] | undefined,
  path: DecodePath,
): string[] | undefined {
  return decodeSlice(
    node,
    prev,
    path,
    "[]string",
    (item, p, ep) => decodeString(item, p, ep) ?? "",
  );
}

/**
 * Decodes into a Go `map[string]string`: `null` clears it, an object is
 * merged into the previous map (Go reuses it), `null` values become `""`.
 */
export function decodeStringMap(
  node: JsonNode,
  prev: Record<string, string> | undefined,
  path: DecodePath,
): Record<string, string> | undefined {
  if (node.type === "null") return undefined;
  if (node.type !== "object") typeError(node, path, "map[string]string");
  const out: Record<string, string> = { ...prev };
  for (const [k, v] of node.entries) {
    out[k] = decodeString(v, undefined, child(path, k)) ?? "";
  }
  return out;
}

/**
 * Field decoders of a Go struct, by JSON field name. Each gets the value and
 * the field's current value and returns the new one.
 */
export type FieldDecoders<T> = {
  [K in keyof T]?: (
    node: JsonNode,
    prev: T[K] | undefined,
    path: DecodePath,
  ) => T[K] | undefined;
};

/**
 * Decodes a JSON object into a struct: each entry, in document order, is
 * matched case-insensitively against `fields` and applied over the current
 * value (so the last of duplicate keys wins); unknown keys are ignored.
 * `null` returns `prev` unchanged unless `pointer` is set (then it clears).
 */
export function decodeStruct<T extends object>(
  node: JsonNode,
  prev: T | undefined,
  path: DecodePath,
  goType: string,
  fields: FieldDecoders<T>,
  pointer = false,
): T | undefined {
  if (node.type === "null") return pointer ? undefined : prev;
  if (node.type !== "object") typeError(node, path, goType);
  const byFold = new Map<string, keyof T>();
  for (const name of Object.keys(fields) as (keyof T & string)[]) {
    byFold.set(foldKey(name), name);
  }
  const out = { ...prev } as T;
  for (const [key, value] of node.entries) {
    const name = byFold.get(foldKey(key));
    if (name === undefined) continue;
    const next = fields[name]!(value, out[name], child(path, String(name)));
    if (next === undefined) delete out[name];
    else out[name] = next as T[keyof T];
  }
  return out;
}

/**
 * Converts a node to a plain JavaScript value (objects keep the last of
 * duplicate keys, as `JSON.parse` does).
 */
export function toPlainValue(node: JsonNode): unknown {
  switch (node.type) {
    case "null":
      return null;
    case "bool":
    case "string":
      return node.value;
    case "number":
      return Number(node.text);
    case "array":
      return node.items.map(toPlainValue);
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.entries) {
        Object.defineProperty(out, k, {
          value: toPlainValue(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}
