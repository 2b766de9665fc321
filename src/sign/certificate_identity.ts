/**
 * Who a keyless signature must come from: cosign's
 * `--certificate-identity` / `--certificate-identity-regexp` (a subject
 * alternative name of the certificate: email, URI, or Fulcio's username)
 * and `--certificate-oidc-issuer` / `--certificate-oidc-issuer-regexp`
 * (Fulcio's issuer extension). Regular expressions match the whole value.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import type { Certificate } from "./x509.ts";

/** The identity fields of a verification policy. */
export interface IdentityFields {
  /** The exact certificate identity. */
  certificateIdentity?: string;
  /** A regular expression the identity must match (whole). */
  certificateIdentityRegExp?: string;
  /** The exact OIDC issuer. */
  certificateOidcIssuer?: string;
  /** A regular expression the OIDC issuer must match (whole). */
  certificateOidcIssuerRegExp?: string;
}

/** A checked identity policy. */
export interface IdentityPolicy {
  /** Whether an identity is expected. */
  identity(value: string): boolean;
  /** Whether an OIDC issuer is expected. */
  issuer(value: string): boolean;
}

function whole(pattern: string, field: string): RegExp {
  try {
    // Anchored, as cosign matches (Go's regexp.MatchString on ^…$ input).
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new TypeError(
      `verification policy: ${field} is not a valid regular expression: ${
        (e as Error).message
      }`,
    );
  }
}

function matcher(
  exact: string | undefined,
  pattern: string | undefined,
  field: string,
): (value: string) => boolean {
  const re = pattern === undefined ? undefined : whole(pattern, field);
  return (value) =>
    (exact === undefined || value === exact) &&
    (re === undefined || re.test(value));
}

/**
 * The identity policy of `fields`. Throws a `TypeError` unless both an
 * identity and an issuer are given (exactly or as a regular expression),
 * as cosign refuses to verify keyless signatures without them.
 */
export function identityPolicyOf(fields: IdentityFields): IdentityPolicy {
  const hasIdentity = fields.certificateIdentity !== undefined ||
    fields.certificateIdentityRegExp !== undefined;
  const hasIssuer = fields.certificateOidcIssuer !== undefined ||
    fields.certificateOidcIssuerRegExp !== undefined;
  if (!hasIdentity || !hasIssuer) {
    throw new TypeError(
      "verification policy: a trusted root needs a certificate identity " +
        "(certificateIdentity or certificateIdentityRegExp) and an OIDC " +
        "issuer (certificateOidcIssuer or certificateOidcIssuerRegExp), as " +
        "cosign's --certificate-identity and --certificate-oidc-issuer",
    );
  }
  return {
    identity: matcher(
      fields.certificateIdentity,
      fields.certificateIdentityRegExp,
      "certificateIdentityRegExp",
    ),
    issuer: matcher(
      fields.certificateOidcIssuer,
      fields.certificateOidcIssuerRegExp,
      "certificateOidcIssuerRegExp",
    ),
  };
}

/** The identities a certificate names (its subject alternative names). */
export function identitiesOf(cert: Certificate): string[] {
  return cert.subjectAltNames.map((n) => n.value);
}

/**
 * Checks `cert` against `policy`. Throws a `SignatureError` (`reason:
 * "wrong-identity"`) in cosign's words when no identity or the issuer
 * does not match.
 */
export function checkIdentity(cert: Certificate, policy: IdentityPolicy): void {
  const subjects = identitiesOf(cert);
  const issuer = cert.oidcIssuer;
  if (
    issuer !== undefined && policy.issuer(issuer) &&
    subjects.some((s) => policy.identity(s))
  ) return;
  throw new SignatureError(
    `none of the expected identities matched what was in the certificate, got subjects [${
      subjects.join(", ")
    }] with issuer ${issuer ?? "(none)"}`,
    { reason: "wrong-identity" },
  );
}
