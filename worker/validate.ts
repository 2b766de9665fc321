/**
 * Input checks at the edge: a `{name}` is one OCI path component and a
 * `version` is a tag or a digest; nothing else reaches the library, so no
 * request can steer it at another host or path.
 *
 * @module
 */
import { isValidDigest } from "../src/oci/digest.ts";
import { isValidPathComponent, isValidTag } from "../src/ref/grammar.ts";
import { clip, redact } from "../src/_redact.ts";
import { ApiError } from "./errors.ts";

const SHOWN = 80;

// A requester's input, quoted in a 400: redacted before it is cut, so a
// `user:pw@host` is still recognisable as one.
function shown(s: string): string {
  return JSON.stringify(clip(redact(s), SHOWN));
}

/**
 * Returns `name` when it is one OCI path component (`[a-z0-9]+` joined by
 * `.`, `_`, `__` or runs of `-`); throws a 400 {@linkcode ApiError}
 * otherwise.
 *
 * @example
 * ```ts
 * import { checkName } from "./validate.ts";
 * console.log(checkName("gs-base"));
 * ```
 */
export function checkName(name: string): string {
  if (!isValidPathComponent(name)) {
    throw new ApiError(
      400,
      "invalid_name",
      `invalid name ${shown(name)}: must be one lowercase OCI path component`,
    );
  }
  return name;
}

/**
 * Returns the `version` query value — a tag or a `sha256:`/`sha512:`
 * digest — or `undefined` when absent or empty. Repeated values and
 * anything else are a 400 {@linkcode ApiError}.
 *
 * @example
 * ```ts
 * import { checkVersion } from "./validate.ts";
 * console.log(checkVersion(["v1.2.3"])); // "v1.2.3"
 * console.log(checkVersion(undefined)); // undefined
 * ```
 */
export function checkVersion(values: string[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) {
    throw new ApiError(400, "invalid_version", "version given more than once");
  }
  const v = values[0];
  if (v === "") return undefined;
  if (isValidTag(v) || isValidDigest(v)) return v;
  throw new ApiError(
    400,
    "invalid_version",
    `invalid version ${shown(v)}: must be a tag or a digest`,
  );
}
