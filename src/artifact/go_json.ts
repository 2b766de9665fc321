/**
 * JSON encoding byte-identical to Go's `encoding/json`: `json.Marshal`
 * (compact, HTML-escaping) and `json.MarshalIndent` (re-indentation of the
 * compact form). Config blobs and manifests are content-addressed, so the
 * same metadata must give the same bytes — and the same digest — whichever
 * implementation pushed it.
 *
 * @module
 */
import { InvalidArtifactError } from "../errors.ts";
import { parseGoJson } from "./go_json_parse.ts";
import { compareUtf8 } from "../_bytes.ts";

const HEX = "0123456789abcdef";

/**
 * Quotes `s` as Go's `encoding/json` does: `<`, `>`, `&` become `\u003c`,
 * `\u003e`, `\u0026`; U+2028 and U+2029 are escaped; control characters use
 * `\b \f \n \r \t` or `\u00XX`; lone surrogates (invalid UTF-8 for Go)
 * become `\ufffd`; everything else, DEL and non-ASCII included, stays raw.
 */
export function goQuote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x80) {
      if (
        c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e &&
        c !== 0x26
      ) {
        continue;
      }
      switch (c) {
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = "\\\\";
          break;
        case 0x08:
          esc = "\\b";
          break;
        case 0x0c:
          esc = "\\f";
          break;
        case 0x0a:
          esc = "\\n";
          break;
        case 0x0d:
          esc = "\\r";
          break;
        case 0x09:
          esc = "\\t";
          break;
        default:
          esc = "\\u00" + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? "\\u2028" : "\\u2029";
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      esc = "\\ufffd";
    } else {
      continue;
    }
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/**
 * Raw JSON text to embed as is (Go's `json.RawMessage`): validated, then
 * compacted and HTML-escaped like Go does when marshalling a RawMessage.
 */
export class RawJson {
  /** The JSON text. */
  readonly text: string;
  /** Wraps `text` (a string, or UTF-8 bytes). */
  constructor(text: string | Uint8Array) {
    this.text = typeof text === "string"
      ? text
      : new TextDecoder().decode(text);
  }
}

/**
 * A value {@linkcode goMarshal} can encode: plain objects keep their key
 * insertion order (like Go struct fields), `Map`s are emitted with keys
 * sorted byte-wise (like Go maps), `undefined` properties are skipped.
 */
export type GoJsonValue =
  | null
  | boolean
  | number
  | string
  | RawJson
  | readonly GoJsonValue[]
  | ReadonlyMap<string, GoJsonValue>
  | { readonly [key: string]: GoJsonValue | undefined };

/** Go sorts map keys by their UTF-8 bytes (`sort.Strings`). */
export const compareCodePoints: (a: string, b: string) => number = compareUtf8;

/**
 * Encodes `value` compactly, byte for byte as Go's `json.Marshal` would
 * encode the equivalent Go value. Non-integral numbers use the JavaScript
 * shortest form, which matches Go's for the values this library writes.
 */
export function goMarshal(value: GoJsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new InvalidArtifactError(
          `json: unsupported value: ${value}`,
        );
      }
      return Object.is(value, -0) ? "0" : String(value);
    case "string":
      return goQuote(value);
  }
  if (value instanceof RawJson) return goCompact(value.text);
  if (Array.isArray(value)) {
    return "[" + value.map((v) => goMarshal(v)).join(",") + "]";
  }
  if (value instanceof Map) {
    const keys = [...value.keys()].sort(compareCodePoints);
    return "{" +
      keys.map((k) => goQuote(k) + ":" + goMarshal(value.get(k)!)).join(",") +
      "}";
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(goQuote(k) + ":" + goMarshal(v as GoJsonValue));
  }
  return "{" + parts.join(",") + "}";
}

/**
 * Validates `text` as JSON and returns it compacted with `<`, `>`, `&`,
 * U+2028 and U+2029 escaped: what Go writes for a `json.RawMessage`. String
 * contents and number spellings are kept as written.
 */
export function goCompact(text: string): string {
  parseGoJson(text);
  let out = "";
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++;
      } else if (c === 0x22) {
        inString = false;
      } else if (c === 0x3c || c === 0x3e || c === 0x26) {
        out += text.slice(start, i) + "\\u00" + HEX[c >> 4] + HEX[c & 0xf];
        start = i + 1;
      } else if (c === 0x2028 || c === 0x2029) {
        out += text.slice(start, i) + (c === 0x2028 ? "\\u2028" : "\\u2029");
        start = i + 1;
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/**
 * Indents compact JSON like Go's `json.Indent` (and so `json.MarshalIndent`):
 * one element per line, `": "` after keys, empty objects and arrays kept as
 * `{}` and `[]`, no trailing newline.
 */
export function goIndent(compact: string, indent = "  ", prefix = ""): string {
  let out = "";
  let depth = 0;
  let needIndent = false;
  let inString = false;
  const newline = () => "\n" + prefix + indent.repeat(depth);
  for (let i = 0; i < compact.length; i++) {
    const ch = compact[i];
    if (inString) {
      out += ch;
      if (ch === "\\") {
        out += compact[++i];
      } else if (ch === '"') {
        inString = false;
      }
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") continue;
    if (needIndent && ch !== "]" && ch !== "}") {
      needIndent = false;
      depth++;
      out += newline();
    }
    switch (ch) {
      case '"':
        inString = true;
        out += ch;
        break;
      case "{":
      case "[":
        needIndent = true;
        out += ch;
        break;
      case ",":
        out += ch + newline();
        break;
      case ":":
        out += ": ";
        break;
      case "}":
      case "]":
        if (needIndent) {
          needIndent = false;
        } else {
          depth--;
          out += newline();
        }
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  return out;
}
