/**
 * TUF metadata (specification 1.0): the four top-level roles parsed and
 * checked for shape, signature thresholds verified through Web Crypto
 * (`ecdsa-sha2-nistp256` keys as PEM SPKI or hex points, `ed25519` keys as
 * hex or PEM; signatures hex, ECDSA ones DER) over the canonical JSON of
 * `signed`, expiry, and the length and hashes a parent names.
 *
 * @module
 */
import { derToP1363 } from "../der_signature.ts";
import { bufferOf, parsePem } from "../keys.ts";
import { canonicalJson } from "./canonical_json.ts";
import { tufError } from "./errors.ts";

/** A public key of a root (`keys` entry). */
export interface TufKey {
  /** `ecdsa`, `ecdsa-sha2-nistp256`, `ed25519`, … */
  keytype: string;
  /** The signature scheme, e.g. `ecdsa-sha2-nistp256`, `ed25519`. */
  scheme: string;
  /** `public`: PEM SPKI or hex. */
  keyval: { public?: string };
}

/** The keys and threshold of a role. */
export interface RoleKeys {
  /** Key ids (as given, never recomputed). */
  keyids: string[];
  /** How many of them must have signed. */
  threshold: number;
}

/** Fields every `signed` object has. */
export interface SignedCommon {
  /** `root`, `timestamp`, `snapshot` or `targets`. */
  _type: string;
  /** `1.x.y`. */
  spec_version: string;
  /** Version of this role's metadata. */
  version: number;
  /** ISO 8601 expiry. */
  expires: string;
}

/** `signed` of root.json. */
export interface RootSigned extends SignedCommon {
  /** Whether files are named by version (metadata) and hash (targets). */
  consistent_snapshot?: boolean;
  /** Keys by id. */
  keys: Record<string, TufKey>;
  /** The top-level roles' keys. */
  roles: Record<string, RoleKeys>;
}

/** What a parent says of a metadata file. */
export interface MetaFile {
  /** Its version. */
  version: number;
  /** Its length in bytes, when given. */
  length?: number;
  /** Its hashes (hex) by algorithm, when given. */
  hashes?: Record<string, string>;
}

/** `signed` of timestamp.json. */
export interface TimestampSigned extends SignedCommon {
  /** `snapshot.json`'s version (length, hashes). */
  meta: { "snapshot.json": MetaFile };
}

/** `signed` of snapshot.json. */
export interface SnapshotSigned extends SignedCommon {
  /** Targets metadata files' versions. */
  meta: Record<string, MetaFile>;
}

/** A target file of targets.json. */
export interface TargetFile {
  /** Length in bytes. */
  length: number;
  /** Hashes (hex) by algorithm. */
  hashes: Record<string, string>;
}

/** `signed` of targets.json. */
export interface TargetsSigned extends SignedCommon {
  /** Target files by path. */
  targets: Record<string, TargetFile>;
}

/** The top-level roles. */
export type RoleName = "root" | "timestamp" | "snapshot" | "targets";

interface SignedOf {
  root: RootSigned;
  timestamp: TimestampSigned;
  snapshot: SnapshotSigned;
  targets: TargetsSigned;
}

/** A parsed metadata file. */
export interface Metadata<R extends RoleName> {
  /** The role's content. */
  signed: SignedOf[R];
  /** Its signatures. */
  signatures: { keyid: string; sig: string }[];
  /** The canonical JSON of `signed`, what the signatures sign. */
  canonical: Uint8Array;
  /** The file as received. */
  bytes: Uint8Array;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min;
}

function checkMetaFile(v: unknown, what: string): string | undefined {
  if (!isRecord(v) || !isCount(v.version, 1)) {
    return `${what}: no version`;
  }
  if (v.length !== undefined && !isCount(v.length, 0)) {
    return `${what}: bad length`;
  }
  if (v.hashes !== undefined && !isHashes(v.hashes)) {
    return `${what}: bad hashes`;
  }
  return undefined;
}

function isHashes(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.keys(v).length > 0 &&
    Object.values(v).every((h) => typeof h === "string");
}

