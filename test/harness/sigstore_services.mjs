// Local sigstore services for the signing interop tests: the sigstore
// project's own mock Fulcio (CA + CT log), Rekor (transparency log), RFC 3161
// timestamp authority and a TUF repository serving the matching trusted
// root, over real HTTP on loopback. Never the public-good instances.
//
// Run with Node 22 (the @sigstore packages require it):
//   node test/harness/sigstore_services.mjs
// Prints one JSON line ({ url, trustedRoot, tufRoot }) and serves until
// stdin closes or it is signalled. POST /_sign signs with @sigstore/sign
// ({ kind: "blob" | "dsse", payload: base64, payloadType?, token, tsa?,
// rekor? }) so tests get bundles made by the reference signer:
//   tsa: false (default) | true (the trusted TSA) | "other-ca" (a TSA whose
//        chain is not in the trusted root) | "late" (a trusted TSA whose
//        clock runs 30 minutes ahead: genTime after the Fulcio certificate
//        expired) | "rsa" / "ed25519" (trusted TSAs with RSA 2048 PKCS#1
//        v1.5 and Ed25519 keys)
//   rekor: "v1" (default: hashedrekord/intoto 0.0.x with SET and proof) |
//          "v2" (hashedrekord/dsse 0.0.2, inclusion proof + checkpoint
//          only) | "none"
//
// Rekor v2: the mock's rekorV2Handler (@sigstore/mock 0.13) logs the
// canonicalized *request* (no kind/apiVersion) with an inclusion proof whose
// index lies outside its one-leaf tree, so neither @sigstore/verify nor any
// other verifier accepts its entries. This file serves /api/v2/log/entries
// itself, as rekor-tiles does: the body is the canonical JSON of the
// rekor.v2 Entry (kind, apiVersion 0.0.2, spec.hashedRekordV002 |
// spec.dsseV002), appended to a real RFC 6962 tree (seeded with a few
// leaves so proofs have a path), proven against a checkpoint signed by the
// log's key; the entry's logId is the checkpoint key id, which the trusted
// root names in `checkpointKeyId` (as @sigstore/verify and sigstore-go
// match v2 logs).
import { createServer } from "node:http";
import { createHash, createSign, generateKeyPairSync } from "node:crypto";
// Deep imports: the packages' entry points load nock, which patches
// node:http globally and breaks the reference signer's own requests.
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
} from "@sigstore/mock/dist/fulcio/index.js";
import {
  initializeTLog,
  rekorHandler,
} from "@sigstore/mock/dist/rekor/index.js";
import {
  initializeTSA,
  tsaHandler,
} from "@sigstore/mock/dist/timestamp/index.js";
import {
  createIntermediateCertificate,
  createRootCertificate,
} from "@sigstore/mock/dist/util/root-cert.js";
import * as pkijs from "pkijs";
import { createRequire } from "node:module";
import { initializeTUFRepo } from "@tufjs/repo-mock/dist/repo.js";
import { tufHandlers } from "@tufjs/repo-mock/dist/handler.js";
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
} from "@sigstore/sign";
import { bundleToJSON } from "@sigstore/bundle";
import { json as sigstoreJson } from "@sigstore/core";
import { HashAlgorithm, TransparencyLogEntry } from "@sigstore/protobuf-specs";
import { CreateEntryRequest, Entry } from "@sigstore/protobuf-specs/rekor/v2";

const key = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
// The CommonJS build: the mock's certificate helpers check keys against its
// classes, and the ESM build's are others.
const peculiar = new (createRequire(import.meta.url)("@peculiar/webcrypto")
  .Crypto)();
const TSA_ROOT = "CN=tsa,O=sigstore.mock";
const spki = (pair) => pair.publicKey.export({ format: "der", type: "spki" });
const b64 = (bytes) => Buffer.from(bytes).toString("base64");

