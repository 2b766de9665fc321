/**
 * The Fulcio and Rekor clients of keyless signing against the local
 * sigstore services (the sigstore project's own mock Fulcio and Rekor over
 * HTTP on loopback), and their failures against small hostile servers:
 * Fulcio refusing (400, echoing the token), Rekor failing (500), a service
 * that never answers, answers that certify another key or record another
 * entry. The identity token never appears in a message.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { SignatureError } from "../../src/errors.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../../src/oci/media_types.ts";
import { TimeoutError } from "../../src/registry/timeout_error.ts";
import { derToP1363 } from "../../src/sign/der_signature.ts";
import {
  requestSigningCertificate,
  SigningServiceError,
  tokenClaims,
} from "../../src/sign/fulcio.ts";
import { decodeBase64, parsePem } from "../../src/sign/keys.ts";
import { createKeylessBundle } from "../../src/sign/keyless_sign.ts";
import {
  missingSigstore,
  type SigstoreServices,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";

const SUBJECT = TEST_SUBJECT;

const MANIFEST = new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPE_OCI_MANIFEST,
  config: { mediaType: "application/json", digest: "sha256:" + "0".repeat(64) },
  layers: [],
}));
const DESC = {
  mediaType: MEDIA_TYPE_OCI_MANIFEST,
  digest: digestOf(MANIFEST),
  size: MANIFEST.byteLength,
};

interface Seen {
  url: string;
  body: Record<string, unknown>;
}

/** A fetch that records the JSON bodies it sends. */
function recordingFetch(seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const body = init?.body;
    if (typeof body === "string") {
      seen.push({ url: String(input), body: JSON.parse(body) });
    }
    return await fetch(input, init);
  };
}

