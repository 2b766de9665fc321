/**
 * The error of fetching the sigstore trusted root through TUF.
 *
 * @module
 */
import { KlausOciError, type KlausOciErrorOptions } from "../../errors.ts";

/**
 * What failed in a TUF update: `"untrusted"` (signatures of fewer keys
 * than the role's threshold verify, or a rotated root is not signed by
 * both the old and the new root keys), `"expired"` (a metadata file past
 * its `expires`), `"rollback"` (a version lower than one already trusted,
 * or not the one the parent metadata names), `"mismatch"` (length or
 * hash other than the parent metadata names), `"too-large"` (a download
 * over its bound), `"timeout"` (a request past its deadline),
 * `"unavailable"` (the mirror answered with an error status, or could not
 * be reached), `"malformed"` (not a TUF metadata file of the expected
 * type), `"missing"` (the target is not listed).
 */
export type TufFailure =
  | "untrusted"
  | "expired"
  | "rollback"
  | "mismatch"
  | "too-large"
  | "timeout"
  | "unavailable"
  | "malformed"
  | "missing";

/**
 * Fetching the sigstore trusted root through TUF failed: `file` names the
 * metadata file or target (`timestamp.json`, `2.root.json`,
 * `trusted_root.json`) and `reason` what failed with it. Keyless
 * verification without a trusted root of its own cannot proceed.
 *
 * @example
 * ```ts
 * import { TufError } from "@klaus/oci";
 * const e = new TufError("TUF timestamp.json: expired", {
 *   file: "timestamp.json",
 *   reason: "expired",
 * });
 * console.log(e.file, e.reason);
 * ```
 */
export class TufError extends KlausOciError {
  /** The metadata file or target the failure is about. */
  readonly file: string;
  /** What failed. */
  readonly reason: TufFailure;
  /** Creates the error. */
  constructor(
    message: string,
    options: KlausOciErrorOptions & { file: string; reason: TufFailure },
  ) {
    super(message, options);
    this.file = options.file;
    this.reason = options.reason;
  }
}

/** A {@linkcode TufError} about `file`: `TUF <file>: <detail>`. */
export function tufError(
  file: string,
  reason: TufFailure,
  detail: string,
  cause?: unknown,
): TufError {
  return new TufError(`TUF ${file}: ${detail}`, { file, reason, cause });
}