const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const caKeys = key();
const ctKeys = key();
const tlogKeys = key();
const ctlog = await initializeCTLog(ctKeys);
const ca = await initializeCA(caKeys, ctlog);
const tlog = await initializeTLog(url, tlogKeys);
// @sigstore/core 4.0.1 reads a genTime fraction only when it has exactly
// three digits, while DER drops trailing zeros (430 ms is ".43"): one
// timestamp in ten from the mock would fail @sigstore/cli verify ("invalid
// time") and no cross-check could be trusted. The TSAs' clocks keep the last
// millisecond digit non-zero (a three-digit fraction every time).
const tsaClock = (offset = 0) => () => {
  const d = new Date(Date.now() + offset);
  if (d.getMilliseconds() % 10 === 0) {
    d.setMilliseconds(d.getMilliseconds() + 1);
  }
  return d;
};
const tsaKeys = key();
const tsa = await initializeTSA(tsaKeys);
tsa.getCurrentTime = tsaClock();
// A TSA whose chain the trusted root does not name.
const otherTsa = await initializeTSA(key());
otherTsa.getCurrentTime = tsaClock();
// A trusted TSA whose clock runs ahead (its own certificates are issued
// "now", so they are valid at its genTime; Fulcio's are not).
const lateTsaKeys = key();
const lateTsa = await initializeTSA(
  lateTsaKeys,
  new Date(Date.now() + 30 * 60_000),
);
lateTsa.getCurrentTime = tsaClock(30 * 60_000);
// Trusted TSAs with other key types (the mock makes ECDSA P-384 ones only):
// RSA 2048 with PKCS#1 v1.5 (what most public TSAs use), and Ed25519 (one of
// sigstore timestamp-authority's signers). Same mock TSA, other certificates
// and key; pkijs cannot sign CMS with Ed25519, so its engine is told how.
const rsaTsa = await initializeTSA(key());
await rekey(rsaTsa, {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
}, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" });
rsaTsa.getCurrentTime = tsaClock();
const ed25519Tsa = await initializeTSA(key());
await rekey(ed25519Tsa, { name: "EdDSA", namedCurve: "Ed25519" }, {
  name: "EdDSA",
});
ed25519Tsa.crypto.getSignatureParameters = () =>
  Promise.resolve({
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: "1.3.101.112",
    }),
    parameters: { algorithm: { name: "EdDSA" } },
  });
ed25519Tsa.crypto.signWithPrivateKey = (data, privateKey) =>
  peculiar.subtle.sign({ name: "EdDSA" }, privateKey, data);
ed25519Tsa.getCurrentTime = tsaClock();

/** Gives a mock TSA a fresh key of `generate` and certificates signed with it. */
async function rekey(t, generate, signing) {
  const keys = await peculiar.subtle.generateKey(generate, true, [
    "sign",
    "verify",
  ]);
  const root = await createRootCertificate(TSA_ROOT, keys, signing);
  const int = await createIntermediateCertificate(
    "CN=tsa signing,O=sigstore.mock",
    TSA_ROOT,
    keys,
    signing,
  );
  t.rootCert = pkijs.Certificate.fromBER(root.cert.rawData);
  t.intCert = pkijs.Certificate.fromBER(int.cert.rawData);
  t.keyPair = keys;
}

