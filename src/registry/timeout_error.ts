/**
 * The error of a registry that did not answer in time.
 *
 * @module
 */
import { type KlausOciErrorOptions, RegistryError } from "../errors.ts";

/**
 * A registry did not answer in time: no response headers within the
 * transport's timeout (after the retries the budget allowed), or a
 * response body that delivered no data for that long.
 *
 * It is a {@linkcode RegistryError} without a status, so everything that
 * treats an unreachable registry alike (stale-if-error, error mapping)
 * keeps doing so; test for it with `instanceof` to tell a slow registry
 * from a failing one. Its `name` is `"TimeoutError"`, the name the
 * `DOMException` of `AbortSignal.timeout` carries, so one check by name
 * finds both kinds of timeout in a `cause` chain.
 *
 * @example
 * ```ts
 * import { RegistryError, TimeoutError } from "@klaus/oci";
 * const e = new TimeoutError('GET "https://r.example/v2/": no response within 10000 ms', { timeoutMs: 10_000 });
 * console.log(e instanceof RegistryError, e.name, e.timeoutMs); // true TimeoutError 10000
 * ```
 */
export class TimeoutError extends RegistryError {
  /** The timeout that ran out, in milliseconds. */
  readonly timeoutMs: number;

  /** Creates the error. */
  constructor(
    message: string,
    options: KlausOciErrorOptions & { timeoutMs: number },
  ) {
    super(message, { cause: options.cause });
    // Spelled out: a minifying bundler renames the class, and with it the
    // name the base class would derive.
    this.name = "TimeoutError";
    this.timeoutMs = options.timeoutMs;
  }
}
