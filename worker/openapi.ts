/**
 * The OpenAPI 3.1 document of the HTTP API (README, "Edge API"), built
 * from the same kind table the routes are.
 *
 * @module
 */
import { KINDS } from "./kinds.ts";

type Json = Record<string, unknown>;

/** Pattern of a `{name}`: one OCI path component. */
export const NAME_PATTERN = "^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$";
/** Pattern of a `version`: a tag or a digest. */
export const VERSION_PATTERN =
  "^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const strings = { type: "array", items: { type: "string" } };

const META: Json = {
  name: { type: "string" },
  version: {
    type: "string",
    description: "The tag the artifact was described at.",
  },
  description: { type: "string" },
  author: ref("Author"),
  homepage: { type: "string" },
  repository: { type: "string", description: "Source repository URL." },
  license: { type: "string" },
  keywords: strings,
};

const SCHEMAS: Json = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "string" }, message: { type: "string" } },
      },
    },
  },
  Author: {
    type: "object",
    properties: {
      name: { type: "string" },
      email: { type: "string" },
      url: { type: "string" },
    },
  },
  ListEntry: {
    type: "object",
    required: ["name", "version", "repository", "reference"],
    properties: {
      name: { type: "string", description: "Short name (last path segment)." },
      version: { type: "string", description: "Highest semver tag." },
      repository: { type: "string" },
      reference: { type: "string", description: "`repository:version`." },
    },
  },
  Reference: {
    type: "object",
    required: ["repository"],
    properties: {
      repository: { type: "string" },
      tag: { type: "string" },
      digest: { type: "string" },
    },
  },
  Plugin: {
    type: "object",
    required: ["name"],
    properties: {
      ...META,
      skills: strings,
      commands: strings,
      agents: strings,
      hasHooks: { type: "boolean" },
      mcpServers: strings,
      lspServers: strings,
    },
  },
  Personality: {
    type: "object",
    required: ["name"],
    properties: {
      ...META,
      toolchain: ref("Reference"),
      plugins: { type: "array", items: ref("Reference") },
    },
  },
  Toolchain: { type: "object", required: ["name"], properties: META },
  ...Object.fromEntries(
    (["Plugin", "Personality", "Toolchain"] as const).map((t) => [
      `Described${t}`,
      {
        type: "object",
        required: ["ref", "tag", "digest", t.toLowerCase()],
        properties: {
          ref: { type: "string", description: "The resolved reference." },
          tag: { type: "string", description: "Empty for digest references." },
          digest: { type: "string", description: "Manifest digest." },
          [t.toLowerCase()]: ref(t),
          verification: ref("Verification"),
        },
      },
    ]),
  ),
  Verification: {
    type: "object",
    description:
      "The signatures attached to the artifact (sigstore bundles as OCI referrers) checked under the server's policy (`VERIFY_*`), reporting only: nothing is refused. Present only when the server has a policy; without one the member is absent and `X-Klaus-Verification` is `off`. Results are reused by policy, repository and manifest digest: `verified` for 24 h, `unsigned` and `failed` for 5 minutes (a signature attached later shows within that), `error` for 30 s.",
    required: ["state", "signatures"],
    properties: {
      state: {
        type: "string",
        enum: ["verified", "unsigned", "failed", "error"],
        description:
          "`verified`: a signature verifies; `unsigned`: none is attached; `failed`: some are attached, none verifies (see `reason`); `error`: the check itself failed, e.g. the registry was unreachable (see `message`); the rest of the answer is still valid.",
      },
      signatures: { type: "array", items: ref("Signature") },
      reason: {
        ...ref("SignatureFailure"),
        description: "`failed`: the most telling reason among the signatures.",
      },
      message: {
        type: "string",
        description: "`error`: what went wrong.",
      },
    },
  },
  Signature: {
    type: "object",
    required: ["verified", "referrer"],
    properties: {
      keyId: {
        type: "string",
        description:
          "Key-based: the key id (sha256 of the public key's SPKI DER, hex).",
      },
      identity: {
        type: "string",
        description: "Keyless: the certificate's identity (email or URI).",
      },
      issuer: {
        type: "string",
        description: "Keyless: the certificate's OIDC issuer.",
      },
      verified: { type: "boolean" },
      tlogIndex: {
        type: "integer",
        description: "Transparency log index, when the bundle has one.",
      },
      reason: ref("SignatureFailure"),
      referrer: {
        type: "string",
        description: "Digest of the referrer manifest carrying the bundle.",
      },
    },
  },
  SignatureFailure: {
    type: "string",
    enum: [
      "wrong-key",
      "wrong-identity",
      "untrusted",
      "tampered",
      "other-digest",
      "other",
    ],
  },
  ResolvedDependencies: {
    type: "object",
    required: ["plugins", "warnings"],
    properties: {
      toolchain: ref("DescribedToolchain"),
      plugins: { type: "array", items: ref("DescribedPlugin") },
      warnings: strings,
    },
  },
};

const CACHE_HEADERS: Json = {
  "ETag": {
    description: "Manifest digest (describe) or a digest of the body.",
    schema: { type: "string" },
  },
  "Cache-Control": { schema: { type: "string" } },
  "X-Klaus-Cache": {
    description: "How the answer was produced.",
    schema: { type: "string", enum: ["fresh", "stale", "miss"] },
  },
  "Age": {
    description:
      "Age in seconds of the cached entry (fresh and stale answers).",
    schema: { type: "integer" },
  },
};