/** A loopback server answering every request with `answer`. */
function serve(
  answer: (req: Request) => Response | Promise<Response>,
): { url: string; close(): Promise<void> } {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    answer,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

function noToken(token: string) {
  return (e: unknown) => {
    let m = "";
    for (let c: unknown = e; c instanceof Error; c = c.cause) {
      m += `${c.message}\n${c.stack ?? ""}\n`;
    }
    ok(!m.includes(token), `the token leaked: ${m}`);
    ok(!m.includes(token.split(".")[1]), `the token's claims leaked: ${m}`);
  };
}

async function withServices(
  fn: (s: SigstoreServices) => Promise<void>,
): Promise<void> {
  const s = await startSigstoreServices();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

Deno.test("tokenClaims: email when present, else sub; the issuer", () => {
  const jwt = (claims: object) =>
    `e30.${
      btoa(JSON.stringify(claims)).replaceAll("=", "").replaceAll("+", "-")
        .replaceAll("/", "_")
    }.sig`;
  deepStrictEqual(tokenClaims(jwt({ iss: "https://i", sub: "s" })), {
    issuer: "https://i",
    subject: "s",
  });
  deepStrictEqual(
    tokenClaims(jwt({ iss: "https://i", sub: "s", email: "a@b.c" })),
    { issuer: "https://i", subject: "a@b.c" },
  );
  for (const bad of ["not-a-jwt", jwt({ sub: "s" }), jwt({ iss: "x" })]) {
    let caught: unknown;
    try {
      tokenClaims(bad);
    } catch (e) {
      caught = e;
    }
    ok(caught instanceof SignatureError && caught.reason === "other");
    ok(!caught.message.includes(bad), caught.message);
  }
});

Deno.test({
  name:
    "keyless: Fulcio certifies the ephemeral key after proof of possession; Rekor records the signature",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: () =>
    withServices(async (s) => {
      for (const email of [undefined, "dev@klaus.example"]) {
        const seen: Seen[] = [];
        const token = s.identityToken(SUBJECT, { email });
        const signed = await createKeylessBundle(DESC, MANIFEST, {
          identityToken: () => Promise.resolve(token),
          fulcioUrl: s.fulcioUrl,
          rekorUrl: s.rekorUrl,
          fetch: recordingFetch(seen),
        });
        // One request to each service.
        deepStrictEqual(seen.map((r) => new URL(r.url).pathname), [
          "/api/v2/signingCert",
          "/api/v1/log/entries",
        ]);
        // What the certificate says: the mock Fulcio certifies `sub`
        // even when there is an email (real Fulcio certifies the email).
        strictEqual(signed.identity, SUBJECT);
        strictEqual(signed.issuer, TEST_ISSUER);
        ok(Number.isSafeInteger(signed.tlogIndex));

        // The proof of possession: the key signed the token's subject.
        const req = seen[0].body as {
          credentials: { oidcIdentityToken: string };
          publicKeyRequest: {
            publicKey: { algorithm: string; content: string };
            proofOfPossession: string;
          };
        };
        strictEqual(req.credentials.oidcIdentityToken, token);
        strictEqual(req.publicKeyRequest.publicKey.algorithm, "ECDSA");
        const key = await crypto.subtle.importKey(
          "spki",
          new Uint8Array(parsePem(req.publicKeyRequest.publicKey.content).der),
          { name: "ECDSA", namedCurve: "P-256" },
          true,
          ["verify"],
        );
        const pop = derToP1363(
          decodeBase64(req.publicKeyRequest.proofOfPossession),
        );
        ok(
          await crypto.subtle.verify(
            { name: "ECDSA", hash: "SHA-256" },
            key,
            new Uint8Array(pop),
            new TextEncoder().encode(email ?? SUBJECT),
          ),
          "proof of possession does not verify over the subject",
        );

        // The bundle: leaf certificate only, one log entry, the signature
        // over the manifest bytes by the certified key.
        const bundle = JSON.parse(new TextDecoder().decode(signed.bundle));
        strictEqual(
          bundle.mediaType,
          "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        strictEqual(
          bundle.verificationMaterial.certificate.rawBytes,
          btoa(
            String.fromCharCode(...parsePem(signed.certificateChain[0]).der),
          ),
        );
        const [entry] = bundle.verificationMaterial.tlogEntries;
        strictEqual(entry.logIndex, String(signed.tlogIndex));
        deepStrictEqual(entry.kindVersion, {
          kind: "hashedrekord",
          version: "0.0.1",
        });
        ok(/^\d+$/.test(entry.integratedTime));
        ok(entry.inclusionPromise.signedEntryTimestamp);
        ok(entry.inclusionProof.checkpoint.envelope);
        strictEqual(decodeBase64(entry.inclusionProof.rootHash).length, 32);
        const body = JSON.parse(
          new TextDecoder().decode(decodeBase64(entry.canonicalizedBody)),
        );
        strictEqual(body.spec.data.hash.value, DESC.digest.slice(7));
        strictEqual(
          new TextDecoder().decode(
            decodeBase64(body.spec.signature.publicKey.content),
          ),
          signed.certificateChain[0],
        );
        const sig = derToP1363(decodeBase64(bundle.messageSignature.signature));
        ok(
          await crypto.subtle.verify(
            { name: "ECDSA", hash: "SHA-256" },
            key,
            new Uint8Array(sig),
            MANIFEST,
          ),
        );
        strictEqual(
          bundle.messageSignature.messageDigest.digest,
          btoa(
            String.fromCharCode(
              ...DESC.digest.slice(7).match(/../g)!.map((h) => parseInt(h, 16)),
            ),
          ),
        );
        ok(!new TextDecoder().decode(signed.bundle).includes(token));
      }
    }),
});

Deno.test({
  name:
    "keyless: Fulcio 400, Rekor 500, no answer, another key, another entry: typed errors naming URL and status, never the token",
  ignore: missingSigstore(),
  sanitizeResources: false,
  fn: () =>
    withServices(async (s) => {
      const token = s.identityToken(SUBJECT);
      // Fulcio refuses and echoes the token in every form it can.
      const fulcio400 = serve(async (req) => {
        const body = await req.text();
        return new Response(
          `invalid identity token ${token} in ${body} (${
            JSON.stringify(token)
          })`,
          { status: 400 },
        );
      });
      // Rekor fails.
      const rekor500 = serve(() =>
        new Response("internal error", { status: 500 })
      );
      // A service that never answers.
      const pending: (() => void)[] = [];
      const silent = serve(() =>
        new Promise<Response>((resolve) =>
          pending.push(() => resolve(new Response("late")))
        )
      );
      // Fulcio certifying another key than the one sent.
      const swapped = serve(async (req) => {
        const doc = await req.json();
        const other = await crypto.subtle.generateKey(
          { name: "ECDSA", namedCurve: "P-256" },
          true,
          ["sign"],
        ) as CryptoKeyPair;
        const spki = new Uint8Array(
          await crypto.subtle.exportKey("spki", other.publicKey),
        );
        doc.publicKeyRequest.publicKey.content = `-----BEGIN PUBLIC KEY-----\n${
          btoa(String.fromCharCode(...spki))
        }\n-----END PUBLIC KEY-----\n`;
        return await fetch(`${s.fulcioUrl}/api/v2/signingCert`, {
          method: "POST",
          body: JSON.stringify(doc),
          headers: { "content-type": "application/json" },
        });
      });
      // Rekor recording another digest than the one sent.
      const forged = serve(async (req) => {
        const doc = await req.json();
        doc.spec.data.hash.value = "ab".repeat(32);
        return await fetch(`${s.rekorUrl}/api/v1/log/entries`, {
          method: "POST",
          body: JSON.stringify(doc),
          headers: { "content-type": "application/json" },
        });
      });
      try {
        const base = {
          identityToken: token,
          fulcioUrl: s.fulcioUrl,
          rekorUrl: s.rekorUrl,
        };
        const cases: {
          what: string;
          options: Record<string, unknown>;
          check: (e: unknown) => void;
        }[] = [
          {
            what: "Fulcio 400",
            options: { fulcioUrl: fulcio400.url },
            check: (e) => {
              ok(e instanceof SigningServiceError, String(e));
              strictEqual(e.reason, "other");
              strictEqual(e.status, 400);
              strictEqual(e.url, `${fulcio400.url}/api/v2/signingCert`);
              ok(e.message.includes("requesting a signing certificate"));
              ok(e.message.includes("response status code 400"), e.message);
              ok(e.message.includes(fulcio400.url), e.message);
            },
          },
          {
            what: "Rekor 500",
            options: { rekorUrl: rekor500.url },
            check: (e) => {
              ok(e instanceof SigningServiceError, String(e));
              strictEqual(e.status, 500);
              ok(e.message.includes("transparency log"), e.message);
              ok(e.message.includes("response status code 500"), e.message);
              ok(e.message.includes(`${rekor500.url}/api/v1/log/entries`));
            },
          },
          {
            what: "Fulcio silent",
            options: { fulcioUrl: silent.url, timeoutMs: 300 },
            check: (e) => {
              ok(e instanceof TimeoutError, String(e));
              ok(e.message.includes("no response within 300 ms"), e.message);
              ok(e.message.includes(silent.url), e.message);
            },
          },
          {
            what: "Rekor silent",
            options: { rekorUrl: silent.url, timeoutMs: 300 },
            check: (e) => {
              ok(e instanceof TimeoutError, String(e));
              ok(e.message.includes("transparency log"), e.message);
            },
          },
          {
            what: "another key",
            options: { fulcioUrl: swapped.url },
            check: (e) => {
              ok(e instanceof SigningServiceError, String(e));
              ok(e.message.includes("not for the key sent"), e.message);
            },
          },
          {
            what: "another entry",
            options: { rekorUrl: forged.url },
            check: (e) => {
              ok(e instanceof SigningServiceError, String(e));
              ok(e.message.includes("another entry"), e.message);
            },
          },
        ];
        for (const c of cases) {
          const started = Date.now();
          await rejects(
            () =>
              createKeylessBundle(DESC, MANIFEST, { ...base, ...c.options }),
            (e: unknown) => {
              c.check(e);
              noToken(token)(e);
              return true;
            },
            c.what,
          );
          ok(Date.now() - started < 10_000, `${c.what}: took too long`);
        }
        // The same through the Fulcio client alone.
        await rejects(
          () =>
            requestSigningCertificate(
              fulcio400.url,
              token,
              "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
              new Uint8Array(8),
            ),
          (e: unknown) => {
            ok(e instanceof SigningServiceError);
            noToken(token)(e);
            return true;
          },
        );
        // A token function that fails; an empty token.
        await rejects(
          () =>
            createKeylessBundle(DESC, MANIFEST, {
              ...base,
              identityToken: () => Promise.reject(new Error("no provider")),
            }),
          (e: unknown) =>
            e instanceof SignatureError && e.reason === "other" &&
            e.message.includes("no provider"),
        );
        await rejects(
          () =>
            createKeylessBundle(DESC, MANIFEST, { ...base, identityToken: "" }),
          (e: unknown) => e instanceof SignatureError &&
            e.message.includes("no identity token"),
        );
      } finally {
        for (const p of pending) p();
        await Promise.all(
          [fulcio400, rekor500, silent, swapped, forged].map((x) => x.close()),
        );
      }
    }),
});
