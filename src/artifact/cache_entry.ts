/**
 * The `.oci-cache.json` file a pull leaves in its destination: which
 * manifest digest the directory holds, plus the config blob and annotations
 * so a later pull of the same digest can answer without the network. The
 * Go module and klausctl read and write the same file, so its format is
 * Go's `json.MarshalIndent` of the Go `CacheEntry`.
 *
 * @module
 */
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError, NotFoundError } from "../errors.ts";
import { errorCode, fsErrorText } from "./fs_error.ts";
import { goIndent, type GoJsonValue, goMarshal, RawJson } from "./go_json.ts";
import {
  type DecodePath,
  decodeString,
  decodeStringMap,
  decodeStruct,
  type JsonNode,
  parseGoJson,
  toPlainValue,
  typeError,
} from "./go_json_parse.ts";
import type { CacheEntry } from "./types.ts";

/** Name of the per-destination cache file. */
export const CACHE_FILE_NAME = ".oci-cache.json";

/** Go's zero `time.Time`, what a file without `pulledAt` decodes to. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

const RFC3339 =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * `date` as Go marshals a local `time.Time`: RFC 3339 with the fractional
 * seconds trimmed of trailing zeros (none when whole) and the local offset
 * (`Z` when it is zero).
 */
export function formatGoTime(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const t = new Date(date.getTime() + offset * 60_000);
  let s =
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${
      pad(t.getUTCDate())
    }` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${
      pad(t.getUTCSeconds())
    }`;
  const ms = t.getUTCMilliseconds();
  if (ms !== 0) s += "." + pad(ms, 3).replace(/0+$/, "");
  if (offset === 0) return s + "Z";
  const abs = Math.abs(offset);
  return `${s}${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${
    pad(abs % 60)
  }`;
}

function toGoJsonValue(value: unknown, path: string): GoJsonValue {
  if (
    value === null || typeof value === "boolean" || typeof value === "string" ||
    typeof value === "number"
  ) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => toGoJsonValue(v ?? null, `${path}[${i}]`));
  }
  if (
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const out: Record<string, GoJsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toGoJsonValue(v, `${path}.${k}`);
    }
    return out;
  }
  throw new InvalidArtifactError(`json: unsupported value at ${path}`);
}

/**
 * What {@linkcode writeCacheEntry} takes: a {@linkcode CacheEntry} whose
 * `pulledAt` is replaced by the current time, and whose `configJSON` may
 * also be the raw config blob bytes (kept exactly, re-indented, as Go keeps
 * a `json.RawMessage`).
 *
 * @example
 * ```ts
 * import type { CacheEntryInput } from "@klaus/oci";
 * const entry: CacheEntryInput = {
 *   digest: `sha256:${"a".repeat(64)}`,
 *   ref: "example.com/plugins/hello:v1.0.0",
 *   configJSON: new TextEncoder().encode('{"name":"hello"}'),
 * };
 * console.log(entry.ref);
 * ```
 */
export type CacheEntryInput = Omit<CacheEntry, "pulledAt" | "configJSON"> & {
  pulledAt?: string;
  configJSON?: unknown;
};

