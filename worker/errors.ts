/**
 * HTTP errors of the API: one class, mapped from the library's typed errors,
 * rendered as `{"error": {"code", "message"}}` with messages that never carry
 * a secret (the project's one redaction, `src/_redact.ts`) or an unbounded
 * upstream body.
 *
 * @module
 */
import {
  DeniedError,
  DigestMismatchError,
  InvalidArtifactError,
  InvalidReferenceError,
  KlausOciError,
  NotFoundError,
  RegistryError,
  TooLargeError,
  UnauthorizedError,
  UnsafeUrlError,
} from "../src/errors.ts";
import { TimeoutError } from "../src/registry/timeout_error.ts";
import { clip, redact } from "../src/_redact.ts";

const MAX_MESSAGE = 600;

/** Statuses the API answers errors with. */
export type ApiErrorStatus = 400 | 404 | 500 | 502 | 504;

/** The JSON body of every error response. */
export interface ApiErrorBody {
  /** The error. */
  error: {
    /** Machine-readable code (`invalid_name`, `not_found`, …). */
    code: string;
    /** Human-readable message. */
    message: string;
  };
}

/**
 * An error with an HTTP status and a stable code, thrown by routes and
 * middleware and rendered by the error handler.
 *
 * @example
 * ```ts
 * import { ApiError } from "./errors.ts";
 * const e = new ApiError(400, "invalid_name", 'invalid name "A"');
 * console.log(e.status, e.body());
 * ```
 */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: ApiErrorStatus;
  /** Stable error code. */
  readonly code: string;

  /** Creates the error; the message is redacted and at most 600 characters. */
  constructor(
    status: ApiErrorStatus,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    // Messages quote what a requester sent (a version, a name): never echo
    // a credential, whoever put it there.
    super(clip(redact(message), MAX_MESSAGE), options);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  /** The response body. */
  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 10 && e !== undefined && e !== null; i++) {
    out.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

// The registry transport throws TimeoutError; deadlines set with
// `AbortSignal.timeout` (and the cache's revalidation deadline) abort with
// a DOMException of the same name.
function isTimeout(err: unknown): boolean {
  return causes(err).some((e) =>
    e instanceof TimeoutError ||
    e instanceof Error && e.name === "TimeoutError"
  );
}

/**
 * Maps any error to an {@linkcode ApiError}: invalid references → 400,
 * not found → 404, registry failures (auth, digest, size, unsafe redirect,
 * bad artifact, bad status, unreachable) → 502, timeouts → 504, anything
 * else → 500 with a generic message.
 *
 * @example
 * ```ts
 * import { toApiError } from "./errors.ts";
 * import { NotFoundError } from "../src/errors.ts";
 * console.log(toApiError(new NotFoundError("x: not found")).status); // 404
 * ```
 */
export function toApiError(
  err: unknown,
  secrets: readonly string[] = [],
): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof KlausOciError)) {
    if (isTimeout(err)) {
      return new ApiError(
        504,
        "registry_timeout",
        "registry request timed out",
      );
    }
    return new ApiError(500, "internal_error", "internal error");
  }
  const message = clip(redact(err.message, secrets), MAX_MESSAGE);
  if (err instanceof InvalidReferenceError) {
    return new ApiError(400, "invalid_reference", message);
  }
  if (err instanceof NotFoundError) {
    return new ApiError(404, "not_found", message);
  }
  if (isTimeout(err)) return new ApiError(504, "registry_timeout", message);
  if (err instanceof UnauthorizedError) {
    return new ApiError(502, "registry_unauthorized", message);
  }
  if (err instanceof DeniedError) {
    return new ApiError(502, "registry_denied", message);
  }
  if (err instanceof DigestMismatchError) {
    return new ApiError(502, "digest_mismatch", message);
  }
  if (err instanceof TooLargeError) {
    return new ApiError(502, "too_large", message);
  }
  if (err instanceof UnsafeUrlError) {
    return new ApiError(502, "unsafe_url", message);
  }
  if (err instanceof InvalidArtifactError) {
    return new ApiError(502, "invalid_artifact", message);
  }
  if (err instanceof RegistryError) {
    return new ApiError(502, "registry_error", message);
  }
  return new ApiError(502, "registry_error", message);
}
