/**
 * Artifact signing: ECDSA P-256 keys through Web Crypto, sigstore bundles
 * (v0.3) pushed as OCI 1.1 referrers, and their verification before a pull
 * extracts anything — key-based, or keyless against a sigstore trusted
 * root (Fulcio certificate, Rekor entry, SCTs, identity and issuer).
 *
 * @module
 */
export {
  buildBundle,
  decodeBundle,
  type DecodedBundle,
  MAX_BUNDLE_BYTES,
  MEDIA_TYPE_SIGSTORE_BUNDLE,
  parseBundle,
  type ParsedBundle,
  type SigstoreBundle,
} from "./bundle.ts";
export { derToP1363, p1363ToDer } from "./der_signature.ts";
export {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  type ImportKeyOptions,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyIdOf,
  type KeyInput,
  publicKeyOf,
} from "./keys.ts";
export { encryptKeyPem, PEM_ENCRYPTED_SIGSTORE_KEY } from "./encrypted_key.ts";
export {
  EMPTY_DESCRIPTOR,
  MEDIA_TYPE_OCI_EMPTY,
  signArtifact,
  type SignedArtifact,
  type SignOptions,
} from "./sign_artifact.ts";
export {
  type SignatureResult,
  type VerificationPolicy,
  type VerificationResult,
  verifyArtifact,
  type VerifyOptions,
} from "./verify_artifact.ts";
export {
  type BundleVerdict,
  type PolicyInput,
  type PreparedPolicy,
  preparePolicy,
  verifyBundle,
} from "./verify_bundle.ts";
export { parseTrustedRoot, type TrustedRoot } from "./trusted_root.ts";
export {
  clearTrustedRootMemo,
  DEFAULT_TUF_MIRROR_URL,
  DEFAULT_TUF_TIMEOUT_MS,
  fetchTrustedRoot,
  SIGSTORE_PUBLIC_GOOD_ROOT,
  SIGSTORE_PUBLIC_GOOD_ROOT_VERSION,
  TRUSTED_ROOT_TARGET,
  TufError,
  type TufFailure,
  type TufOptions,
} from "./tuf/mod.ts";
