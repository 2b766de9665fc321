/**
 * The Go cache's index file format (so klausctl and this library can share
 * a cache directory): 2-space indented JSON with
 * the key inside (checked on read) and `fetched_at` as RFC 3339. Anything
 * that does not parse into the expected shape for the expected key is a
 * miss, never an error.
 *
 * @module
 */
import { isValidDigest } from "../oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../oci/media_types.ts";
import type { IndexKind, IndexRecord, IndexRecordOf } from "./backend.ts";

/** Encodes an entry as the Go cache writes it. */
export function encodeIndexJson(record: IndexRecord): string {
  let body: Record<string, unknown>;
  switch (record.kind) {
    case "refs": {
      const d = record.descriptor;
      body = { key: record.key, digest: d.digest };
      if (d.size) body.size = d.size;
      if (d.mediaType) body.media_type = d.mediaType;
      if (record.etag) body.etag = record.etag;
      break;
    }
    case "tags":
      body = { key: record.key, tags: record.tags };
      if (record.etag) body.etag = record.etag;
      break;
    case "catalog":
      body = { key: record.key, repos: record.repositories };
      break;
  }
  body.fetched_at = new Date(record.fetchedAt).toISOString();
  return JSON.stringify(body, null, 2) + "\n";
}

// Go writes nanoseconds and a zone offset; Date.parse wants at most
// milliseconds on every runtime.
const RFC3339 =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

/** Epoch milliseconds of an RFC 3339 timestamp, or NaN. */
export function parseRfc3339(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return NaN;
  const frac = m[2] ? "." + m[2].slice(0, 3).padEnd(3, "0") : "";
  return Date.parse(`${m[1]}${frac}${m[3].toUpperCase()}`);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/**
 * Decodes an index file for `key`, or `undefined` when it is garbage, of
 * another shape, or stored for another key.
 */
export function decodeIndexJson<K extends IndexKind>(
  kind: K,
  key: string,
  text: string,
): IndexRecordOf<K> | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object" || v.key !== key) return undefined;
  const fetchedAt = typeof v.fetched_at === "string"
    ? parseRfc3339(v.fetched_at)
    : NaN;
  if (!Number.isFinite(fetchedAt)) return undefined;
  if (v.etag !== undefined && typeof v.etag !== "string") return undefined;
  const etag = v.etag ? v.etag as string : undefined;
  let record: IndexRecord;
  switch (kind as IndexKind) {
    case "refs": {
      const size = v.size ?? 0;
      const mediaType = v.media_type ?? MEDIA_TYPE_OCI_MANIFEST;
      if (
        typeof v.digest !== "string" || !isValidDigest(v.digest) ||
        typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 ||
        typeof mediaType !== "string"
      ) {
        return undefined;
      }
      record = {
        kind: "refs",
        key,
        fetchedAt,
        etag,
        descriptor: { mediaType, digest: v.digest, size },
      };
      break;
    }
    case "tags": {
      const tags = v.tags ?? [];
      if (!isStringArray(tags)) return undefined;
      record = { kind: "tags", key, fetchedAt, etag, tags };
      break;
    }
    case "catalog": {
      const repos = v.repos ?? [];
      if (!isStringArray(repos)) return undefined;
      record = { kind: "catalog", key, fetchedAt, repositories: repos };
      break;
    }
  }
  if (record.etag === undefined) delete record.etag;
  return record as IndexRecordOf<K>;
}
