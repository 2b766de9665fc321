/**
 * Keyless signing against the sigstore project's own tools, with local
 * services only (mock Fulcio + CT log, Rekor and a TUF repository from
 * `@sigstore/mock`, test/harness/sigstore.ts), on both registries:
 * distribution 2.8 (htpasswd Basic; referrers tag schema) and the peer
 * registry (serverless-registry, Basic; referrers API).
 *
 * a. We sign (library `sign`, CLI `push --sign` with SIGSTORE_ID_TOKEN);
 *    the bundle read back from the registry as a referrer verifies over
 *    the manifest bytes with `sigstore verify` (the reference CLI, through
 *    the local TUF repository), and is refused for another identity.
 * b. `sigstore attest` signs an in-toto statement about our manifest and
 *    `sigstore attach` attaches it to the artifact; our `pull` with
 *    `--certificate-identity`, `--certificate-oidc-issuer` and
 *    `--trusted-root` verifies it, and refuses unsigned, another identity,
 *    another issuer, a tampered payload (the modified bundle re-attached)
 *    and a statement about another digest — each before anything is
 *    extracted (the destination untouched), exit 1 naming the reason, the
 *    library's SignatureError carrying it.
 *
 * Finding (`sigstore attach`, @sigstore/cli with @sigstore/oci): it
 * works on both Basic-auth registries with `-u/-p` (on distribution 2.8 it
 * writes the referrers tag schema index itself, on the peer registry the
 * referrers API indexes it), but it cannot attach to a registry without
 * authentication: without credentials it stops before any request ("Error
 * getting registry credentials"), and with any -u/-p its sign-in probe
 * (`POST /v2/<repo>/blobs/uploads/`) takes only a 200 as "authenticated";
 * the open distribution registry answers 202 without a challenge, so it
 * fails with "Invalid challenge: " (and leaves an upload session open).
 * The last test records this.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { SignatureError } from "../../src/errors.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { MEDIA_TYPE_SIGSTORE_BUNDLE } from "../../src/sign/mod.ts";
import { fixture } from "../artifact/_fs_helpers.ts";
import { sandbox } from "../cli/helpers.ts";
import { countingFetch } from "../harness/counting_fetch.ts";
import { type RegistryHandle, startRegistry } from "../harness/registry.ts";
import {
  missingSigstore,
  type SigstoreServices,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";
import { missing } from "../harness/require.ts";
import { manifestOf } from "../sign/_signing_helpers.ts";
import { interopRegistries } from "./registries.ts";

const SUBJECT = TEST_SUBJECT;
const MALLORY = "https://github.com/mallory/ci/.github/workflows/x.yml@main";

async function bundlesOf(
  store: OciStore,
  repo: RepositoryRef,
  digest: string,
): Promise<Uint8Array[]> {
  const referrers = await store.listReferrers(repo, digest, {
    artifactType: MEDIA_TYPE_SIGSTORE_BUNDLE,
  });
  const out: Uint8Array[] = [];
  for (const r of referrers) {
    const { bytes } = await store.fetchManifest({ ...repo, digest: r.digest });
    const layer =
      (JSON.parse(new TextDecoder().decode(bytes)).layers as Descriptor[])[0];
    const blob = await store.fetchBlob(repo, layer);
    out.push(new Uint8Array(await new Response(blob).arrayBuffer()));
  }
  return out;
}

/** `sigstore verify` of `bundle` over `manifest` for `identity`. */
async function referenceVerify(
  s: SigstoreServices,
  name: string,
  bundle: Uint8Array,
  manifest: Uint8Array,
  identity: string,
) {
  await Deno.writeFile(join(s.dir, `${name}.bundle.json`), bundle);
  await Deno.writeFile(join(s.dir, `${name}.manifest.json`), manifest);
  return await s.cli([
    "verify",
    `${name}.bundle.json`,
    "--blob-file",
    `${name}.manifest.json`,
    "--certificate-issuer",
    TEST_ISSUER,
    "--certificate-identity-uri",
    identity,
  ]);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function scenarios(reg: RegistryHandle, s: SigstoreServices) {
  await using sb = await sandbox();
  await reg.writeDockerConfig(join(sb.dir, "docker"));
  const env = { DOCKER_CONFIG: join(sb.dir, "docker") };
  const counter = countingFetch();
  const client = new Client({ plainHttp: true, env, fetch: counter.fetch });
  const store = new RegistryStore({ plainHttp: true, env });
  const base = `${reg.host}/giantswarm/klaus-plugins`;
  const repoOf = (name: string) => ({
    registry: reg.host,
    repository: `giantswarm/klaus-plugins/${name}`,
  });
  const sign = {
    identityToken: () => Promise.resolve(s.identityToken(SUBJECT)),
    fulcioUrl: s.fulcioUrl,
    rekorUrl: s.rekorUrl,
  };
  const policy = {
    trustedRoot: s.trustedRoot,
    certificateIdentity: SUBJECT,
    certificateOidcIssuer: TEST_ISSUER,
  };
  const policyFlags = [
    "--certificate-identity",
    SUBJECT,
    "--certificate-oidc-issuer",
    TEST_ISSUER,
    "--trusted-root",
    s.trustedRootPath,
  ];
  try {
    // ---- a. We sign; the reference CLI verifies. ----------------------
    counter.reset();
    const pushed = await client.pushPlugin(
      fixture("plugins/base"),
      `${base}/ours:v1.0.0`,
      { name: "ours" },
      { sign },
    );
    const registryRequests = counter.requests.map((q) =>
      `${q.method} ${q.kind}`
    );
    const signature = (pushed as { signature?: Record<string, unknown> })
      .signature;
    strictEqual(signature?.identity, SUBJECT);
    strictEqual(signature?.issuer, TEST_ISSUER);
    ok(typeof signature?.tlogIndex === "number");
    const ours = await manifestOf(store, repoOf("ours"), { tag: "v1.0.0" });
    strictEqual(ours.descriptor.digest, pushed.digest);
    const [bundle] = await bundlesOf(store, repoOf("ours"), pushed.digest);
    ok(bundle, "no bundle attached");
    const good = await referenceVerify(s, "ours", bundle, ours.bytes, SUBJECT);
    strictEqual(good.code, 0, `sigstore verify: ${good.stderr}`);
    ok(good.stderr.includes("Verification succeeded"), good.stderr);
    const other = await referenceVerify(
      s,
      "ours",
      bundle,
      ours.bytes,
      MALLORY,
    );
    ok(other.code !== 0, "sigstore verify accepted another identity");
    ok(/certificate identity error/.test(other.stderr), other.stderr);
    // ... and we verify it too (the library and the CLI).
    const found = await client.verifySignatures(`${base}/ours:v1.0.0`, {
      policy,
    });
    strictEqual(found.signatures.length, 1);
    strictEqual(found.signatures[0].verified, true);
    strictEqual(found.signatures[0].identity, SUBJECT);
    strictEqual(found.signatures[0].tlogIndex, signature?.tlogIndex);

    // The CLI's push --sign, token from SIGSTORE_ID_TOKEN.
    const cliPush = await sb.ok([
      "--json",
      "--plain-http",
      "plugin",
      "push",
      fixture("plugins/base"),
      `${base}/ours-cli:v1.0.0`,
      "--sign",
      "--fulcio-url",
      s.fulcioUrl,
      "--rekor-url",
      s.rekorUrl,
    ], { env: { SIGSTORE_ID_TOKEN: s.identityToken(SUBJECT) } });
    const cliDoc = JSON.parse(cliPush.stdout);
    strictEqual(cliDoc.signedBy, SUBJECT);
    strictEqual(cliDoc.signature.issuer, TEST_ISSUER);
    const oursCli = await manifestOf(store, repoOf("ours-cli"), {
      tag: "v1.0.0",
    });
    const [cliBundle] = await bundlesOf(
      store,
      repoOf("ours-cli"),
      oursCli.descriptor.digest,
    );
    const cliGood = await referenceVerify(
      s,
      "ours-cli",
      cliBundle,
      oursCli.bytes,
      SUBJECT,
    );
    strictEqual(cliGood.code, 0, `sigstore verify: ${cliGood.stderr}`);
    const cliOther = await referenceVerify(
      s,
      "ours-cli",
      cliBundle,
      oursCli.bytes,
      MALLORY,
    );
    ok(cliOther.code !== 0, "sigstore verify accepted another identity");
    const cliPull = await sb.ok([
      "--plain-http",
      "plugin",
      "pull",
      `${base}/ours-cli:v1.0.0`,
      join(sb.dir, "work", "ours-cli"),
      ...policyFlags,
    ]);
    ok(
      cliPull.stdout.includes(`verified: ${SUBJECT} (${TEST_ISSUER})`),
      cliPull.stdout,
    );

    // ---- b. The sigstore CLI signs and attaches; we verify. -------------
    const attest = async (
      name: string,
      digest: string,
      subject = SUBJECT,
    ): Promise<string> => {
      const statement = {
        _type: "https://in-toto.io/Statement/v1",
        subject: [{
          name: `${base}/${name}`,
          digest: { sha256: digest.slice("sha256:".length) },
        }],
        predicateType: "https://klaus.example/release/v1",
        predicate: { builder: "klaus-ci" },
      };
      await Deno.writeTextFile(
        join(s.dir, `${name}.statement.json`),
        JSON.stringify(statement),
      );
      const out = await s.cli([
        "attest",
        `${name}.statement.json`,
        "--fulcio-url",
        s.fulcioUrl,
        "--rekor-url",
        s.rekorUrl,
        "-o",
        `${name}.attestation.json`,
      ], { CI: "true", SIGSTORE_ID_TOKEN: s.identityToken(subject) });
      strictEqual(out.code, 0, `sigstore attest: ${out.stderr}`);
      return join(s.dir, `${name}.attestation.json`);
    };
    const attach = async (name: string, digest: string, file: string) => {
      const out = await s.cli([
        "attach",
        "--attestation",
        file,
        "-u",
        reg.username,
        "-p",
        reg.password,
        `${reg.host}/giantswarm/klaus-plugins/${name}@${digest}`,
      ], { HOME: join(sb.dir, "home") });
      strictEqual(out.code, 0, `sigstore attach: ${out.stderr}`);
      ok(out.stderr.includes("Artifact attached"), out.stderr);
    };
    const push = async (name: string) =>
      (await client.pushPlugin(
        fixture("plugins/base"),
        `${base}/${name}:v1.0.0`,
        { name },
      )).digest;

    const theirs = await push("theirs");
    await attach("theirs", theirs, await attest("theirs", theirs));
    const dest = join(sb.dir, "work", "theirs");
    const pulled = await sb.ok([
      "--json",
      "--plain-http",
      "plugin",
      "pull",
      `${base}/theirs:v1.0.0`,
      dest,
      ...policyFlags,
    ]);
    const doc = JSON.parse(pulled.stdout);
    strictEqual(doc.digest, theirs);
    strictEqual(doc.signatures.length, 1);
    strictEqual(doc.signatures[0].verified, true);
    strictEqual(doc.signatures[0].identity, SUBJECT);
    strictEqual(doc.signatures[0].issuer, TEST_ISSUER);
    ok(typeof doc.signatures[0].tlogIndex === "number");
    ok(await exists(join(dest, ".oci-cache.json")));
    const verifiedCopy = await Deno.readTextFile(join(dest, ".oci-cache.json"));
    // describe --verify shows the same.
    const described = await sb.ok([
      "--plain-http",
      "plugin",
      "describe",
      `${base}/theirs:v1.0.0`,
      "--verify",
      ...policyFlags,
    ]);
    ok(
      described.stdout.includes(`verified: ${SUBJECT} (${TEST_ISSUER})`),
      described.stdout,
    );

    // Refusals: unsigned, another identity, another issuer, a tampered
    // payload, a statement about another digest.
    await push("unsigned");
    const tampered = await push("tampered");
    {
      const file = await attest("tampered", tampered);
      const b = JSON.parse(await Deno.readTextFile(file));
      const statement = JSON.parse(atob(b.dsseEnvelope.payload));
      statement.predicate.builder = "mallory";
      b.dsseEnvelope.payload = btoa(JSON.stringify(statement));
      await Deno.writeTextFile(file, JSON.stringify(b));
      await attach("tampered", tampered, file);
    }
    const otherDigest = await push("other-digest");
    await attach(
      "other-digest",
      otherDigest,
      await attest("other-digest", theirs),
    );
    const cases: {
      name: string;
      flags: string[];
      reason: string;
      policy: Record<string, unknown>;
    }[] = [
      { name: "unsigned", flags: policyFlags, reason: "unsigned", policy },
      {
        name: "theirs",
        flags: [
          "--certificate-identity",
          MALLORY,
          ...policyFlags.slice(2),
        ],
        reason: "wrong-identity",
        policy: { ...policy, certificateIdentity: MALLORY },
      },
      {
        name: "theirs",
        flags: [
          ...policyFlags.slice(0, 2),
          "--certificate-oidc-issuer",
          "https://accounts.mallory.example",
          ...policyFlags.slice(4),
        ],
        reason: "wrong-identity",
        policy: {
          ...policy,
          certificateOidcIssuer: "https://accounts.mallory.example",
        },
      },
      { name: "tampered", flags: policyFlags, reason: "tampered", policy },
      {
        name: "other-digest",
        flags: policyFlags,
        reason: "other-digest",
        policy,
      },
    ];
    for (const c of cases) {
      const ref = `${base}/${c.name}:v1.0.0`;
      // The CLI: exit 1 naming the reason, nothing created.
      const fresh = join(sb.dir, "work", `refused-${c.name}-${c.reason}`);
      const r = await sb.run([
        "--plain-http",
        "plugin",
        "pull",
        ref,
        fresh,
        ...c.flags,
      ]);
      strictEqual(r.code, 1, `${c.name}/${c.reason}: ${r.stdout}${r.stderr}`);
      ok(r.stderr.includes(c.reason), `${c.name}/${c.reason}: ${r.stderr}`);
      ok(!(await exists(fresh)), `${c.name}/${c.reason}: destination made`);
      // The library: a SignatureError with the reason, before the layer;
      // the verified copy in `dest` is left as it was.
      const { bytes } = await manifestOf(store, repoOf(c.name), {
        tag: "v1.0.0",
      });
      const layer = JSON.parse(new TextDecoder().decode(bytes)).layers[0]
        .digest as string;
      counter.reset();
      let caught: unknown;
      try {
        await client.pullPlugin(ref, dest, { verification: c.policy });
      } catch (e) {
        caught = e;
      }
      ok(caught instanceof SignatureError, `${c.name}: ${caught}`);
      strictEqual(caught.reason, c.reason, caught.message);
      ok(
        !counter.requests.some((q) =>
          q.kind === "blob" && q.method === "GET" && q.url.includes(layer)
        ),
        `${c.name}/${c.reason}: the content layer was requested`,
      );
      strictEqual(
        await Deno.readTextFile(join(dest, ".oci-cache.json")),
        verifiedCopy,
      );
    }
    console.log(
      `signed push (library): ${registryRequests.length} registry requests ` +
        `(+1 Fulcio, +1 Rekor): ${registryRequests.join(", ")}`,
    );
  } finally {
    await client.close();
  }
}

for (const target of interopRegistries()) {
  Deno.test({
    name: `sigstore interop (keyless, both directions) on ${target.label}`,
    ignore: target.ignore || missingSigstore(),
    sanitizeResources: false,
    async fn() {
      const s = await startSigstoreServices();
      try {
        await using reg = await target.start();
        await scenarios(reg, s);
      } finally {
        await s.close();
      }
    },
  });
}

Deno.test({
  name:
    "sigstore attach on the open distribution registry: what it does (recorded)",
  ignore: missing("docker-registry") || missingSigstore(),
  sanitizeResources: false,
  async fn() {
    const s = await startSigstoreServices();
    try {
      await using reg = await startRegistry({ mode: "open" });
      const client = new Client({ plainHttp: true, env: {} });
      const { digest } = await client.pushPlugin(
        fixture("plugins/base"),
        `${reg.host}/p/open:v1.0.0`,
        { name: "open" },
      );
      await client.close();
      const home = await Deno.makeTempDir({ dir: s.dir });
      await Deno.writeTextFile(
        join(s.dir, "st.json"),
        JSON.stringify({
          _type: "https://in-toto.io/Statement/v1",
          subject: [{ name: "open", digest: { sha256: digest.slice(7) } }],
          predicateType: "https://klaus.example/release/v1",
          predicate: {},
        }),
      );
      const att = await s.cli([
        "attest",
        "st.json",
        "--fulcio-url",
        s.fulcioUrl,
        "--rekor-url",
        s.rekorUrl,
        "-o",
        "open.json",
      ], { CI: "true", SIGSTORE_ID_TOKEN: s.identityToken(SUBJECT) });
      strictEqual(att.code, 0, att.stderr);
      const target = `${reg.host}/p/open@${digest}`;
      // Without credentials (no -u/-p, an empty home): refused up front.
      const bare = await s.cli(
        ["attach", "--attestation", "open.json", target],
        { HOME: home },
      );
      console.log(
        `attach, open registry, no credentials: exit ${bare.code}: ${
          bare.stderr.split("\n").filter((l) => /Error|error/.test(l))
            .slice(0, 3).join(" | ")
        }`,
      );
      ok(bare.code !== 0);
      ok(bare.stderr.includes("Error getting registry credentials"));
      // With any -u/-p (the open registry ignores them).
      const any = await s.cli(
        ["attach", "--attestation", "open.json", "-u", "x", "-p", "y", target],
        { HOME: home },
      );
      console.log(
        `attach, open registry, -u x -p y: exit ${any.code}: ${
          any.stderr.split("\n").filter((l) => /Error|error/.test(l))
            .slice(0, 3).join(" | ")
        }`,
      );
      ok(
        any.code !== 0,
        "attach now works on an open registry: update the finding",
      );
      ok(any.stderr.includes("Invalid challenge"), any.stderr);
    } finally {
      await s.close();
    }
  },
});