/**
 * Writes `dir/.oci-cache.json` atomically (a temporary file renamed over
 * it): keys `digest`, `ref`, `pulledAt` (now), `configJSON` (nested),
 * `annotations` (sorted), indented by two spaces without a trailing
 * newline — the bytes Go's `json.MarshalIndent` writes. Raw config bytes
 * that are not JSON are an error, as in Go.
 *
 * @example
 * ```ts
 * import { readCacheEntry, writeCacheEntry } from "@klaus/oci";
 * const dir = await Deno.makeTempDir();
 * await writeCacheEntry(dir, { digest: "sha256:abc", ref: "example.com/p/x:v1", configJSON: { commands: ["hello"] } });
 * console.log((await readCacheEntry(dir)).digest); // sha256:abc
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCacheEntry(
  dir: string,
  entry: CacheEntryInput,
): Promise<void> {
  const pulledAt = formatGoTime(new Date());
  let config: GoJsonValue | undefined;
  if (entry.configJSON instanceof Uint8Array) {
    config = entry.configJSON.byteLength > 0
      ? new RawJson(entry.configJSON)
      : undefined;
  } else if (entry.configJSON !== undefined) {
    config = toGoJsonValue(entry.configJSON, "configJSON");
  }
  const annotations =
    entry.annotations && Object.keys(entry.annotations).length > 0
      ? new Map(Object.entries(entry.annotations))
      : undefined;
  const text = goIndent(goMarshal({
    digest: entry.digest,
    ref: entry.ref,
    pulledAt,
    configJSON: config,
    annotations,
  }));
  const path = join(dir, CACHE_FILE_NAME);
  const temp = join(
    dir,
    `${CACHE_FILE_NAME}.${crypto.randomUUID().slice(0, 8)}.tmp`,
  );
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => {});
    throw e;
  }
}

function decodeTime(
  node: JsonNode,
  prev: string | undefined,
  path: DecodePath,
): string | undefined {
  if (node.type === "null") return prev;
  if (node.type !== "string") typeError(node, path, "time.Time");
  if (!RFC3339.test(node.value)) {
    throw new InvalidArtifactError(
      `parsing time ${JSON.stringify(node.value)} as RFC 3339`,
    );
  }
  return node.value;
}

/**
 * Decodes `.oci-cache.json` text with Go's rules (keys case-insensitive,
 * unknown keys ignored, `pulledAt` must be RFC 3339).
 */
export function parseCacheEntry(text: Uint8Array | string): CacheEntry {
  const decoded = decodeStruct<CacheEntry>(
    parseGoJson(text),
    undefined,
    { struct: "CacheEntry", field: "" },
    "oci.CacheEntry",
    {
      digest: decodeString,
      ref: decodeString,
      pulledAt: decodeTime,
      configJSON: (node) => toPlainValue(node),
      annotations: decodeStringMap,
    },
  );
  const entry: CacheEntry = {
    digest: decoded?.digest ?? "",
    ref: decoded?.ref ?? "",
    pulledAt: decoded?.pulledAt ?? ZERO_TIME,
  };
  if (decoded?.configJSON !== undefined) entry.configJSON = decoded.configJSON;
  if (decoded?.annotations !== undefined) {
    entry.annotations = decoded.annotations;
  }
  return entry;
}

/**
 * Reads `dir/.oci-cache.json`. A missing file is a {@linkcode NotFoundError};
 * an unreadable or invalid one an {@linkcode InvalidArtifactError}.
 *
 * @example
 * ```ts
 * import { readCacheEntry } from "@klaus/oci";
 * try {
 *   console.log((await readCacheEntry("./plugins/base")).digest);
 * } catch {
 *   console.log("not pulled yet");
 * }
 * ```
 */
export async function readCacheEntry(dir: string): Promise<CacheEntry> {
  const path = join(dir, CACHE_FILE_NAME);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const Err = errorCode(e) === "ENOENT"
      ? NotFoundError
      : InvalidArtifactError;
    throw new Err(fsErrorText(path, e), { cause: e });
  }
  return parseCacheEntry(bytes);
}

/**
 * Whether `dir` holds the artifact with manifest digest `digest` according
 * to its `.oci-cache.json`; false when the file is missing or unreadable.
 *
 * @example
 * ```ts
 * import { isCached } from "@klaus/oci";
 * console.log(await isCached("./plugins/base", "sha256:…"));
 * ```
 */
export async function isCached(dir: string, digest: string): Promise<boolean> {
  try {
    return (await readCacheEntry(dir)).digest === digest;
  } catch {
    return false;
  }
}

/**
 * Whether `dir` holds a `.oci-cache.json` file at all — the mark of a
 * directory some pull made, valid or not. Pulls only replace directories
 * that are empty or carry it, unless asked to overwrite.
 */
export async function hasCacheFile(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, CACHE_FILE_NAME))).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `dir` is a complete pulled copy: its `.oci-cache.json` is valid
 * and names a digest (the entry is the last thing a pull writes).
 */
export async function isCompletePull(dir: string): Promise<boolean> {
  try {
    return (await readCacheEntry(dir)).digest !== "";
  } catch {
    return false;
  }
}

/**
 * When the pulled copy in `dir` was made: its cache entry's `pulledAt` in
 * ms since the epoch, `undefined` without a valid entry.
 */
export async function pulledAtOf(dir: string): Promise<number | undefined> {
  try {
    const t = Date.parse((await readCacheEntry(dir)).pulledAt);
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}
