/**
 * Which failures let a stale entry stand in for the answer: the registry
 * being unreachable or broken, not the registry saying "no".
 *
 * @module
 */
import {
  DeniedError,
  NotFoundError,
  RegistryError,
  UnauthorizedError,
} from "../errors.ts";

/**
 * Whether a failed refetch may be answered from a stale entry: network
 * errors, timeouts and {@linkcode RegistryError}s (5xx, 429, …) yes;
 * 404 / 401 / 403 and everything else (digest mismatch, bad input) no.
 */
export function isStaleIfErrorEligible(error: unknown): boolean {
  if (
    error instanceof NotFoundError || error instanceof UnauthorizedError ||
    error instanceof DeniedError
  ) {
    return false;
  }
  if (error instanceof RegistryError) {
    return error.status !== 401 && error.status !== 403 &&
      error.status !== 404;
  }
  // fetch() rejects with a TypeError when the connection fails.
  if (error instanceof TypeError) return true;
  return error instanceof Error && error.name === "TimeoutError";
}
