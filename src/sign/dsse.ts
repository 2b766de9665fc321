/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse) carrying
 * in-toto statements (`application/vnd.in-toto+json`, Statement v0.1 and
 * v1), as `@sigstore/cli attest` and cosign v3 sign artifacts: the
 * signature is over the pre-authentication encoding (PAE) of the payload,
 * and the statement's subjects name the signed digests.
 *
 * @module
 */

/** Payload type of in-toto statements. */
export const PAYLOAD_TYPE_IN_TOTO = "application/vnd.in-toto+json";

const STATEMENT_TYPES = new Set([
  "https://in-toto.io/Statement/v0.1",
  "https://in-toto.io/Statement/v1",
]);

/** A DSSE envelope (decoded). */
export interface DsseEnvelope {
  /** The payload bytes. */
  payload: Uint8Array;
  /** The payload's media type. */
  payloadType: string;
  /** The signatures (raw bytes; DER for ECDSA). */
  signatures: { sig: Uint8Array; keyid: string }[];
}

/**
 * The pre-authentication encoding DSSE signs:
 * `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`.
 */
export function preAuthEncoding(
  payloadType: string,
  payload: Uint8Array,
): Uint8Array {
  const type = new TextEncoder().encode(payloadType);
  const head = new TextEncoder().encode(
    `DSSEv1 ${type.length} ${payloadType} ${payload.length} `,
  );
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * The sha256 digests (lowercase hex) the in-toto statement in `envelope`
 * names as subjects; `undefined` when the payload is not an in-toto
 * statement.
 */
export function statementSha256Subjects(
  envelope: DsseEnvelope,
): string[] | undefined {
  if (envelope.payloadType !== PAYLOAD_TYPE_IN_TOTO) return undefined;
  let statement: { _type?: unknown; subject?: unknown };
  try {
    statement = JSON.parse(new TextDecoder().decode(envelope.payload));
  } catch {
    return undefined;
  }
  if (
    typeof statement !== "object" || statement === null ||
    !STATEMENT_TYPES.has(statement._type as string) ||
    !Array.isArray(statement.subject)
  ) return undefined;
  const out: string[] = [];
  for (const s of statement.subject) {
    const d = s?.digest?.sha256;
    if (typeof d === "string") out.push(d.toLowerCase());
  }
  return out;
}
