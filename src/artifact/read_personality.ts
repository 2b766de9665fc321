/**
 * Reading a personality's source directory: `personality.yaml` decoded the
 * way the Go module's YAML library (gopkg.in/yaml.v3) decodes it into its
 * struct, and `SOUL.md`.
 *
 * The decisive rule: a string field takes the scalar's text as written, so
 * `tag: 0.1.14`, `tag: 1.0`, `tag: 010` and `name: true` stay the strings
 * "0.1.14", "1.0", "010" and "true" — a JavaScript YAML schema would turn
 * them into numbers and booleans. The document is therefore parsed with the
 * failsafe schema (every scalar a string) and nulls are recognised here.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  Scalar,
} from "yaml";
import { InvalidArtifactError, wrapError } from "../errors.ts";
import { fsErrorText } from "./fs_error.ts";
import type {
  Author,
  Personality,
  PluginReference,
  ToolchainReference,
} from "./types.ts";

const NULL_TAG = "tag:yaml.org,2002:null";
const MERGE_TAG = "tag:yaml.org,2002:merge";
const PLAIN_NULLS = new Set(["", "~", "null", "Null", "NULL"]);
/** Bounds alias and merge-key chains, which may refer to themselves. */
const MAX_DEPTH = 64;
/**
 * Bounds alias resolutions per document: merge keys over aliases of maps
 * that merge aliases themselves grow exponentially (yaml.v3 refuses such
 * documents as "excessive aliasing" too).
 */
const MAX_ALIAS_RESOLUTIONS = 10_000;