// Rekor v2 (rekor-tiles): a real append-only RFC 6962 tree.
const v2Keys = key();
const v2Origin = new URL(url).host;
const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
// C2SP signed-note key id: sha256(name || "\n" || type || key); ECDSA: 0x02.
const v2KeyId = sha256(
  Buffer.from(`${v2Origin}\n`),
  Buffer.of(2),
  spki(v2Keys),
);
const v2Leaves = [];
const mth = (lo, hi) => {
  if (hi - lo === 1) return v2Leaves[lo];
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return sha256(Buffer.of(1), mth(lo, lo + k), mth(lo + k, hi));
};
// RFC 6962 PATH(m, D[lo:hi]), lowest level first.
const auditPath = (m, lo, hi) => {
  if (hi - lo === 1) return [];
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return m < k
    ? [...auditPath(m, lo, lo + k), mth(lo + k, hi)]
    : [...auditPath(m - k, lo + k, hi), mth(lo, lo + k)];
};
for (let i = 0; i < 5; i++) {
  v2Leaves.push(sha256(Buffer.of(0), Buffer.from(`seed entry ${i}`)));
}
const signCheckpoint = (size, root) => {
  const note = `${v2Origin}\n${size}\n${root.toString("base64")}\n`;
  const sig = createSign("sha256").update(note).sign(v2Keys.privateKey);
  const line = Buffer.concat([v2KeyId.subarray(0, 4), sig]).toString("base64");
  return `${note}\n\u2014 ${v2Origin} ${line}\n`;
};
const verifierOf = (v) => ({
  keyDetails: v.keyDetails,
  verifier: v.verifier,
});
const rekorV2 = {
  path: "/api/v2/log/entries",
  fn: (body) => {
    const request = CreateEntryRequest.fromJSON(JSON.parse(body));
    let entry;
    if (request.spec?.$case === "hashedRekordRequestV002") {
      const r = request.spec.hashedRekordRequestV002;
      entry = {
        kind: "hashedrekord",
        apiVersion: "0.0.2",
        spec: {
          spec: {
            $case: "hashedRekordV002",
            hashedRekordV002: {
              data: { algorithm: HashAlgorithm.SHA2_256, digest: r.digest },
              signature: {
                content: r.signature.content,
                verifier: verifierOf(r.signature.verifier),
              },
            },
          },
        },
      };
    } else if (request.spec?.$case === "dsseRequestV002") {
      const r = request.spec.dsseRequestV002;
      entry = {
        kind: "dsse",
        apiVersion: "0.0.2",
        spec: {
          spec: {
            $case: "dsseV002",
            dsseV002: {
              payloadHash: {
                algorithm: HashAlgorithm.SHA2_256,
                digest: sha256(r.envelope.payload),
              },
              signatures: r.envelope.signatures.map((s, i) => ({
                content: s.sig,
                verifier: verifierOf(r.verifiers[i] ?? r.verifiers[0]),
              })),
            },
          },
        },
      };
    } else {
      return { statusCode: 400, response: "unsupported entry" };
    }
    const canonical = Buffer.from(
      sigstoreJson.canonicalize(Entry.toJSON(entry)),
    );
    const index = v2Leaves.length;
    v2Leaves.push(sha256(Buffer.of(0), canonical));
    const size = v2Leaves.length;
    const root = mth(0, size);
    const tle = {
      logIndex: String(index),
      logId: { keyId: v2KeyId },
      kindVersion: { kind: entry.kind, version: "0.0.2" },
      integratedTime: "0",
      inclusionPromise: undefined,
      inclusionProof: {
        logIndex: String(index),
        rootHash: root,
        treeSize: String(size),
        hashes: auditPath(index, 0, size),
        checkpoint: { envelope: signCheckpoint(size, root) },
      },
      canonicalizedBody: canonical,
    };
    return {
      statusCode: 201,
      response: JSON.stringify(TransparencyLogEntry.toJSON(tle)),
      contentType: "application/json",
    };
  },
};

// Valid from an hour ago: the mock CA's root is issued "now", and the
// verifiers compare the CA's window with the log's integrated time.
const start = new Date(Date.now() - 3600_000).toISOString();
const trustedRoot = {
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [{
    baseUrl: url,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: b64(spki(tlogKeys)),
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start },
    },
    logId: { keyId: b64(createHash("sha256").update(spki(tlogKeys)).digest()) },
  }, {
    // Rekor v2: same origin, its own key, named by its checkpoint key id.
    baseUrl: url,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: b64(spki(v2Keys)),
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start },
    },
    logId: { keyId: b64(sha256(spki(v2Keys))) },
    checkpointKeyId: { keyId: b64(v2KeyId) },
  }],
  certificateAuthorities: [{
    subject: { organization: "sigstore.mock", commonName: "sigstore" },
    uri: url,
    certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
    validFor: { start },
  }],
  ctlogs: [{
    baseUrl: url,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: b64(spki(ctKeys)),
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start },
    },
    logId: { keyId: b64(ctlog.logID) },
  }],
  timestampAuthorities: [tsa, lateTsa, rsaTsa, ed25519Tsa].map((t, i) => ({
    subject: { organization: "sigstore.mock", commonName: `tsa ${i}` },
    uri: `${url}/api/v1/timestamp`,
    // Leaf (the TSA's signing certificate) first, root last.
    certChain: {
      certificates: [t.intCertificate, t.rootCertificate].map((c) => ({
        rawBytes: b64(c),
      })),
    },
    validFor: { start },
  })),
};
const trustedRootText = JSON.stringify(trustedRoot);
const tuf = initializeTUFRepo([
  { name: "trusted_root.json", content: trustedRootText },
]);

