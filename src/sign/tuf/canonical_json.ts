/**
 * OLPC canonical JSON (http://wiki.laptop.org/go/Canonical_JSON), the
 * byte form TUF signs a metadata file's `signed` object in: no
 * whitespace, object keys sorted, integers only, and in strings only `"`
 * and `\` escaped (every other character, control characters included,
 * as it is).
 *
 * @module
 */

/**
 * The canonical JSON text of `value`. Throws a `TypeError` for what the
 * dialect cannot express: non-integer numbers, `undefined`, functions,
 * symbols, bigints.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, 0);
  return out.join("");
}

/** Deeper than any metadata file: a guard against hostile nesting. */
const MAX_DEPTH = 64;

function string(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function write(value: unknown, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new TypeError("canonical JSON: nested too deeply");
  }
  if (value === null) {
    out.push("null");
  } else if (typeof value === "boolean") {
    out.push(value ? "true" : "false");
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`canonical JSON: ${value} is not an integer`);
    }
    out.push(Object.is(value, -0) ? "0" : String(value));
  } else if (typeof value === "string") {
    out.push(string(value));
  } else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((v, i) => {
      if (i > 0) out.push(",");
      write(v, out, depth + 1);
    });
    out.push("]");
  } else if (typeof value === "object") {
    out.push("{");
    const record = value as Record<string, unknown>;
    Object.keys(record).sort().forEach((k, i) => {
      if (i > 0) out.push(",");
      out.push(string(k), ":");
      write(record[k], out, depth + 1);
    });
    out.push("}");
  } else {
    throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`);
  }
}