/** A YAML type error, collected like yaml.v3 does and reported together. */
class Decoder {
  readonly errors: string[] = [];
  #doc: Document;
  #lines: LineCounter;
  #aliases = 0;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  line(node: Node | null | undefined): number {
    return this.#lines.linePos(node?.range?.[0] ?? 0).line;
  }

  /** Follows aliases to the node they name (`null` for YAML null). */
  resolve(node: unknown, depth = 0): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      if (++this.#aliases > MAX_ALIAS_RESOLUTIONS) {
        throw new InvalidArtifactError(
          "yaml: document contains excessive aliasing",
        );
      }
      const target = depth > MAX_DEPTH ? undefined : node.resolve(this.#doc);
      if (target === undefined) {
        throw new InvalidArtifactError(
          `yaml: unknown anchor '${node.source}' referenced`,
        );
      }
      return this.resolve(target, depth + 1);
    }
    return node as Node;
  }

  isNull(node: Node | null): boolean {
    if (node === null) return true;
    if (!isScalar(node)) return false;
    if (node.tag !== undefined) return node.tag === NULL_TAG;
    return node.type === Scalar.PLAIN && PLAIN_NULLS.has(scalarText(node));
  }

  /** yaml.v3's `cannot unmarshal !!kind into type` error. */
  mismatch(node: Node, goType: string): undefined {
    let what: string;
    if (isMap(node)) what = "!!map";
    else if (isSeq(node)) what = "!!seq";
    else {
      const s = node as Scalar;
      what = `${shortTag(s)} \`${scalarText(s)}\``;
    }
    this.errors.push(
      `line ${this.line(node)}: cannot unmarshal ${what} into ${goType}`,
    );
    return undefined;
  }

  /** A string field: the scalar's text; null → undefined. */
  string(raw: unknown): string | undefined {
    const node = this.resolve(raw);
    if (this.isNull(node)) return undefined;
    if (!isScalar(node)) return this.mismatch(node!, "string");
    return scalarText(node);
  }

  /**
   * A sequence decoded into a Go slice: null → undefined. yaml.v3 leaves
   * out every item that decodes to nothing — a null (`~`, `null`, an empty
   * item, an alias of one) cannot be stored in a string or a struct, so
   * `[a, null, ""]` becomes `["a", ""]`.
   */
  slice<T>(
    raw: unknown,
    goType: string,
    item: (node: unknown) => T | undefined,
  ): T[] | undefined {
    const node = this.resolve(raw);
    if (this.isNull(node)) return undefined;
    if (!isSeq(node)) return this.mismatch(node!, goType);
    const out: T[] = [];
    for (const raw of node.items) {
      const resolved = this.resolve(raw);
      if (this.isNull(resolved)) continue;
      const v = item(resolved);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  stringList(raw: unknown): string[] | undefined {
    return this.slice(raw, "[]string", (item) => this.string(item));
  }

  /**
   * The effective key/value pairs of a mapping, in order, with merge keys
   * (`<<: *anchor`) expanded: explicit keys win over merged ones, and an
   * earlier merged mapping wins over a later one. Duplicate keys are errors.
   */
  pairs(map: Node, depth = 0): [string, unknown, Node][] {
    if (!isMap(map)) return [];
    const explicit: [string, unknown, Node][] = [];
    const merges: unknown[] = [];
    const seen = new Map<string, number>();
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      const keyNode = this.resolve(pair.key);
      if (
        isScalar(keyNode) && keyNode.type === Scalar.PLAIN &&
        scalarText(keyNode) === "<<" &&
        (keyNode.tag === undefined || keyNode.tag === MERGE_TAG)
      ) {
        merges.push(pair.value);
        continue;
      }
      const keyId = isScalar(keyNode)
        ? "s:" + scalarText(keyNode)
        : isMap(keyNode)
        ? "map"
        : "seq";
      const line = this.line(keyNode ?? map);
      if (seen.has(keyId)) {
        this.errors.push(
          `line ${line}: mapping key ${
            JSON.stringify(isScalar(keyNode) ? scalarText(keyNode) : "")
          } already defined at line ${seen.get(keyId)}`,
        );
        continue;
      }
      seen.set(keyId, line);
      if (keyNode !== null && !isScalar(keyNode)) {
        this.mismatch(keyNode, "string");
        continue;
      }
      const key = this.isNull(keyNode) ? "" : scalarText(keyNode as Scalar);
      explicit.push([key, pair.value, keyNode ?? map]);
    }
    if (merges.length === 0) return explicit;
    if (depth > MAX_DEPTH) {
      throw new InvalidArtifactError("yaml: merge keys nested too deeply");
    }
    const taken = new Set(explicit.map(([k]) => k));
    const merged: [string, unknown, Node][] = [];
    const mergeFrom = (raw: unknown) => {
      const source = this.resolve(raw);
      if (!isMap(source)) {
        throw new InvalidArtifactError(
          `yaml: line ${
            this.line(source ?? map)
          }: map merge requires map or sequence of maps as the value`,
        );
      }
      for (const entry of this.pairs(source, depth + 1)) {
        if (taken.has(entry[0])) continue;
        taken.add(entry[0]);
        merged.push(entry);
      }
    };
    for (const raw of merges) {
      const value = this.resolve(raw);
      if (isSeq(value)) value.items.forEach(mergeFrom);
      else mergeFrom(value);
    }
    return [...merged, ...explicit];
  }

  /**
   * A struct field: mapping → decoded by `fields` (unknown keys ignored,
   * keys case-sensitive); null → undefined; anything else a type error.
   */
  struct<T extends object>(
    raw: unknown,
    goType: string,
    fields: { [K in keyof T]?: (value: unknown) => T[K] | undefined },
  ): T | undefined {
    const node = this.resolve(raw);
    if (this.isNull(node)) return undefined;
    if (!isMap(node)) return this.mismatch(node!, goType);
    const out = {} as T;
    for (const [key, value] of this.pairs(node)) {
      if (!Object.hasOwn(fields, key)) continue;
      const decode = fields[key as keyof T]!;
      const v = decode(value);
      if (v === undefined || v === "") delete out[key as keyof T];
      else out[key as keyof T] = v as T[keyof T];
    }
    return out;
  }

  reference(raw: unknown, goType: string): PluginReference | undefined {
    const r = this.struct<PluginReference>(raw, goType, {
      repository: (v) => this.string(v),
      tag: (v) => this.string(v),
      digest: (v) => this.string(v),
    });
    return r && { ...r, repository: r.repository ?? "" };
  }

  personality(raw: unknown): Personality {
    const p = this.struct<Personality>(raw, "oci.Personality", {
      name: (v) => this.string(v),
      description: (v) => this.string(v),
      author: (v) =>
        this.struct<Author>(v, "oci.Author", {
          name: (x) => this.string(x),
          email: (x) => this.string(x),
          url: (x) => this.string(x),
        }),
      homepage: (v) => this.string(v),
      repository: (v) => this.string(v),
      license: (v) => this.string(v),
      keywords: (v) => this.stringList(v),
      toolchain: (v) => {
        const t: ToolchainReference | undefined = this.reference(
          v,
          "oci.ToolchainReference",
        );
        return t && (t.repository || t.tag || t.digest) ? t : undefined;
      },
      plugins: (v) =>
        this.slice(
          v,
          "[]oci.PluginReference",
          (item) => this.reference(item, "oci.PluginReference"),
        ),
    }) ?? { name: "" };
    // `version` (and the legacy `image`) are not fields: the version is the tag.
    return { ...p, name: p.name ?? "" };
  }
}

