/**
 * The TUF client workflow (specification 1.0, §5 "Detailed client
 * workflow") for one target of a repository's top-level targets: update
 * the root by walking `N+1.root.json` until the mirror has none (each
 * signed by a threshold of the old and of its own root keys, version
 * N+1), then the timestamp (threshold, no rollback of its version nor of
 * the snapshot version it names, not expired), the snapshot (the length,
 * hashes and version the timestamp names, no rollback of the targets
 * versions, not expired), the targets (the version the snapshot names,
 * not expired), and the target's length and hashes. Consistent snapshots
 * name metadata `<version>.<role>.json` and targets `<hash>.<name>`.
 * Delegated targets roles are not walked: a target must be listed by the
 * top-level targets role (sigstore's `trusted_root.json` is).
 *
 * @module
 */
import { tufError, type TufFailure } from "./errors.ts";
import { download, type DownloadOptions } from "./download.ts";
import {
  checkLengthAndHashes,
  isExpired,
  type KeyCache,
  type Metadata,
  parseMetadata,
  type RoleName,
  type SignedCommon,
  verifyRole,
} from "./metadata.ts";
import type { TufStore } from "./store.ts";

/** Largest metadata files and target accepted (tuf-js's defaults). */
export const TUF_LIMITS = {
  root: 512_000,
  timestamp: 16_384,
  snapshot: 2_000_000,
  targets: 5_000_000,
  target: 5_000_000,
} as const;

/** Most root versions walked in one update. */
export const MAX_ROOT_ROTATIONS = 256;

/** What {@linkcode updateAndFetchTarget} needs. */
export interface UpdateOptions extends DownloadOptions {
  /** Base URL of the metadata (no trailing slash). */
  metadataUrl: string;
  /** Base URL of the targets (no trailing slash). */
  targetsUrl: string;
  /** The root of trust (root.json) to start from. */
  initialRoot: Uint8Array;
  /** Local copies of the metadata and targets. */
  store: TufStore;
  /**
   * Use a cached timestamp that verifies and has not expired without
   * asking the mirror (no root update either).
   */
  forceCache: boolean;
}

/** A target fetched and verified. */
export interface FetchedTarget {
  /** Its bytes. */
  bytes: Uint8Array;
  /** When the metadata vouching for it expires first (epoch ms). */
  expires: number;
}

class Update {
  readonly keys: KeyCache = new Map();
  readonly now = Date.now();
  root!: Metadata<"root">;
  timestamp?: Metadata<"timestamp">;
  snapshot?: Metadata<"snapshot">;
  targets?: Metadata<"targets">;

  readonly o: UpdateOptions;

  constructor(o: UpdateOptions) {
    this.o = o;
  }

  get consistent(): boolean {
    return this.root.signed.consistent_snapshot === true;
  }

  fail(file: string, reason: TufFailure, detail: string): never {
    throw tufError(file, reason, detail);
  }

  async fetch(file: string, url: string, max: number): Promise<Uint8Array> {
    const bytes = await download(url, file, max, this.o);
    if (!bytes) this.fail(file, "unavailable", `${url}: not found`);
    return bytes;
  }

  /** A local copy that parses and verifies with the trusted root, if any. */
  async local<R extends RoleName>(
    type: R,
    max: number,
  ): Promise<Metadata<R> | undefined> {
    const file = `${type}.json`;
    const bytes = await this.o.store.read(file, max);
    if (!bytes) return undefined;
    try {
      const m = parseMetadata(bytes, type, `cached ${file}`);
      await verifyRole(m, this.root.signed, type, `cached ${file}`, this.keys);
      return m;
    } catch {
      return undefined;
    }
  }

  async loadTrustedRoot(): Promise<void> {
    const initial = parseMetadata(
      this.o.initialRoot,
      "root",
      "initial root.json",
    );
    await verifyRole(
      initial,
      initial.signed,
      "root",
      "initial root.json",
      this.keys,
      "itself",
    );
    this.root = initial;
    const cached = await this.o.store.read("root.json", TUF_LIMITS.root);
    if (!cached) return;
    try {
      const m = parseMetadata(cached, "root", "cached root.json");
      await verifyRole(m, m.signed, "root", "cached root.json", this.keys);
      if (m.signed.version >= initial.signed.version) this.root = m;
    } catch {
      // A damaged cache is no reason to fail: the initial root stands.
    }
  }

