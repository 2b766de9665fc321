/**
 * A client of Rekor, the sigstore transparency log: records a
 * `hashedrekord` 0.0.1 entry (a sha256 digest, the signature over it and
 * the signing certificate) through `POST /api/v1/log/entries`, and turns
 * the log's answer into the `tlogEntries` element of a sigstore bundle.
 *
 * @module
 */
import { displayUrl } from "../registry/url_safety.ts";
import { decodeBase64, encodeBase64 } from "./keys.ts";
import {
  postJson,
  serviceUrl,
  SigningServiceError,
  type SigstoreHttpOptions,
} from "./fulcio.ts";

/**
 * The public-good Rekor instance (the default of keyless signing).
 *
 * @example
 * ```ts
 * import { DEFAULT_REKOR_URL } from "@klaus/oci";
 * console.log(DEFAULT_REKOR_URL); // https://rekor.sigstore.dev
 * ```
 */
export const DEFAULT_REKOR_URL = "https://rekor.sigstore.dev";

/** What is recorded: a digest, a signature over it, and who signed. */
export interface HashedRekordInput {
  /** The sha256 of the signed bytes, hex. */
  digestHex: string;
  /** The DER ECDSA signature. */
  signature: Uint8Array;
  /** The signing certificate (PEM). */
  certificatePem: string;
}

/** The entry proposed to Rekor for `input`. */
export function hashedRekordEntry(input: HashedRekordInput): unknown {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: input.digestHex } },
      signature: {
        content: encodeBase64(input.signature),
        publicKey: {
          content: encodeBase64(new TextEncoder().encode(input.certificatePem)),
        },
      },
    },
  };
}

/** A log entry as a sigstore bundle (v0.3) carries it. */
export interface BundleTlogEntry {
  /** The entry's index in the log (decimal). */
  logIndex: string;
  /** The log's id (sha256 of its public key), base64. */
  logId: { keyId: string };
  /** Entry kind and version. */
  kindVersion: { kind: string; version: string };
  /** When the log integrated the entry (Unix seconds, decimal). */
  integratedTime: string;
  /** The log's signed promise to include the entry. */
  inclusionPromise: { signedEntryTimestamp: string };
  /** The Merkle inclusion proof, with the signed checkpoint. */
  inclusionProof: {
    logIndex: string;
    rootHash: string;
    treeSize: string;
    hashes: string[];
    checkpoint: { envelope: string };
  };
  /** The canonicalized entry body, base64. */
  canonicalizedBody: string;
}

/** What the log recorded. */
export interface RekorEntry {
  /** The entry's UUID. */
  uuid: string;
  /** The entry's index in the log. */
  logIndex: number;
  /** When it was integrated (Unix seconds). */
  integratedTime: number;
  /** The bundle form of the entry. */
  tlogEntry: BundleTlogEntry;
}

function hexToBase64(hex: string): string | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return encodeBase64(out);
}

const isInt = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Records `input` in the Rekor log at `rekorUrl` and returns the entry in
 * bundle form. The answer must be one well-formed entry whose body is the
 * entry sent, with a signed entry timestamp and an inclusion proof
 * (bundle v0.3 requires one). Sent once (a second POST of the same entry
 * is a conflict). Throws a {@linkcode SigningServiceError} naming the URL
 * and status when Rekor refuses or answers something else, a
 * `TimeoutError` when it does not answer within the timeout.
 */
export async function createHashedRekordEntry(
  rekorUrl: string,
  input: HashedRekordInput,
  options: SigstoreHttpOptions = {},
): Promise<RekorEntry> {
  const url = serviceUrl(rekorUrl, "/api/v1/log/entries");
  const display = displayUrl(url);
  const what = "recording the signature in the transparency log";
  const proposed = hashedRekordEntry(input);
  const answer = await postJson(what, url, proposed, {
    ...options,
    retry: false,
  });
  const bad = (why: string) =>
    new SigningServiceError(`${what}: POST "${display}": ${why}`, {
      url: display,
    });
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    throw bad("the answer is not a log entry");
  }
  const uuids = Object.keys(answer);
  if (uuids.length !== 1) throw bad("the answer is not one log entry");
  const uuid = uuids[0];
  const e = (answer as Record<string, Record<string, unknown>>)[uuid];
  const verification = e?.verification as Record<string, unknown> | undefined;
  const proof = verification?.inclusionProof as
    | Record<string, unknown>
    | undefined;
  const logIdB64 = typeof e?.logID === "string"
    ? hexToBase64(e.logID)
    : undefined;
  if (
    !isInt(e?.logIndex) || !isInt(e?.integratedTime) ||
    typeof e?.body !== "string" || logIdB64 === undefined ||
    typeof verification?.signedEntryTimestamp !== "string"
  ) {
    throw bad(
      "the answer is not a log entry (logIndex, integratedTime, " +
        "body, logID, signedEntryTimestamp)",
    );
  }
  // The log recorded what was sent (the same digest, signature and
  // certificate), not something else.
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(decodeBase64(e.body)));
  } catch {
    throw bad("the entry body is not base64 JSON");
  }
  if (canonical(body) !== canonical(proposed)) {
    throw bad("the log recorded another entry than the one sent");
  }
  const rootHash = typeof proof?.rootHash === "string"
    ? hexToBase64(proof.rootHash)
    : undefined;
  const hashes = Array.isArray(proof?.hashes)
    ? proof.hashes.map((h) => typeof h === "string" ? hexToBase64(h) : "")
    : undefined;
  if (
    !proof || !isInt(proof.logIndex) || !isInt(proof.treeSize) ||
    rootHash === undefined || hashes === undefined ||
    hashes.some((h) => !h) || typeof proof.checkpoint !== "string"
  ) {
    throw bad("the entry has no inclusion proof");
  }
  return {
    uuid,
    logIndex: e.logIndex,
    integratedTime: e.integratedTime,
    tlogEntry: {
      logIndex: String(e.logIndex),
      logId: { keyId: logIdB64 },
      kindVersion: { kind: "hashedrekord", version: "0.0.1" },
      integratedTime: String(e.integratedTime),
      inclusionPromise: {
        signedEntryTimestamp: verification.signedEntryTimestamp,
      },
      inclusionProof: {
        logIndex: String(proof.logIndex),
        rootHash,
        treeSize: String(proof.treeSize),
        hashes: hashes as string[],
        checkpoint: { envelope: proof.checkpoint },
      },
      canonicalizedBody: e.body,
    },
  };
}

/** JSON with object keys sorted (enough to compare two entries). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) =>
        `${JSON.stringify(k)}:${canonical(o[k])}`
      )
        .join(",")
    }}`;
  }
  return JSON.stringify(value);
}