const routes = new Map();
for (const h of [fulcioHandler(ca), rekorHandler(tlog), rekorV2]) {
  routes.set(`POST ${h.path}`, h.fn);
}
// The TSAs: the trusted one at the path @sigstore/sign appends, the others
// below their own prefixes (TSAWitness takes a full URL as given).
const tsas = {
  true: tsa,
  "other-ca": otherTsa,
  late: lateTsa,
  rsa: rsaTsa,
  ed25519: ed25519Tsa,
};
for (const [name, t] of Object.entries(tsas)) {
  const h = tsaHandler(t);
  const prefix = name === "true" ? "" : `/_tsa/${name}`;
  routes.set(`POST ${prefix}${h.path}`, h.fn);
}
// tuf-js reads metadata at the mirror URL itself and targets below /targets.
for (const h of tufHandlers(tuf, { metadataPathPrefix: "" })) {
  routes.set(`GET ${h.path}`, h.fn);
}

async function sign(body) {
  const { kind, payload, payloadType, token, tsa, rekor = "v1" } = JSON
    .parse(body);
  const signer = new FulcioSigner({
    fulcioBaseURL: url,
    identityProvider: { getToken: () => Promise.resolve(token) },
  });
  const witnesses = [];
  if (rekor === "v1" || rekor === "v2") {
    witnesses.push(
      new RekorWitness({
        rekorBaseURL: url,
        entryType: kind === "dsse" ? "intoto" : undefined,
        majorApiVersion: rekor === "v2" ? 2 : 1,
      }),
    );
  } else if (rekor !== "none") {
    throw new Error(`rekor: ${rekor}?`);
  }
  if (tsa) {
    if (!(String(tsa) in tsas)) throw new Error(`tsa: ${tsa}?`);
    witnesses.push(
      new TSAWitness({
        tsaBaseURL: tsa === true ? url : `${url}/_tsa/${tsa}/api/v1/timestamp`,
      }),
    );
  }
  const builder = kind === "dsse"
    ? new DSSEBundleBuilder({ signer, witnesses })
    : new MessageSignatureBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({
    data: Buffer.from(payload, "base64"),
    type: payloadType,
  });
  return {
    statusCode: 200,
    response: JSON.stringify(bundleToJSON(bundle)),
    contentType: "application/json",
  };
}
routes.set("POST /_sign", sign);

server.on("request", (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const path = new URL(req.url, url).pathname;
    const fn = routes.get(`${req.method} ${path}`);
    if (process.env.SIGSTORE_SERVICES_LOG) console.error(req.method, path);
    let out = { statusCode: 404, response: "not found" };
    try {
      if (fn) out = await fn(Buffer.concat(chunks).toString());
    } catch (e) {
      out = { statusCode: 500, response: String(e?.stack ?? e) };
    }
    res.writeHead(out.statusCode, {
      "content-type": out.contentType ?? "text/plain",
    });
    res.end(out.response);
  });
});

process.stdout.write(
  JSON.stringify({
    url,
    trustedRoot: trustedRootText,
    tufRoot: JSON.stringify(tuf.rootMeta.toJSON()),
  }) + "\n",
);
const stop = () => server.close(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