function shapeError(
  type: RoleName,
  s: Record<string, unknown>,
): string | undefined {
  if (s._type !== type) {
    return `_type is ${JSON.stringify(s._type)}, want "${type}"`;
  }
  if (typeof s.spec_version !== "string" || !/^1\./.test(s.spec_version)) {
    return `unsupported spec_version ${JSON.stringify(s.spec_version)}`;
  }
  if (!isCount(s.version, 1)) return "no version";
  if (typeof s.expires !== "string" || Number.isNaN(Date.parse(s.expires))) {
    return "no expiry";
  }
  switch (type) {
    case "root": {
      if (!isRecord(s.keys) || !isRecord(s.roles)) return "no keys or roles";
      for (const [id, k] of Object.entries(s.keys)) {
        if (
          !isRecord(k) || typeof k.keytype !== "string" ||
          typeof k.scheme !== "string" || !isRecord(k.keyval)
        ) return `key ${id} is malformed`;
      }
      for (const role of ["root", "timestamp", "snapshot", "targets"]) {
        const r = s.roles[role];
        if (
          !isRecord(r) || !Array.isArray(r.keyids) ||
          !r.keyids.every((id) => typeof id === "string") ||
          !isCount(r.threshold, 1)
        ) return `role ${role} is malformed`;
      }
      if (
        s.consistent_snapshot !== undefined &&
        typeof s.consistent_snapshot !== "boolean"
      ) return "consistent_snapshot is not a boolean";
      return undefined;
    }
    case "timestamp":
      if (!isRecord(s.meta)) return "no meta";
      return checkMetaFile(s.meta["snapshot.json"], "meta snapshot.json");
    case "snapshot":
      if (!isRecord(s.meta)) return "no meta";
      for (const [name, m] of Object.entries(s.meta)) {
        const bad = checkMetaFile(m, `meta ${name}`);
        if (bad) return bad;
      }
      if (!s.meta["targets.json"]) return "no meta targets.json";
      return undefined;
    case "targets":
      if (!isRecord(s.targets)) return "no targets";
      for (const [path, t] of Object.entries(s.targets)) {
        if (!isRecord(t) || !isCount(t.length, 0) || !isHashes(t.hashes)) {
          return `target ${path} is malformed`;
        }
      }
      return undefined;
  }
}

/**
 * `bytes` parsed as the metadata file `file` of role `type`. Throws a
 * `TufError` (`malformed`) when it is not JSON, not of that type, or
 * lacks what the role needs.
 */
export function parseMetadata<R extends RoleName>(
  bytes: Uint8Array,
  type: R,
  file: string,
): Metadata<R> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw tufError(file, "malformed", "not JSON", e);
  }
  if (
    !isRecord(doc) || !isRecord(doc.signed) || !Array.isArray(doc.signatures)
  ) {
    throw tufError(file, "malformed", "not TUF metadata (signed, signatures)");
  }
  const bad = shapeError(type, doc.signed);
  if (bad) throw tufError(file, "malformed", bad);
  const signatures: { keyid: string; sig: string }[] = [];
  for (const s of doc.signatures) {
    if (
      !isRecord(s) || typeof s.keyid !== "string" || typeof s.sig !== "string"
    ) {
      throw tufError(file, "malformed", "malformed signature entry");
    }
    signatures.push({ keyid: s.keyid, sig: s.sig });
  }
  let canonical: string;
  try {
    canonical = canonicalJson(doc.signed);
  } catch (e) {
    throw tufError(file, "malformed", (e as Error).message, e);
  }
  return {
    signed: doc.signed as unknown as SignedOf[R],
    signatures,
    canonical: new TextEncoder().encode(canonical),
    bytes,
  };
}

/** Whether `signed` has expired at `now` (epoch ms): `now >= expires`. */
export function isExpired(signed: SignedCommon, now: number): boolean {
  return now >= Date.parse(signed.expires);
}

function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface ImportedKey {
  key: CryptoKey;
  ecdsa: boolean;
}

/** Imported keys of one update, by key id and key material. */
export type KeyCache = Map<string, Promise<ImportedKey | undefined>>;

