/**
 * Signatures of cosign before v3 (`sha256-<hex>.sig` tags holding simple
 * signing payloads), written here in cosign's layout, read back from a
 * real registry — distribution 2.8 and the peer registry — and from an OCI
 * image layout: the right key verifies, and
 * so does a keyless one (certificate and Rekor entry from the local
 * sigstore services, checked as a bundle); another key, a payload naming
 * another digest, a broken signature, a layer without signature, another
 * identity and an altered Rekor entry are each refused with their reason;
 * no `.sig` tag means no legacy signature.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { LayoutStore } from "../../src/layout/layout_store.ts";
import { digestOf } from "../../src/oci/digest.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import {
  ANNOTATION_COSIGN_BUNDLE,
  ANNOTATION_COSIGN_CERTIFICATE,
  ANNOTATION_COSIGN_SIGNATURE,
  checkLegacySignatures,
  cosignSignatureTag,
  MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
} from "../../src/sign/cosign_legacy.ts";
import { decodeBase64, encodeBase64, toPem } from "../../src/sign/keys.ts";
import { preparePolicy } from "../../src/sign/verify_bundle.ts";
import { generateSigningKey, keyIdOf, p1363ToDer } from "../../src/sign/mod.ts";
import { fixture, withTempDir } from "../artifact/_fs_helpers.ts";
import { interopRegistries } from "../interop/registries.ts";
import {
  missingSigstore,
  type SigstoreServices,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";

async function services(): Promise<SigstoreServices & AsyncDisposable> {
  const s = await startSigstoreServices();
  return Object.assign(s, { [Symbol.asyncDispose]: () => s.close() });
}
import { manifestOf } from "./_signing_helpers.ts";

const enc = new TextEncoder();

interface LegacyLayer {
  /** The digest the payload names. */
  names: string;
  /** The signing key (none: no signature annotation). */
  key?: CryptoKey;
  /** Flip a bit of the signature. */
  broken?: boolean;
  /** Keyless: the annotations (certificate, Rekor entry, signature) cosign writes for the payload. */
  keyless?: (payload: Uint8Array) => Promise<Record<string, string>>;
}

// cosign's layout: an OCI manifest with a config blob and one simple
// signing layer per signature, tagged sha256-<hex>.sig.
async function pushLegacy(
  store: OciStore,
  repo: RepositoryRef,
  subject: string,
  layers: LegacyLayer[],
): Promise<void> {
  const descs: Descriptor[] = [];
  for (const l of layers) {
    const payload = enc.encode(JSON.stringify({
      critical: {
        identity: { "docker-reference": `${repo.registry}/${repo.repository}` },
        image: { "docker-manifest-digest": l.names },
        type: "cosign container image signature",
      },
      optional: null,
    }));
    const desc: Descriptor = {
      mediaType: MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
      digest: digestOf(payload),
      size: payload.byteLength,
      annotations: {},
    };
    if (l.key) {
      const sig = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          l.key,
          payload,
        ),
      );
      if (l.broken) sig[10] ^= 1;
      desc.annotations![ANNOTATION_COSIGN_SIGNATURE] = encodeBase64(
        p1363ToDer(sig),
      );
    }
    if (l.keyless) Object.assign(desc.annotations!, await l.keyless(payload));
    await store.pushBlob(repo, desc, payload);
    descs.push(desc);
  }
  const config = enc.encode(JSON.stringify({
    architecture: "",
    os: "",
    config: {},
    rootfs: { type: "layers", diff_ids: descs.map((d) => d.digest) },
  }));
  const configDesc = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: digestOf(config),
    size: config.byteLength,
  };
  await store.pushBlob(repo, configDesc, config);
  await store.pushManifest(
    { ...repo, tag: cosignSignatureTag(subject) },
    enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configDesc,
      layers: descs,
    })),
    "application/vnd.oci.image.manifest.v1+json",
  );
}

const SUBJECT = TEST_SUBJECT;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// What cosign before v3 writes for a keyless signature: the certificate
// (PEM), the Rekor entry ({SignedEntryTimestamp, Payload}) and the
// signature, here from a bundle the reference signer made with the local
// services.
function keylessBy(
  s: SigstoreServices,
  subject: string,
  alter?: (rekor: { SignedEntryTimestamp: string }) => void,
) {
  return async (payload: Uint8Array): Promise<Record<string, string>> => {
    const b = JSON.parse(await s.signBlob(payload, subject));
    const vm = b.verificationMaterial;
    const der = decodeBase64(vm.x509CertificateChain.certificates[0].rawBytes);
    const t = vm.tlogEntries[0];
    const rekor = {
      SignedEntryTimestamp: t.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: t.canonicalizedBody,
        integratedTime: Number(t.integratedTime),
        logIndex: Number(t.logIndex),
        logID: hex(decodeBase64(t.logId.keyId)),
      },
    };
    alter?.(rekor);
    return {
      [ANNOTATION_COSIGN_SIGNATURE]: b.messageSignature.signature,
      [ANNOTATION_COSIGN_CERTIFICATE]: toPem("CERTIFICATE", der),
      [ANNOTATION_COSIGN_BUNDLE]: JSON.stringify(rekor),
    };
  };
}

