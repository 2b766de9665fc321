/**
 * The sigstore trusted root (`trusted_root.json`) through TUF, as cosign
 * and `sigstore verify` get it: a target of sigstore's TUF repository
 * (public-good mirror {@linkcode DEFAULT_TUF_MIRROR_URL}), reached from an
 * embedded initial root (or one given) by the TUF client workflow, the
 * metadata and target kept in a cache directory when one is given.
 * Pure Web Crypto and `fetch` (the directory cache alone needs a
 * filesystem).
 *
 * @module
 */
import { digestOf } from "../../oci/digest.ts";
import { DEFAULT_TUF_MIRROR_URL } from "./default_mirror.ts";
import { tufError } from "./errors.ts";
import { SIGSTORE_PUBLIC_GOOD_ROOT } from "./public_good_root.ts";
import { directoryStore, memoryStore } from "./store.ts";
import { updateAndFetchTarget } from "./updater.ts";

export { DEFAULT_TUF_MIRROR_URL };

/** The target holding the sigstore trusted root. */
export const TRUSTED_ROOT_TARGET = "trusted_root.json";

/** Deadline of one TUF request (headers and body) by default. */
export const DEFAULT_TUF_TIMEOUT_MS = 10_000;

/**
 * Where and how the trusted root is fetched through TUF
 * (`VerificationPolicy.tuf`).
 */
export interface TufOptions {
  /**
   * The TUF mirror: metadata at its root, targets below `/targets`
   * (default {@linkcode DEFAULT_TUF_MIRROR_URL}).
   */
  mirrorUrl?: string;
  /**
   * The initial `root.json` (JSON text) trust starts from. Default: the
   * embedded public-good root, for the public-good mirror only — another
   * mirror needs its own.
   */
  initialRoot?: string;
  /**
   * A directory to keep the metadata and the target in (a subdirectory
   * per mirror). Without one nothing is written: each process fetches
   * again (once: the result is kept in memory).
   */
  cacheDir?: string;
  /**
   * Use cached metadata that verifies and has not expired without asking
   * the mirror (`sigstore verify --tuf-force-cache`); the mirror is asked
   * when the cache cannot answer.
   */
  forceCache?: boolean;
  /**
   * Deadline of each request in milliseconds (default
   * {@linkcode DEFAULT_TUF_TIMEOUT_MS}).
   */
  timeoutMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/** How long a process reuses a trusted root fetched through TUF at most. */
export const TUF_MEMO_MS = 60 * 60_000;

interface Memo {
  promise: Promise<{ text: string; expires: number }>;
  until: number;
}

const memo = new Map<string, Memo>();
const MAX_MEMO = 16;

function mirrorOf(options: TufOptions): string {
  const raw = (options.mirrorUrl ?? DEFAULT_TUF_MIRROR_URL).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`TUF mirror URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`TUF mirror URL ${raw}: not http(s)`);
  }
  return raw;
}

function initialRootOf(options: TufOptions, mirror: string): string {
  if (options.initialRoot !== undefined) return options.initialRoot;
  if (mirror === DEFAULT_TUF_MIRROR_URL) return SIGSTORE_PUBLIC_GOOD_ROOT;
  throw new TypeError(
    `TUF mirror ${mirror} needs its initial root.json (tuf.initialRoot): the embedded one is the public-good repository's`,
  );
}

/**
 * The sigstore trusted root (`trusted_root.json` text, byte for byte as
 * the repository lists it) through TUF. Within a process it is fetched
 * once per mirror and initial root (concurrent callers share the
 * update), and again after an hour or when its metadata expires. Throws
 * a `TypeError` for a bad mirror URL or a mirror other than the
 * public-good one without `initialRoot`, a {@linkcode TufError} naming the
 * metadata file and what failed (signature threshold, expiry, rollback,
 * length or hash, size, deadline, the mirror's answer); `signal` rejects
 * with its reason.
 */
export async function fetchTrustedRoot(
  options: TufOptions = {},
  signal?: AbortSignal,
): Promise<string> {
  const mirror = mirrorOf(options);
  const initialRoot = initialRootOf(options, mirror);
  const key = `${mirror}\n${digestOf(new TextEncoder().encode(initialRoot))}`;
  const now = Date.now();
  let entry = memo.get(key);
  if (!entry || entry.until <= now) {
    const promise = update(options, mirror, initialRoot);
    entry = { promise, until: now + TUF_MEMO_MS };
    const stored = entry;
    memo.delete(key);
    memo.set(key, stored);
    while (memo.size > MAX_MEMO) memo.delete(memo.keys().next().value!);
    promise.then(
      (r) => stored.until = Math.min(stored.until, r.expires),
      () => {
        if (memo.get(key) === stored) memo.delete(key);
      },
    );
  }
  return (await raced(entry.promise, signal)).text;
}

/** Forgets what {@linkcode fetchTrustedRoot} keeps in memory (tests). */
export function clearTrustedRootMemo(): void {
  memo.clear();
}

async function raced<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return await work;
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function update(
  options: TufOptions,
  mirror: string,
  initialRoot: string,
): Promise<{ text: string; expires: number }> {
  const store = options.cacheDir !== undefined
    ? await directoryStore(options.cacheDir, mirror)
    : memoryStore();
  const { bytes, expires } = await updateAndFetchTarget(TRUSTED_ROOT_TARGET, {
    metadataUrl: mirror,
    targetsUrl: `${mirror}/targets`,
    initialRoot: new TextEncoder().encode(initialRoot),
    store,
    forceCache: options.forceCache ?? false,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TUF_TIMEOUT_MS,
  });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    JSON.parse(text);
  } catch (e) {
    throw tufError(TRUSTED_ROOT_TARGET, "malformed", "not JSON", e);
  }
  return { text, expires };
}

export { TufError, type TufFailure } from "./errors.ts";
export {
  SIGSTORE_PUBLIC_GOOD_ROOT,
  SIGSTORE_PUBLIC_GOOD_ROOT_VERSION,
} from "./public_good_root.ts";