/** The text yaml.v3 assigns to a string field: the scalar's value. */
function scalarText(node: Scalar): string {
  const v = node.value;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v); // !!binary
  return v === null || v === undefined ? "" : String(v);
}

/** yaml.v3's resolved short tag of a scalar, for error messages only. */
function shortTag(node: Scalar): string {
  if (node.tag !== undefined) {
    return node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
  }
  if (node.type !== Scalar.PLAIN) return "!!str";
  const s = scalarText(node);
  if (PLAIN_NULLS.has(s)) return "!!null";
  if (/^(true|True|TRUE|false|False|FALSE)$/.test(s)) return "!!bool";
  if (/^[-+]?(0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+)$/.test(s)) {
    return "!!int";
  }
  if (
    /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/
      .test(s)
  ) {
    return "!!float";
  }
  return "!!str";
}

/**
 * Decodes personality.yaml text as the Go module does with yaml.v3: only
 * the first document; keys case-sensitive; unknown keys (`version`, the
 * legacy `image`) ignored; string fields take the scalar text as written;
 * `null`, `~` and empty values are absent; duplicate keys, syntax errors and
 * values of the wrong type (`plugins: "x"`, `toolchain: "repo:tag"`) throw
 * an {@linkcode InvalidArtifactError} worded `yaml: …`. Null items of a
 * list are left out, as yaml.v3 leaves them out of a Go slice
 * (`keywords: [a, null]` gives `["a"]`, `plugins: [null]` no plugin). The
 * name is not checked here.
 */
export function parsePersonalityYaml(text: string): Personality {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: "failsafe",
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    lineCounter: lines,
  });
  const doc = Array.isArray(docs) ? docs[0] as Document | undefined : undefined;
  if (doc === undefined) return { name: "" };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    throw new InvalidArtifactError(
      `yaml: line ${lines.linePos(err.pos[0]).line}: ${err.message}`,
    );
  }
  const decoder = new Decoder(doc, lines);
  const personality = decoder.personality(doc.contents);
  if (decoder.errors.length > 0) {
    throw new InvalidArtifactError(
      "yaml: unmarshal errors:\n  " + decoder.errors.join("\n  "),
    );
  }
  return personality;
}

/**
 * Reads `personality.yaml` from a personality's source directory (the
 * {@linkcode Personality} fields, parsed as the Go module's YAML decoder
 * does) and requires a name. SOUL.md is not read
 * (it travels in the content layer) and the version stays unset (it is the
 * tag). Errors are {@linkcode InvalidArtifactError}s worded
 * `reading personality.yaml: …`, `parsing personality.yaml: …` or
 * `personality.yaml: name is required`.
 *
 * @example
 * ```ts
 * import { readPersonalityFromDir } from "@klaus/oci";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/personality.yaml`,
 *   [
 *     "name: sre",
 *     "toolchain:",
 *     "  repository: gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
 *     "  tag: v1.0.0",
 *     "plugins:",
 *     "  - repository: gsoci.azurecr.io/giantswarm/klaus-plugins/gs-base",
 *     "    tag: v0.1.0",
 *   ].join("\n"),
 * );
 *
 * const p = await readPersonalityFromDir(dir);
 * console.log(p.name, p.toolchain?.tag, p.plugins?.length); // sre v1.0.0 1
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readPersonalityFromDir(
  dir: string,
): Promise<Personality> {
  const path = join(dir, "personality.yaml");
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(path));
  } catch (e) {
    throw new InvalidArtifactError(
      `reading personality.yaml: ${fsErrorText(path, e)}`,
      { cause: e },
    );
  }
  let personality: Personality;
  try {
    personality = parsePersonalityYaml(text);
  } catch (e) {
    throw wrapError("parsing personality.yaml", e);
  }
  if (personality.name === "") {
    throw new InvalidArtifactError("personality.yaml: name is required");
  }
  return personality;
}
