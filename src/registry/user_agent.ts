/**
 * The `User-Agent` the registry client sends by default.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/**
 * Version of this library, as sent in the `User-Agent` (from `src/version.ts`,
 * the one version source, which a test keeps equal to `deno.json`).
 */
export const KLAUS_OCI_VERSION: string = VERSION;

/** Default `User-Agent` header: `klaus-oci-ts/<version>`. */
export const DEFAULT_USER_AGENT: string = `klaus-oci-ts/${KLAUS_OCI_VERSION}`;