const DESCRIBE_HEADERS: Json = {
  ...CACHE_HEADERS,
  "ETag": {
    description:
      'The manifest digest; with a verification policy, the digest and a tag of the verification (`"sha256:…~<12 hex>"`), so an answer whose verification changed has a new ETag.',
    schema: { type: "string" },
  },
  "X-Klaus-Verification": {
    description:
      "The verification state, or `off` when the server has no verification policy.",
    schema: {
      type: "string",
      enum: ["verified", "unsigned", "failed", "error", "off"],
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

function jsonGet(
  operationId: string,
  summary: string,
  schema: Json,
  params: Json[],
  headers: Json = CACHE_HEADERS,
): Json {
  const responses: Json = {
    "200": {
      description: "OK",
      headers,
      content: { "application/json": { schema } },
    },
    "304": {
      description: "Not modified (If-None-Match matched the ETag).",
      headers,
    },
    "502": errorResponse("The registry failed or refused."),
    "504": errorResponse("The registry timed out."),
  };
  if (params.length > 0) {
    responses["400"] = errorResponse("Invalid name or version.");
  }
  responses["404"] = errorResponse("No such artifact or version.");
  return {
    get: {
      operationId,
      summary,
      parameters: [
        ...params,
        {
          name: "If-None-Match",
          in: "header",
          required: false,
          schema: { type: "string" },
        },
      ],
      responses,
    },
  };
}

const NAME_PARAM = {
  name: "name",
  in: "path",
  required: true,
  description: "Short name under the configured registry base.",
  schema: { type: "string", pattern: NAME_PATTERN, maxLength: 255 },
};
const VERSION_PARAM = {
  name: "version",
  in: "query",
  required: false,
  description:
    "A tag or a manifest digest; the highest semver tag when absent.",
  schema: { type: "string", pattern: VERSION_PATTERN },
};

const html = (summary: string, parameters: Json[] = []): Json => ({
  get: {
    summary,
    parameters,
    responses: {
      "200": {
        description: "HTML page",
        content: { "text/html": { schema: { type: "string" } } },
      },
      "400": {
        description: "Invalid name or version",
        content: { "text/html": {} },
      },
      "404": { description: "Not found", content: { "text/html": {} } },
      "502": { description: "Registry failure", content: { "text/html": {} } },
      "504": { description: "Registry timeout", content: { "text/html": {} } },
    },
  },
});

/**
 * The document.
 *
 * @example
 * ```ts
 * import { openApiDocument } from "./openapi.ts";
 * console.log(Object.keys(openApiDocument().paths as object).includes("/v1/plugins/{name}")); // true
 * ```
 */
export function openApiDocument(): Json {
  const paths: Json = {
    "/healthz": {
      get: {
        operationId: "health",
        summary: "Liveness",
        responses: {
          "200": {
            description: "OK",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["ok"],
                  properties: { ok: { const: true } },
                },
              },
            },
          },
        },
      },
    },
    "/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        responses: {
          "200": {
            description: "OK",
            content: { "application/json": { schema: { type: "object" } } },
          },
        },
      },
    },
    "/": html("The catalog page"),
  };
  for (const k of KINDS) {
    const T = k.name[0].toUpperCase() + k.name.slice(1);
    const base = `/v1/${k.path}`;
    paths[base] = jsonGet(
      `list${T}s`,
      `Lists every ${k.name} under the configured base`,
      {
        type: "object",
        required: ["items"],
        properties: { items: { type: "array", items: ref("ListEntry") } },
      },
      [],
    );
    paths[`${base}/{name}`] = jsonGet(
      `describe${T}`,
      `Describes a ${k.name} (with its signature check when the server has a verification policy)`,
      ref(`Described${T}`),
      [NAME_PARAM, VERSION_PARAM],
      DESCRIBE_HEADERS,
    );
    paths[`${base}/{name}/versions`] = jsonGet(
      `list${T}Versions`,
      `Tags of a ${k.name}`,
      {
        type: "object",
        required: ["versions"],
        properties: { versions: strings },
      },
      [NAME_PARAM],
    );
    paths[`${base}/{name}/resolve`] = jsonGet(
      `resolve${T}Ref`,
      `Resolves a ${k.name} to a pinned reference`,
      {
        type: "object",
        required: ["ref"],
        properties: { ref: { type: "string" } },
      },
      [NAME_PARAM, VERSION_PARAM],
    );
    if (k.name === "personality") {
      paths[`${base}/{name}/deps`] = jsonGet(
        "resolvePersonalityDeps",
        "Describes a personality's toolchain and plugins",
        ref("ResolvedDependencies"),
        [NAME_PARAM, VERSION_PARAM],
      );
    }
    paths[`/${k.path}/{name}`] = html(`Detail page of a ${k.name}`, [
      NAME_PARAM,
      VERSION_PARAM,
    ]);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Klaus OCI metadata API",
      version: "1",
      description:
        "Read-only metadata of Klaus plugins, personalities and toolchains from the configured OCI registries. With a verification policy (`VERIFY_PUBLIC_KEYS`, or `VERIFY_TRUSTED_ROOT` with a certificate identity and OIDC issuer) each describe says whether the artifact's signatures verify; list entries do not (describe each, or see the catalog page). A server whose configuration is invalid answers every request with 500 `invalid_config`.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    paths,
    components: { schemas: SCHEMAS },
  };
}