async function exercise(
  s: SigstoreServices,
  store: OciStore,
  repo: RepositoryRef,
  subject: string,
): Promise<CryptoKey> {
  const signer = await generateSigningKey();
  const stranger = await generateSigningKey();
  const policy = await preparePolicy({
    publicKeys: [signer.publicKey],
    trustedRoot: s.trustedRoot,
    certificateIdentity: SUBJECT,
    certificateOidcIssuer: TEST_ISSUER,
  });
  const keyId = await keyIdOf(signer.publicKey);
  deepStrictEqual(
    await checkLegacySignatures(store, repo, subject, policy),
    [],
    "no .sig tag: no legacy signature",
  );
  const other = "sha256:" + "0".repeat(64);
  await pushLegacy(store, repo, subject, [
    { names: subject, key: signer.privateKey },
    { names: subject, key: stranger.privateKey },
    { names: other, key: signer.privateKey },
    { names: subject, key: signer.privateKey, broken: true },
    { names: subject },
    { names: subject, keyless: keylessBy(s, SUBJECT) },
    { names: subject, keyless: keylessBy(s, "https://github.com/mallory") },
    {
      names: subject,
      keyless: keylessBy(s, SUBJECT, (r) => {
        r.SignedEntryTimestamp = r.SignedEntryTimestamp.replace(/^../, "AA");
      }),
    },
    { names: other, keyless: keylessBy(s, SUBJECT) },
  ]);
  const results = await checkLegacySignatures(store, repo, subject, policy);
  deepStrictEqual(
    results.map((r) => [r.verified, r.reason, r.keyId ?? r.identity]),
    [
      [true, undefined, keyId],
      [false, "wrong-key", undefined],
      [false, "other-digest", undefined],
      [false, "wrong-key", undefined],
      [false, "tampered", undefined],
      [true, undefined, SUBJECT],
      [false, "wrong-identity", "https://github.com/mallory"],
      [false, "untrusted", SUBJECT],
      [false, "other-digest", undefined],
    ],
  );
  strictEqual(results[5].issuer, TEST_ISSUER);
  ok(Number.isInteger(results[5].tlogIndex), String(results[5].tlogIndex));
  const sig = await store.fetchManifest({
    ...repo,
    tag: cosignSignatureTag(subject),
  });
  strictEqual(results[0].referrer, sig.descriptor.digest);
  return signer.publicKey;
}

// A pull under a policy accepts what only a legacy signature signs (key
// or keyless), and says so.
async function pullsUnderEitherPolicy(
  s: SigstoreServices,
  key: CryptoKey,
  ref: string,
  env: Record<string, string> = {},
): Promise<void> {
  const policies = [{ publicKeys: [key] }, {
    trustedRoot: s.trustedRoot,
    certificateIdentity: SUBJECT,
    certificateOidcIssuer: TEST_ISSUER,
  }];
  for (const policy of policies) {
    const verifying = new Client({
      plainHttp: true,
      env,
      verification: policy,
    });
    const dest = await Deno.makeTempDir();
    try {
      const pulled = await verifying.pullPlugin(ref, `${dest}/p`);
      ok(pulled.signatures?.some((x) => x.verified));
    } finally {
      await verifying.close();
      await Deno.remove(dest, { recursive: true });
    }
  }
}

Deno.test({
  name: "legacy cosign .sig signatures in an OCI image layout",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: () =>
    withTempDir(async (tmp) => {
      await using s = await services();
      const dir = join(tmp, "layout");
      const client = new Client({ env: {} });
      await client.pushPlugin(fixture("plugins/base"), `ocidir://${dir}:v1`, {
        name: "base",
      });
      await client.close();
      const store = new LayoutStore();
      const repo = { registry: "ocidir://", repository: dir };
      const { descriptor } = await manifestOf(store, repo, { tag: "v1" });
      const key = await exercise(s, store, repo, descriptor.digest);
      await pullsUnderEitherPolicy(s, key, `ocidir://${dir}:v1`);
    }),
});

for (const target of interopRegistries()) {
  Deno.test({
    name: `legacy cosign .sig signatures on ${target.label}`,
    ignore: target.ignore || missingSigstore(),
    sanitizeResources: false,
    fn: () =>
      withTempDir(async (tmp) => {
        await using s = await services();
        await using reg = await target.start();
        await reg.writeDockerConfig(tmp);
        const env = { DOCKER_CONFIG: tmp };
        const ref = `${reg.host}/klaus-plugins/base:v1`;
        const client = new Client({ plainHttp: true, env });
        await client.pushPlugin(fixture("plugins/base"), ref, { name: "base" });
        await client.close();
        const store = new RegistryStore({ plainHttp: true, env });
        const repo = { registry: reg.host, repository: "klaus-plugins/base" };
        const { descriptor } = await manifestOf(store, repo, { tag: "v1" });
        const key = await exercise(s, store, repo, descriptor.digest);
        await pullsUnderEitherPolicy(s, key, ref, env);
      }),
  });
}
