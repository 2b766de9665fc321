/**
 * The public-good sigstore TUF mirror, on its own so that naming it (the
 * command line compares flags with it) does not load the TUF client.
 *
 * @example
 * ```ts
 * import { DEFAULT_TUF_MIRROR_URL } from "@klaus/oci";
 * console.log(new URL(DEFAULT_TUF_MIRROR_URL).host); // tuf-repo-cdn.sigstore.dev
 * ```
 */
export const DEFAULT_TUF_MIRROR_URL = "https://tuf-repo-cdn.sigstore.dev";
