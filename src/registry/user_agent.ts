/**
 * The `User-Agent` the registry client sends by default.
 *
 * @module
 */

/**
 * Version of this library, as sent in the `User-Agent`.
 *
 * @example
 * ```ts
 * import { KLAUS_OCI_VERSION } from "@klaus/oci";
 * console.log(KLAUS_OCI_VERSION); // "0.1.0"
 * ```
 */
export const KLAUS_OCI_VERSION = "0.1.0";

/**
 * Default `User-Agent` header: `klaus-oci-ts/<version>`.
 *
 * @example
 * ```ts
 * import { DEFAULT_USER_AGENT } from "@klaus/oci";
 * console.log(DEFAULT_USER_AGENT); // "klaus-oci-ts/0.1.0"
 * ```
 */
export const DEFAULT_USER_AGENT = `klaus-oci-ts/${KLAUS_OCI_VERSION}`;
