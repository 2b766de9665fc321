/**
 * A TUF repository the tests sign themselves (Web Crypto keys: ECDSA P-256
 * with PEM SPKI public keys and DER signatures, Ed25519 with hex keys), and
 * a loopback server for it whose files the tests may alter, drop, replace
 * or make hang. Metadata is signed over the canonical JSON of `signed`
 * (our encoder: what it signs must be what the client checks — the
 * public-good root's real signatures and the @tufjs/repo-mock repository
 * check it independently).
 */
import { canonicalJson } from "../../src/sign/tuf/canonical_json.ts";
import { encodeBase64 } from "../../src/sign/keys.ts";

/** A signing key of the test repository. */
export interface TestKey {
  /** Its key id (any string: the client takes ids as given). */
  id: string;
  /** Its `keys` entry. */
  json: { keytype: string; scheme: string; keyval: { public: string } };
  /** A hex signature over `data`. */
  sign(data: Uint8Array): Promise<string>;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let keyCount = 0;

/** An ECDSA P-256 key (PEM SPKI, DER signatures), as sigstore's. */
export async function ecdsaKey(): Promise<TestKey> {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", pair.publicKey),
  );
  const pem = `-----BEGIN PUBLIC KEY-----\n${
    encodeBase64(spki).match(/.{1,64}/g)!.join("\n")
  }\n-----END PUBLIC KEY-----\n`;
  return {
    id: `ecdsa-${++keyCount}`,
    json: {
      keytype: "ecdsa",
      scheme: "ecdsa-sha2-nistp256",
      keyval: { public: pem },
    },
    async sign(data) {
      const raw = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          pair.privateKey,
          data as Uint8Array<ArrayBuffer>,
        ),
      );
      return hex(derOf(raw));
    },
  };
}

function derInt(b: Uint8Array): number[] {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = [...b.subarray(i)];
  if (v[0] & 0x80) v.unshift(0);
  return [0x02, v.length, ...v];
}

