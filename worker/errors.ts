/**
 * HTTP errors of the API: one class, mapped from the library's typed errors,
 * rendered as `{"error": {"code", "message"}}` with messages that never carry
 * a secret or an unbounded upstream body.
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

  /** Creates the error. */
  constructor(
    status: ApiErrorStatus,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  /** The response body. */
  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

const MAX_MESSAGE = 600;

/**
 * Removes credentials from `message`: URL user-info, `Basic`/`Bearer`
 * credentials, token query parameters, and every string of `secrets`
 * (and its base64 form); then caps the length.
 *
 * @example
 * ```ts
 * import { redact } from "./errors.ts";
 * console.log(redact("GET https://u:p@h/v2/: Bearer abc.def", ["p"]));
 * // GET https://***@h/v2/: Bearer ***
 * ```
 */
export function redact(
  message: string,
  secrets: readonly string[] = [],
): string {
  let m = message;
  for (const s of secrets) {
    // Short strings would blank out ordinary words.
    if (s.length >= 4) m = m.split(s).join("***");
  }
  m = m
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s"']+@/gi, "$1***@")
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 ***")
    .replace(
      /([?&](?:access_token|refresh_token|token|password|secret)=)[^&\s"']+/gi,
      "$1***",
    );
  if (m.length > MAX_MESSAGE) m = `${m.slice(0, MAX_MESSAGE)}…`;
  return m;
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
  const message = redact(err.message, secrets);
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

/**
 * The strings of a base64 Docker config that must never appear in output:
 * the document itself, each `auth` value, the passwords inside them and
 * identity/registry tokens.
 *
 * @example
 * ```ts
 * import { secretsOfDockerConfig } from "./errors.ts";
 * const cfg = btoa(JSON.stringify({ auths: { h: { auth: btoa("u:pw12") } } }));
 * console.log(secretsOfDockerConfig(cfg).includes("pw12")); // true
 * ```
 */
export function secretsOfDockerConfig(
  base64Config: string | undefined,
): string[] {
  if (!base64Config) return [];
  const out = [base64Config];
  try {
    const doc = JSON.parse(atob(base64Config.trim())) as {
      auths?: Record<string, Record<string, unknown>>;
    };
    for (const entry of Object.values(doc.auths ?? {})) {
      for (
        const key of ["auth", "identitytoken", "registrytoken", "password"]
      ) {
        const v = entry?.[key];
        if (typeof v !== "string" || v === "") continue;
        out.push(v);
        if (key === "auth") {
          try {
            const plain = atob(v);
            out.push(plain);
            const colon = plain.indexOf(":");
            if (colon >= 0) out.push(plain.slice(colon + 1));
          } catch {
            // not base64: already listed as is
          }
        }
      }
    }
  } catch {
    // not a Docker config: the raw value is still scrubbed
  }
  return out;
}
