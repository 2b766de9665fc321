/**
 * The version of this package: the one source for the CLI's `--version`
 * and the registry client's `User-Agent`. A test keeps it equal to the
 * `version` of `deno.json` (what JSR publishes).
 *
 * @module
 */

/** Version of `@klaus/oci` (public as `KLAUS_OCI_VERSION`). */
export const VERSION = "0.1.0";
