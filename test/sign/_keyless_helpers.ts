/**
 * Material of the keyless verification tests: a manifest and its digest,
 * in-toto statements about a digest, bundle edits, and the reference
 * verifier (`sigstore verify` of @sigstore/cli through the local TUF
 * repository) on the same bundle.
 *
 * @module
 */
import { digestOf } from "../../src/oci/digest.ts";
import { encodeBase64 } from "../../src/sign/keys.ts";
import {
  type SigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";

/** The manifest the bundles sign (an empty OCI artifact). */
export const MANIFEST = new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {
    mediaType: "application/vnd.oci.empty.v1+json",
    digest:
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    size: 2,
  },
  layers: [],
}));
/** Its digest. */
export const DIGEST = digestOf(MANIFEST);

/** An in-toto v1 statement about the sha256 `hex`. */
export function statement(hex: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "plugin", digest: { sha256: hex } }],
    predicateType: "https://sigstore.dev/cosign/sign/v1",
    predicate: {},
  }));
}

/** A bundle as JSON, edited freely by the tests. */
// deno-lint-ignore no-explicit-any
export type Bundle = any;

/** Standard base64 decoded. */
export function b64decode(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** `text` (base64) with one bit of byte `at` flipped. */
export function flipBase64(text: string, at = 10): string {
  const bytes = b64decode(text);
  bytes[at] ^= 0x01;
  return encodeBase64(bytes);
}

/**
 * Whether `sigstore verify` (the reference CLI, through the services' TUF
 * repository) accepts `bundle` over {@linkcode MANIFEST} for `identity`
 * and `issuer`, with what it printed.
 */
export async function referenceVerdict(
  s: SigstoreServices,
  bundle: Bundle,
  identity = TEST_SUBJECT,
  issuer = TEST_ISSUER,
): Promise<{ ok: boolean; stderr: string }> {
  const path = `${s.dir}/bundle-${crypto.randomUUID()}.json`;
  await Deno.writeTextFile(path, JSON.stringify(bundle));
  await Deno.writeFile(`${s.dir}/manifest.json`, MANIFEST);
  const args = ["verify", path];
  if (bundle.messageSignature) {
    args.push("--blob-file", `${s.dir}/manifest.json`);
  }
  args.push(
    "--certificate-identity-uri",
    identity,
    "--certificate-issuer",
    issuer,
  );
  const out = await s.cli(args);
  return { ok: out.code === 0, stderr: out.stderr };
}
