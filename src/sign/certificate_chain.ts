/**
 * Certificate path validation for Fulcio leaf certificates: the leaf must
 * chain, link by verified signature, to the root of a certificate
 * authority of the trusted root that was valid at the signing time; every
 * certificate above the leaf must be a CA (basic constraints, key usage,
 * path length), every certificate must be valid at the signing time (the
 * time the transparency log recorded, as sigstore checks it — Fulcio
 * certificates live ten minutes), and the leaf must be for code signing.
 *
 * @module
 */
import { SignatureError } from "../errors.ts";
import {
  type CertificateAuthority,
  covers,
  type TrustedRoot,
} from "./trusted_root.ts";
import {
  bytesEqual,
  type Certificate,
  KEY_USAGE_DIGITAL_SIGNATURE,
  KEY_USAGE_KEY_CERT_SIGN,
  OID_EKU_CODE_SIGNING,
  verifyCertificateSignature,
} from "./x509.ts";

/** What a leaf certificate must be for, and how it is named in errors. */
export interface CertificatePurpose {
  /** The extended key usage the leaf must allow. */
  eku: string;
  /** Whether the leaf must carry the extension (else: if present). */
  ekuRequired: boolean;
  /** The leaf in messages ("the signing certificate"). */
  leaf: string;
  /** The time in messages ("the signing time"). */
  time: string;
  /** What does the vouching in messages ("certificate authority"). */
  authority: string;
}

/** Fulcio code signing certificates. */
const CODE_SIGNING: CertificatePurpose = {
  eku: OID_EKU_CODE_SIGNING,
  ekuRequired: false,
  leaf: "the signing certificate",
  time: "the signing time",
  authority: "certificate authority",
};

function untrusted(message: string): SignatureError {
  return new SignatureError(message, { reason: "untrusted" });
}

function selfIssued(cert: Certificate): boolean {
  return bytesEqual(cert.subject, cert.issuer);
}

/** The certificates of `pool` that issued `cert` (names, key ids, signature). */
async function issuersOf(
  cert: Certificate,
  pool: Certificate[],
): Promise<Certificate[]> {
  const out: Certificate[] = [];
  for (const candidate of pool) {
    if (!bytesEqual(candidate.subject, cert.issuer)) continue;
    if (
      cert.authorityKeyId && candidate.subjectKeyId &&
      !bytesEqual(cert.authorityKeyId, candidate.subjectKeyId)
    ) continue;
    if (!candidate.publicKey) continue;
    if (await verifyCertificateSignature(cert, candidate.publicKey)) {
      out.push(candidate);
    }
  }
  return out;
}

function checkPath(
  path: Certificate[],
  at: Date,
  purpose: CertificatePurpose,
): void {
  for (const [i, cert] of path.entries()) {
    const what = i === 0 ? purpose.leaf : `CA certificate ${i}`;
    if (cert.unhandledCritical.length > 0) {
      throw untrusted(
        `${what} has unsupported critical extensions ${
          cert.unhandledCritical.join(", ")
        }`,
      );
    }
    if (at < cert.notBefore || at > cert.notAfter) {
      throw untrusted(
        `${what} was not valid at ${purpose.time} ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`,
      );
    }
    if (i === 0) continue;
    if (!cert.basicConstraints?.ca) throw untrusted(`${what} is not a CA`);
    if (cert.keyUsage && !cert.keyUsage[KEY_USAGE_KEY_CERT_SIGN]) {
      throw untrusted(`${what} may not sign certificates`);
    }
    // pathLenConstraint counts the CAs below this one, the leaf excluded.
    const below = i - 1;
    const limit = cert.basicConstraints.pathLength;
    if (limit !== undefined && below > limit) {
      throw untrusted(`${what} exceeds its path length constraint`);
    }
  }
  const leaf = path[0];
  if (leaf.keyUsage && !leaf.keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]) {
    throw untrusted(`${purpose.leaf} may not sign`);
  }
  if (
    (leaf.extKeyUsage || purpose.ekuRequired) &&
    !leaf.extKeyUsage?.includes(purpose.eku)
  ) {
    throw untrusted(
      `${purpose.leaf} is not for ${
        purpose.eku === OID_EKU_CODE_SIGNING
          ? "code signing"
          : `extended key usage ${purpose.eku}`
      }`,
    );
  }
}

/**
 * Validates `leaf` against the certificate authorities of `root` at the
 * signing time `at`. Returns the path, leaf first, root last. Throws a
 * `SignatureError` (`reason: "untrusted"`) saying why no authority
 * vouches for it.
 */
export function verifyCertificateChain(
  leaf: Certificate,
  root: TrustedRoot,
  at: Date,
): Promise<Certificate[]> {
  return verifyCertificatePath(
    leaf,
    root.certificateAuthorities,
    at,
    CODE_SIGNING,
  );
}

/**
 * Validates `leaf` for `purpose` against `authorities` (Fulcio CAs,
 * timestamp authorities) at `at`: an authority valid then whose chain
 * links the leaf, by verified signatures, to its last (root) certificate,
 * every certificate valid at `at`, CA constraints above the leaf, the
 * leaf's key and extended key usage. The leaf may be a certificate of the
 * authority's chain itself (a TSA's signing certificate). Returns the
 * path, leaf first, root last. Throws a `SignatureError` (`reason:
 * "untrusted"`).
 */
export async function verifyCertificatePath(
  leaf: Certificate,
  authorities: CertificateAuthority[],
  at: Date,
  purpose: CertificatePurpose,
): Promise<Certificate[]> {
  const valid = authorities.filter((ca) => covers(ca.validFor, at));
  if (valid.length === 0) {
    throw untrusted(
      `no ${purpose.authority} of the trusted root was valid at ${at.toISOString()}`,
    );
  }
  let last: SignatureError | undefined;
  for (const ca of valid) {
    const path = [leaf];
    let current = leaf;
    // A trusted chain is short; its length bounds the walk.
    for (let step = 0; step <= ca.certChain.length; step++) {
      if (path.length > 1 && selfIssued(current)) break;
      const [issuer] = await issuersOf(current, ca.certChain);
      if (!issuer || issuer === current) break;
      path.push(issuer);
      current = issuer;
    }
    const top = path[path.length - 1];
    if (path.length < 2 || top !== ca.certChain[ca.certChain.length - 1]) {
      last = untrusted(
        `${purpose.leaf} does not chain to a ${purpose.authority} of the trusted root`,
      );
      continue;
    }
    try {
      checkPath(path, at, purpose);
      return path;
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      last = e;
    }
  }
  throw last!;
}
