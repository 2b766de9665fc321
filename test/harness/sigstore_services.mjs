// Local sigstore services for the signing interop tests: the sigstore
// project's own mock Fulcio (CA + CT log), Rekor (transparency log) and a
// TUF repository serving the matching trusted root, over real HTTP on
// loopback. Never the public-good instances.
//
// Run with Node 22 (the @sigstore packages require it):
//   node test/harness/sigstore_services.mjs
// Prints one JSON line ({ url, trustedRoot, tufRoot }) and serves until
// stdin closes or it is signalled. POST /_sign signs with @sigstore/sign
// ({ kind: "blob" | "dsse", payload: base64, payloadType?, token }) so tests
// get bundles made by the reference signer.
import { createServer } from "node:http";
import { createHash, generateKeyPairSync } from "node:crypto";
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
import { initializeTUFRepo } from "@tufjs/repo-mock/dist/repo.js";
import { tufHandlers } from "@tufjs/repo-mock/dist/handler.js";
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
} from "@sigstore/sign";
import { bundleToJSON } from "@sigstore/bundle";

const key = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
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
  timestampAuthorities: [],
};
const trustedRootText = JSON.stringify(trustedRoot);
const tuf = initializeTUFRepo([
  { name: "trusted_root.json", content: trustedRootText },
]);

const routes = new Map();
for (const h of [fulcioHandler(ca), rekorHandler(tlog)]) {
  routes.set(`POST ${h.path}`, h.fn);
}
// tuf-js reads metadata at the mirror URL itself and targets below /targets.
for (const h of tufHandlers(tuf, { metadataPathPrefix: "" })) {
  routes.set(`GET ${h.path}`, h.fn);
}

async function sign(body) {
  const { kind, payload, payloadType, token } = JSON.parse(body);
  const signer = new FulcioSigner({
    fulcioBaseURL: url,
    identityProvider: { getToken: () => Promise.resolve(token) },
  });
  const witnesses = [
    new RekorWitness({
      rekorBaseURL: url,
      entryType: kind === "dsse" ? "intoto" : undefined,
    }),
  ];
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