  /** §5.3: walk root versions N+1, N+2, … until the mirror has none. */
  async updateRoot(): Promise<void> {
    const first = this.root.signed.version + 1;
    for (let v = first; v < first + MAX_ROOT_ROTATIONS; v++) {
      const file = `${v}.root.json`;
      const bytes = await download(
        `${this.o.metadataUrl}/${file}`,
        file,
        TUF_LIMITS.root,
        this.o,
      );
      if (!bytes) break;
      const next = parseMetadata(bytes, "root", file);
      const old = this.root.signed.version;
      await verifyRole(
        next,
        this.root.signed,
        "root",
        file,
        this.keys,
        `the trusted root (version ${old})`,
      );
      if (next.signed.version !== v) {
        this.fail(
          file,
          "rollback",
          `version ${next.signed.version}, want ${v}`,
        );
      }
      await verifyRole(
        next,
        next.signed,
        "root",
        file,
        this.keys,
        "the new root",
      );
      this.root = next;
      await this.o.store.write("root.json", bytes);
    }
    this.checkRootNotExpired();
  }

  checkRootNotExpired(): void {
    if (isExpired(this.root.signed, this.now)) {
      this.fail(
        `${this.root.signed.version}.root.json`,
        "expired",
        `the newest root (version ${this.root.signed.version}) expired ${this.root.signed.expires}`,
      );
    }
  }

  /** §5.4. */
  async updateTimestamp(): Promise<void> {
    const previous = await this.local("timestamp", TUF_LIMITS.timestamp);
    const file = "timestamp.json";
    const bytes = await this.fetch(
      file,
      `${this.o.metadataUrl}/${file}`,
      TUF_LIMITS.timestamp,
    );
    const next = parseMetadata(bytes, "timestamp", file);
    await verifyRole(next, this.root.signed, "timestamp", file, this.keys);
    let fresh = true;
    if (previous) {
      const was = previous.signed.version;
      const is = next.signed.version;
      if (is < was) {
        this.fail(
          file,
          "rollback",
          `version ${is}, lower than the trusted ${was}`,
        );
      }
      const wasSnap = previous.signed.meta["snapshot.json"].version;
      const isSnap = next.signed.meta["snapshot.json"].version;
      if (isSnap < wasSnap) {
        this.fail(
          file,
          "rollback",
          `names snapshot version ${isSnap}, lower than the trusted ${wasSnap}`,
        );
      }
      fresh = is > was;
    }
    this.timestamp = fresh ? next : previous!;
    this.checkTimestampNotExpired(file);
    if (fresh) await this.o.store.write(file, bytes);
  }

  checkTimestampNotExpired(file: string): void {
    const t = this.timestamp!.signed;
    if (isExpired(t, this.now)) {
      this.fail(file, "expired", `version ${t.version} expired ${t.expires}`);
    }
  }

  /**
   * The version `namedBy` (the timestamp, the snapshot) named, and not
   * expired: else a rollback or a freeze.
   */
  checkNamedAndCurrent(
    file: string,
    signed: SignedCommon,
    named: number,
    namedBy: string,
  ): void {
    if (signed.version !== named) {
      this.fail(
        file,
        "rollback",
        `version ${signed.version}, the ${namedBy} names ${named}`,
      );
    }
    if (isExpired(signed, this.now)) {
      this.fail(
        file,
        "expired",
        `version ${signed.version} expired ${signed.expires}`,
      );
    }
  }

  /** §5.5. */
  async updateSnapshot(): Promise<void> {
    const meta = this.timestamp!.signed.meta["snapshot.json"];
    const previous = await this.local("snapshot", TUF_LIMITS.snapshot);
    if (
      previous && previous.signed.version === meta.version &&
      !isExpired(previous.signed, this.now)
    ) {
      this.snapshot = previous;
      return;
    }
    const file = this.consistent
      ? `${meta.version}.snapshot.json`
      : "snapshot.json";
    const bytes = await this.fetch(
      file,
      `${this.o.metadataUrl}/${file}`,
      meta.length ?? TUF_LIMITS.snapshot,
    );
    await checkLengthAndHashes(bytes, meta, file);
    const next = parseMetadata(bytes, "snapshot", file);
    await verifyRole(next, this.root.signed, "snapshot", file, this.keys);
    if (previous) {
      for (const [name, was] of Object.entries(previous.signed.meta)) {
        const is = Object.hasOwn(next.signed.meta, name)
          ? next.signed.meta[name]
          : undefined;
        if (!is) this.fail(file, "rollback", `${name} is no longer listed`);
        if (is.version < was.version) {
          this.fail(
            file,
            "rollback",
            `names ${name} version ${is.version}, lower than the trusted ${was.version}`,
          );
        }
      }
    }
    this.checkNamedAndCurrent(file, next.signed, meta.version, "timestamp");
    this.snapshot = next;
    await this.o.store.write("snapshot.json", bytes);
  }

