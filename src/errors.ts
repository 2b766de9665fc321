/**
 * Typed errors of the library. Every error the library throws is an instance
 * of {@linkcode KlausOciError}; the subclasses let callers react to a kind of
 * failure with `instanceof` while the message keeps the Go module's wording
 * (`resolving plugin ref "x": listing tags for y: …`).
 *
 * @module
 */
import { redact } from "./_redact.ts";

/**
 * Options accepted by every error constructor.
 *
 * @example
 * ```ts
 * import { KlausOciError, type KlausOciErrorOptions } from "@klaus/oci";
 * const options: KlausOciErrorOptions = { cause: new Error("connection reset") };
 * console.log(new KlausOciError("pulling x", options).cause);
 * ```
 */
export interface KlausOciErrorOptions {
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by this library.
 *
 * @example Catching any library error
 * ```ts
 * import { KlausOciError } from "@klaus/oci";
 * try {
 *   throw new KlausOciError("boom");
 * } catch (e) {
 *   if (e instanceof KlausOciError) console.log(e.message);
 * }
 * ```
 */
export class KlausOciError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: KlausOciErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The registry (or layout) has no such repository, manifest, blob or tag
 * (HTTP 404).
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@klaus/oci";
 * const e = new NotFoundError("example.com/repo:v1: not found");
 * console.log(e instanceof NotFoundError);
 * ```
 */
export class NotFoundError extends KlausOciError {}

/**
 * The registry refused the credentials, or none were available (HTTP 401).
 * The message never contains the credential itself.
 *
 * @example
 * ```ts
 * import { UnauthorizedError } from "@klaus/oci";
 * console.log(new UnauthorizedError("unauthorized").name);
 * ```
 */
export class UnauthorizedError extends KlausOciError {}

/**
 * The credentials were accepted but do not grant the operation (HTTP 403).
 *
 * @example
 * ```ts
 * import { DeniedError } from "@klaus/oci";
 * console.log(new DeniedError("denied").name);
 * ```
 */
export class DeniedError extends KlausOciError {}

/**
 * Content did not match the digest (or size) it was requested or announced
 * by.
 *
 * @example
 * ```ts
 * import { DigestMismatchError } from "@klaus/oci";
 * console.log(new DigestMismatchError("digest mismatch").name);
 * ```
 */
export class DigestMismatchError extends KlausOciError {}

/**
 * Content exceeded a size limit (a manifest over 4 MiB, an extracted file
 * over its cap, an archive over its total or entry-count limit).
 *
 * @example
 * ```ts
 * import { TooLargeError } from "@klaus/oci";
 * console.log(new TooLargeError("too large").name);
 * ```
 */
export class TooLargeError extends KlausOciError {}

/**
 * A server-controlled URL (redirect, upload `Location`, pagination `Link`)
 * pointed somewhere the client refuses to follow: another origin, a scheme
 * downgrade, or too many redirects.
 *
 * @example
 * ```ts
 * import { UnsafeUrlError } from "@klaus/oci";
 * console.log(new UnsafeUrlError("refusing redirect").name);
 * ```
 */
export class UnsafeUrlError extends KlausOciError {}

/**
 * An archive entry was refused: path traversal, absolute path, or a limit
 * that protects the destination.
 *
 * @example
 * ```ts
 * import { UnsafeArchiveError } from "@klaus/oci";
 * console.log(new UnsafeArchiveError("invalid path in archive: ../x").name);
 * ```
 */
export class UnsafeArchiveError extends KlausOciError {}

/**
 * A reference, name, tag or digest does not follow the OCI grammar, or an
 * operation needs a part the reference lacks (a tag, a digest).
 *
 * @example
 * ```ts
 * import { InvalidReferenceError } from "@klaus/oci";
 * console.log(new InvalidReferenceError("empty artifact reference").name);
 * ```
 */
export class InvalidReferenceError extends KlausOciError {}

/**
 * The registry answered with an unexpected status, or could not be reached
 * after the retries were spent. `status` is the last HTTP status, or
 * `undefined` for network failures and timeouts.
 *
 * @example
 * ```ts
 * import { RegistryError } from "@klaus/oci";
 * const e = new RegistryError("GET https://x/v2/: response status code 503", { status: 503 });
 * console.log(e.status);
 * ```
 */
export class RegistryError extends KlausOciError {
  /** The last HTTP status received, if any. */
  readonly status?: number;
  /** Creates the error. */
  constructor(
    message: string,
    options?: KlausOciErrorOptions & { status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
}

/**
 * Source content on disk is not a valid plugin or personality
 * (`personality.yaml: name is required`, `parsing plugin manifest: …`).
 *
 * @example
 * ```ts
 * import { InvalidArtifactError } from "@klaus/oci";
 * console.log(new InvalidArtifactError("personality.yaml: name is required").name);
 * ```
 */
export class InvalidArtifactError extends KlausOciError {}

/**
 * Returns an error of the same class as `err` whose message is
 * `prefix + ": " + err.message`, keeping `err` as the cause. This is the Go
 * `fmt.Errorf("prefix: %w", err)` idiom with `instanceof` still working.
 * Non-library errors are wrapped in a {@linkcode KlausOciError}. The
 * message is redacted (no URL user-info, credential or loaded secret).
 */
export function wrapError(prefix: string, err: unknown): KlausOciError {
  // Every error that leaves an operation passes here: the last point where
  // the library itself scrubs credentials (`src/_redact.ts`) from messages
  // that quote references, URLs or registry text.
  const message = redact(
    `${prefix}: ${err instanceof Error ? err.message : String(err)}`,
  );
  const wrapped = new KlausOciError(message, { cause: err });
  if (err instanceof KlausOciError) {
    // Same prototype and the same extra fields (status, timeoutMs, …), so
    // every subclass survives any number of wrappings, including ones
    // defined outside this file.
    Object.setPrototypeOf(wrapped, Object.getPrototypeOf(err));
    for (const key of Object.keys(err)) {
      if (key !== "message" && key !== "cause" && key !== "stack") {
        (wrapped as unknown as Record<string, unknown>)[key] =
          (err as unknown as Record<string, unknown>)[key];
      }
    }
    wrapped.name = err.name;
  }
  return wrapped;
}

/**
 * The registry does not offer the operation: most often listing
 * repositories, which GHCR, ECR and Docker Hub do not support (list the
 * versions of a known repository instead).
 *
 * @example
 * ```ts
 * import { UnsupportedError } from "@klaus/oci";
 * console.log(new UnsupportedError("ghcr.io does not support listing repositories").name);
 * ```
 */
export class UnsupportedError extends KlausOciError {}

/**
 * A pull (or replacing extraction) refused its destination: the root, the
 * working directory, the home directory or an ancestor of one of them
 * (`overridable: false`, never replaced), or a non-empty directory that no
 * earlier pull made — it has no `.oci-cache.json` — which is replaced only
 * when the caller asks to overwrite (`overridable: true`).
 *
 * @example
 * ```ts
 * import { UnsafeDestinationError } from "@klaus/oci";
 * const e = new UnsafeDestinationError("refusing to replace /home/me: …", {
 *   path: "/home/me",
 *   overridable: false,
 * });
 * console.log(e.path, e.overridable);
 * ```
 */
export class UnsafeDestinationError extends KlausOciError {
  /** The refused destination (absolute). */
  readonly path: string;
  /** Whether asking to overwrite (`overwrite: true`, `--force`) would help. */
  readonly overridable: boolean;
  /** Creates the error. */
  constructor(
    message: string,
    options: KlausOciErrorOptions & { path: string; overridable: boolean },
  ) {
    super(message, options);
    this.path = options.path;
    this.overridable = options.overridable;
  }
}

/** Why a signature check refused an artifact. */
export type SignatureFailure =
  | "unsigned"
  | "wrong-key"
  | "wrong-identity"
  | "untrusted"
  | "tampered"
  | "other-digest"
  | "other";

/**
 * A signature check refused an artifact (before anything was extracted):
 * `reason` says why — `"unsigned"` (no sigstore bundle referrer and no legacy cosign `.sig` signature),
 * `"wrong-key"` (signed, but by no key of the policy), `"wrong-identity"`
 * (a certificate that chains to the trusted root, but names another
 * identity or OIDC issuer than the policy), `"untrusted"` (a certificate
 * that does not chain to the trusted root, was not valid when the
 * transparency log recorded the signature, or whose log entry does not
 * verify), `"tampered"` (a
 * bundle's signature does not verify, or the bundle is malformed),
 * `"other-digest"` (the bundle signs another manifest digest), `"other"`
 * (a key that cannot be read, an unsupported bundle).
 *
 * @example
 * ```ts
 * import { SignatureError } from "@klaus/oci";
 * const e = new SignatureError("example.com/p:v1: unsigned", { reason: "unsigned" });
 * console.log(e.reason);
 * ```
 */
export class SignatureError extends KlausOciError {
  /** Why the artifact was refused. */
  readonly reason: SignatureFailure;
  /** Creates the error. */
  constructor(
    message: string,
    options: KlausOciErrorOptions & { reason: SignatureFailure },
  ) {
    super(message, options);
    this.reason = options.reason;
  }
}