function derOf(raw: Uint8Array): Uint8Array {
  const body = [...derInt(raw.subarray(0, 32)), ...derInt(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

/** An Ed25519 key (hex public key), as python-tuf writes them. */
export async function ed25519Key(): Promise<TestKey> {
  const pair = await crypto.subtle.generateKey(
    { name: "Ed25519" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const raw = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  return {
    id: `ed25519-${++keyCount}`,
    json: {
      keytype: "ed25519",
      scheme: "ed25519",
      keyval: { public: hex(raw) },
    },
    async sign(data) {
      return hex(
        new Uint8Array(
          await crypto.subtle.sign(
            { name: "Ed25519" },
            pair.privateKey,
            data as Uint8Array<ArrayBuffer>,
          ),
        ),
      );
    },
  };
}

/** `{ signed, signatures }` bytes, signed by each of `keys`. */
export async function signMetadata(
  signed: Record<string, unknown>,
  keys: readonly TestKey[],
): Promise<Uint8Array> {
  const data = new TextEncoder().encode(canonicalJson(signed));
  const signatures = [];
  for (const k of keys) {
    signatures.push({ keyid: k.id, sig: await k.sign(data) });
  }
  return new TextEncoder().encode(
    JSON.stringify({ signatures, signed }, null, 1),
  );
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return hex(
    new Uint8Array(
      await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
    ),
  );
}

/** Expiry `days` from now (negative: in the past). */
export function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace(
    /\.\d+Z$/,
    "Z",
  );
}

/** The keys of the four roles (and their thresholds) of one root version. */
export interface RootSpec {
  version: number;
  expires?: string;
  root: TestKey[];
  rootThreshold?: number;
  timestamp: TestKey[];
  snapshot: TestKey[];
  targets: TestKey[];
  targetsThreshold?: number;
  consistent?: boolean;
}

/** The `signed` of a root. */
export function rootSigned(spec: RootSpec): Record<string, unknown> {
  const all = [
    ...spec.root,
    ...spec.timestamp,
    ...spec.snapshot,
    ...spec.targets,
  ];
  const role = (keys: TestKey[], threshold = 1) => ({
    keyids: keys.map((k) => k.id),
    threshold,
  });
  return {
    _type: "root",
    spec_version: "1.0.31",
    version: spec.version,
    expires: spec.expires ?? inDays(365),
    consistent_snapshot: spec.consistent ?? true,
    keys: Object.fromEntries(all.map((k) => [k.id, k.json])),
    roles: {
      root: role(spec.root, spec.rootThreshold ?? spec.root.length),
      timestamp: role(spec.timestamp),
      snapshot: role(spec.snapshot),
      targets: role(spec.targets, spec.targetsThreshold ?? 1),
    },
  };
}

/** What one publication of the repository consists of. */
export interface Publication {
  timestampVersion?: number;
  snapshotVersion?: number;
  targetsVersion?: number;
  /** Expiries (default a year). */
  timestampExpires?: string;
  snapshotExpires?: string;
  targetsExpires?: string;
  /** The target's content. */
  target: string;
  /** Edit the signed bodies before signing. */
  editTimestamp?: (signed: Record<string, unknown>) => void;
  editSnapshot?: (signed: Record<string, unknown>) => void;
  editTargets?: (signed: Record<string, unknown>) => void;
  /** Sign with these instead of the root's keys. */
  timestampSigners?: TestKey[];
  targetsSigners?: TestKey[];
}

/** A test repository: its files by path and its keys. */
export class TestRepository {
  /** Files by URL path (`/1.root.json`, `/targets/<hash>.trusted_root.json`). */
  readonly files = new Map<string, Uint8Array>();
  /** Paths that never answer. */
  readonly hang = new Set<string>();
  /** Requests served, by path. */
  readonly requests: string[] = [];
  /** The current root. */
  spec: RootSpec;
  /** The first root's file (what a client starts from). */
  initialRoot = "";

  private constructor(spec: RootSpec) {
    this.spec = spec;
  }

  /**
   * A repository whose root (version 1) is signed by an ECDSA and an
   * Ed25519 key (threshold 2), timestamp by Ed25519, snapshot by ECDSA,
   * targets by both (threshold 1).
   */
  static async create(
    options: {
      consistent?: boolean;
      rootExpires?: string;
      targetsThreshold?: number;
    } = {},
  ): Promise<TestRepository> {
    const [r1, r2, ts, sn] = [
      await ecdsaKey(),
      await ed25519Key(),
      await ed25519Key(),
      await ecdsaKey(),
    ];
    const repo = new TestRepository({
      version: 1,
      expires: options.rootExpires,
      root: [r1, r2],
      timestamp: [ts],
      snapshot: [sn],
      targets: [r1, r2],
      targetsThreshold: options.targetsThreshold,
      consistent: options.consistent ?? true,
    });
    const bytes = await repo.signRoot(repo.spec, repo.spec.root);
    repo.initialRoot = new TextDecoder().decode(bytes);
    return repo;
  }

  /** Signs the root `spec` with `signers` and serves it as `<v>.root.json`. */
  async signRoot(spec: RootSpec, signers: TestKey[]): Promise<Uint8Array> {
    const bytes = await signMetadata(rootSigned(spec), signers);
    this.files.set(`/${spec.version}.root.json`, bytes);
    return bytes;
  }

  /** Publishes timestamp, snapshot, targets and the target. */
  async publish(p: Publication): Promise<void> {
    const consistent = this.spec.consistent ?? true;
    const target = new TextEncoder().encode(p.target);
    const targetHash = await sha256(target);
    const targetsSigned: Record<string, unknown> = {
      _type: "targets",
      spec_version: "1.0.31",
      version: p.targetsVersion ?? 1,
      expires: p.targetsExpires ?? inDays(365),
      targets: {
        "trusted_root.json": {
          length: target.length,
          hashes: { sha256: targetHash },
        },
      },
    };
    p.editTargets?.(targetsSigned);
    const targets = await signMetadata(
      targetsSigned,
      p.targetsSigners ?? this.spec.targets,
    );
    const targetsVersion = targetsSigned.version as number;
    const snapshotSigned: Record<string, unknown> = {
      _type: "snapshot",
      spec_version: "1.0.31",
      version: p.snapshotVersion ?? 1,
      expires: p.snapshotExpires ?? inDays(365),
      meta: { "targets.json": { version: targetsVersion } },
    };
    p.editSnapshot?.(snapshotSigned);
    const snapshot = await signMetadata(snapshotSigned, this.spec.snapshot);
    const snapshotVersion = snapshotSigned.version as number;
    const timestampSigned: Record<string, unknown> = {
      _type: "timestamp",
      spec_version: "1.0.31",
      version: p.timestampVersion ?? 1,
      expires: p.timestampExpires ?? inDays(1),
      meta: {
        "snapshot.json": {
          version: snapshotVersion,
          length: snapshot.length,
          hashes: { sha256: await sha256(snapshot) },
        },
      },
    };
    p.editTimestamp?.(timestampSigned);
    const timestamp = await signMetadata(
      timestampSigned,
      p.timestampSigners ?? this.spec.timestamp,
    );
    this.files.set("/timestamp.json", timestamp);
    this.files.set(
      consistent ? `/${snapshotVersion}.snapshot.json` : "/snapshot.json",
      snapshot,
    );
    this.files.set(
      consistent ? `/${targetsVersion}.targets.json` : "/targets.json",
      targets,
    );
    this.files.set(
      consistent
        ? `/targets/${targetHash}.trusted_root.json`
        : "/targets/trusted_root.json",
      target,
    );
  }

  /** The path the target is served at. */
  targetPath(): string {
    return [...this.files.keys()].find((p) => p.startsWith("/targets/"))!;
  }

  /** Serves the repository on loopback until `close`. */
  serve(): TufServer {
    const released = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        this.requests.push(path);
        if (this.hang.has(path)) {
          await new Promise((r) =>
            released.signal.addEventListener("abort", r, { once: true })
          );
          return new Response("late", { status: 503 });
        }
        const bytes = this.files.get(path);
        return bytes
          ? new Response(bytes as Uint8Array<ArrayBuffer>)
          : new Response("not found", { status: 404 });
      },
    );
    return {
      url: `http://127.0.0.1:${server.addr.port}`,
      async close() {
        released.abort();
        await server.shutdown();
      },
      async [Symbol.asyncDispose]() {
        await this.close();
      },
    };
  }
}

/** A running test TUF server. */
export interface TufServer extends AsyncDisposable {
  /** Its base URL (metadata at the root, targets below `/targets`). */
  url: string;
  /** Stops it (releasing hanging requests). */
  close(): Promise<void>;
}