  /** §5.6 (top-level targets only). */
  async updateTargets(): Promise<void> {
    const meta = this.snapshot!.signed.meta["targets.json"];
    const check = async (bytes: Uint8Array, file: string) => {
      await checkLengthAndHashes(bytes, meta, file);
      const m = parseMetadata(bytes, "targets", file);
      await verifyRole(m, this.root.signed, "targets", file, this.keys);
      this.checkNamedAndCurrent(file, m.signed, meta.version, "snapshot");
      return m;
    };
    const max = meta.length ?? TUF_LIMITS.targets;
    const cached = await this.o.store.read("targets.json", max);
    if (cached) {
      try {
        this.targets = await check(cached, "cached targets.json");
        return;
      } catch {
        // stale or damaged: fetched again
      }
    }
    const file = this.consistent
      ? `${meta.version}.targets.json`
      : "targets.json";
    const bytes = await this.fetch(file, `${this.o.metadataUrl}/${file}`, max);
    this.targets = await check(bytes, file);
    await this.o.store.write("targets.json", bytes);
  }

  /** §5.7. */
  async target(path: string): Promise<Uint8Array> {
    const targets = this.targets!.signed.targets;
    const info = Object.hasOwn(targets, path) ? targets[path] : undefined;
    if (!info) {
      this.fail(
        path,
        "missing",
        `not listed by targets.json version ${this.targets!.signed.version}`,
      );
    }
    if (info.length > TUF_LIMITS.target) {
      this.fail(
        path,
        "too-large",
        `${info.length} bytes listed, at most ${TUF_LIMITS.target} allowed`,
      );
    }
    const name = `targets/${encodeURIComponent(path)}`;
    const cached = await this.o.store.read(name, info.length);
    if (cached) {
      try {
        await checkLengthAndHashes(cached, info, path);
        return cached;
      } catch {
        // stale: fetched again
      }
    }
    let remote = path;
    if (this.consistent) {
      const hash = info.hashes.sha256 ?? Object.values(info.hashes)[0];
      const slash = path.lastIndexOf("/");
      remote = `${path.slice(0, slash + 1)}${hash}.${path.slice(slash + 1)}`;
    }
    const url = `${this.o.targetsUrl}/${
      remote.split("/").map(encodeURIComponent).join("/")
    }`;
    const bytes = await this.fetch(path, url, info.length);
    await checkLengthAndHashes(bytes, info, path);
    await this.o.store.write(name, bytes);
    return bytes;
  }

  expires(): number {
    return Math.min(
      ...[this.root, this.timestamp!, this.snapshot!, this.targets!].map((m) =>
        Date.parse(m.signed.expires)
      ),
    );
  }
}

/**
 * Updates the repository's metadata from `options.initialRoot` (and the
 * local copies) and returns the target `path`, verified. Throws a
 * `TufError` naming the file and what failed.
 */
export async function updateAndFetchTarget(
  path: string,
  options: UpdateOptions,
): Promise<FetchedTarget> {
  const u = new Update(options);
  await u.loadTrustedRoot();
  let cachedTimestamp = false;
  if (options.forceCache) {
    // As tuf-js: a cached timestamp that verifies and has not expired
    // (under a root that has not) stands without asking the mirror.
    const t = await u.local("timestamp", TUF_LIMITS.timestamp);
    if (
      t && !isExpired(t.signed, u.now) && !isExpired(u.root.signed, u.now)
    ) {
      u.timestamp = t;
      cachedTimestamp = true;
    }
  }
  if (!cachedTimestamp) {
    await u.updateRoot();
    await u.updateTimestamp();
  }
  await u.updateSnapshot();
  await u.updateTargets();
  const bytes = await u.target(path);
  return { bytes, expires: u.expires() };
}
