/**
 * The one reason a refused artifact is reported with, the same in errors,
 * the CLI and the edge API (a small module: the CLI formats results
 * without loading the verifier).
 *
 * @module
 */
import type { SignatureFailure } from "../errors.ts";

const ORDER: SignatureFailure[] = [
  "tampered",
  "other-digest",
  "untrusted",
  "wrong-identity",
  "wrong-key",
  "other",
];

/**
 * Why none of `signatures` verified: `"unsigned"` when there are none,
 * else the first of tampered, other-digest, untrusted, wrong-identity,
 * wrong-key any of them has — the reason a refusal names, wherever it is
 * reported (errors, the CLI, the edge API).
 *
 * @example
 * ```ts
 * import { refusalOf } from "./refusal.ts";
 * console.log(refusalOf([])); // unsigned
 * ```
 */
export function refusalOf(
  signatures: readonly { reason?: SignatureFailure }[],
): SignatureFailure {
  if (signatures.length === 0) return "unsigned";
  return ORDER.find((r) => signatures.some((s) => s.reason === r)) ?? "other";
}
