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
import { covers, type TrustedRoot } from "./trusted_root.ts";
import {
  bytesEqual,
  type Certificate,
  KEY_USAGE_DIGITAL_SIGNATURE,
  KEY_USAGE_KEY_CERT_SIGN,
  OID_EKU_CODE_SIGNING,
  verifyCertificateSignature,
} from "./x509.ts";

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

function checkPath(path: Certificate[], at: Date): void {
  for (const [i, cert] of path.entries()) {
    const what = i === 0 ? "the signing certificate" : `CA certificate ${i}`;
    if (cert.unhandledCritical.length > 0) {
      throw untrusted(
        `${what} has unsupported critical extensions ${
          cert.unhandledCritical.join(", ")
        }`,
      );
    }
    if (at < cert.notBefore || at > cert.notAfter) {
      throw untrusted(
        `${what} was not valid at the signing time ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`,
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
    throw untrusted("the signing certificate may not sign");
  }
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(OID_EKU_CODE_SIGNING)) {
    throw untrusted("the signing certificate is not for code signing");
  }
}

/**
 * Validates `leaf` against the certificate authorities of `root` at the
 * signing time `at`. Returns the path, leaf first, root last. Throws a
 * `SignatureError` (`reason: "untrusted"`) saying why no authority
 * vouches for it.
 */
export async function verifyCertificateChain(
  leaf: Certificate,
  root: TrustedRoot,
  at: Date,
): Promise<Certificate[]> {
  const authorities = root.certificateAuthorities.filter((ca) =>
    covers(ca.validFor, at)
  );
  if (authorities.length === 0) {
    throw untrusted(
      `no certificate authority of the trusted root was valid at ${at.toISOString()}`,
    );
  }
  let last: SignatureError | undefined;
  for (const ca of authorities) {
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
        "the signing certificate does not chain to a certificate authority of the trusted root",
      );
      continue;
    }
    try {
      checkPath(path, at);
      return path;
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      last = e;
    }
  }
  throw last!;
}