async function importKey(k: TufKey): Promise<ImportedKey | undefined> {
  const pub = k.keyval.public;
  if (typeof pub !== "string") return undefined;
  const pem = pub.includes("-----BEGIN");
  const ecdsa =
    (k.keytype === "ecdsa" || k.keytype === "ecdsa-sha2-nistp256") &&
    k.scheme === "ecdsa-sha2-nistp256";
  const ed25519 = k.keytype === "ed25519" && k.scheme === "ed25519";
  if (!ecdsa && !ed25519) return undefined;
  const algorithm = ecdsa
    ? { name: "ECDSA", namedCurve: "P-256" }
    : { name: "Ed25519" };
  try {
    if (pem) {
      const { label, der } = parsePem(pub);
      if (label !== "PUBLIC KEY") return undefined;
      return {
        key: await crypto.subtle.importKey(
          "spki",
          bufferOf(der),
          algorithm,
          false,
          ["verify"],
        ),
        ecdsa,
      };
    }
    const raw = fromHex(pub);
    if (!raw) return undefined;
    return {
      key: await crypto.subtle.importKey(
        "raw",
        bufferOf(raw),
        algorithm,
        false,
        ["verify"],
      ),
      ecdsa,
    };
  } catch {
    return undefined;
  }
}

async function verifyOne(
  imported: ImportedKey,
  sigHex: string,
  data: Uint8Array,
): Promise<boolean> {
  let sig = fromHex(sigHex);
  if (!sig || sig.length === 0) return false;
  try {
    if (imported.ecdsa) {
      // DER as the specification's implementations write it; a bare
      // 64-byte r || s is taken too.
      if (!(sig.length === 64 && sig[0] !== 0x30)) sig = derToP1363(sig);
      return await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        imported.key,
        bufferOf(sig),
        bufferOf(data),
      );
    }
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      imported.key,
      bufferOf(sig),
      bufferOf(data),
    );
  } catch {
    return false;
  }
}

/**
 * How many distinct keys of `role` in `root` have a verifying signature
 * on `metadata`.
 */
export async function countVerified(
  metadata: Metadata<RoleName>,
  root: RootSigned,
  role: RoleName,
  keys: KeyCache,
): Promise<number> {
  const spec = root.roles[role];
  let count = 0;
  for (const keyid of new Set(spec.keyids)) {
    const key = Object.hasOwn(root.keys, keyid) ? root.keys[keyid] : undefined;
    if (!key) continue;
    const cacheKey =
      `${keyid}\n${key.keytype}\n${key.scheme}\n${key.keyval.public}`;
    let imported = keys.get(cacheKey);
    if (!imported) {
      imported = importKey(key);
      keys.set(cacheKey, imported);
    }
    const k = await imported;
    if (!k) continue;
    for (const s of metadata.signatures) {
      if (s.keyid !== keyid) continue;
      if (await verifyOne(k, s.sig, metadata.canonical)) {
        count++;
        break;
      }
    }
  }
  return count;
}

/**
 * Checks that signatures of at least `threshold` keys of `role` in
 * `root` verify on `metadata`; else a `TufError` (`untrusted`) naming
 * `file` and `by` (whose keys: `the trusted root`, `the new root`).
 */
export async function verifyRole(
  metadata: Metadata<RoleName>,
  root: RootSigned,
  role: RoleName,
  file: string,
  keys: KeyCache,
  by = "the trusted root",
): Promise<void> {
  const count = await countVerified(metadata, root, role, keys);
  const { threshold, keyids } = root.roles[role];
  if (count < threshold) {
    throw tufError(
      file,
      "untrusted",
      `signatures of ${count} of the ${
        new Set(keyids).size
      } ${role} keys of ${by} verify, ${threshold} needed`,
    );
  }
}

const HASHES: Record<string, string> = {
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

/**
 * Checks `bytes` against the length and hashes `meta` names (each only
 * when given; a target must give both): a `TufError` (`mismatch`) when one
 * differs, (`malformed`) for a hash algorithm other than sha256, sha384,
 * sha512.
 */
export async function checkLengthAndHashes(
  bytes: Uint8Array,
  meta: { length?: number; hashes?: Record<string, string> },
  file: string,
): Promise<void> {
  if (meta.length !== undefined && bytes.length !== meta.length) {
    throw tufError(
      file,
      "mismatch",
      `length ${bytes.length}, want ${meta.length}`,
    );
  }
  for (const [algorithm, want] of Object.entries(meta.hashes ?? {})) {
    const name = HASHES[algorithm];
    if (!name) {
      throw tufError(file, "malformed", `unsupported hash ${algorithm}`);
    }
    const got = toHex(
      new Uint8Array(await crypto.subtle.digest(name, bufferOf(bytes))),
    );
    if (got !== want.toLowerCase()) {
      throw tufError(file, "mismatch", `${algorithm} ${got}, want ${want}`);
    }
  }
}
