/**
 * Turning an unexpected registry response into a typed error with the
 * oras-go wording: `GET "https://host/v2/…": response status code 404:
 * name unknown: repository name not known to registry`.
 *
 * @module
 */
import {
  DeniedError,
  type KlausOciError,
  NotFoundError,
  RegistryError,
  UnauthorizedError,
} from "../errors.ts";
import { redact, untrustedText } from "../_redact.ts";
import { readBodyPrefix } from "./body.ts";
import { describeRateLimit } from "./rate_limit.ts";

/**
 * How much of an error body is read (it is parsed, never echoed).
 */
export const MAX_ERROR_BODY_BYTES = 4096;
const MAX_FIELD = 256;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Request Entity Too Large",
  416: "Requested Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The error class for an HTTP status: 401 {@linkcode UnauthorizedError},
 * 403 {@linkcode DeniedError}, 404 {@linkcode NotFoundError}, anything else
 * {@linkcode RegistryError} carrying the status.
 */
export function errorForStatus(
  status: number,
  message: string,
  cause?: unknown,
): KlausOciError {
  switch (status) {
    case 401:
      return new UnauthorizedError(message, { cause });
    case 403:
      return new DeniedError(message, { cause });
    case 404:
      return new NotFoundError(message, { cause });
    default:
      return new RegistryError(message, { status, cause });
  }
}

/**
 * Reads (a bounded prefix of) an error response and returns the typed
 * error: `<METHOD> "<url>": response status code <n>: <code>: <message>`,
 * the code and message taken from the OCI error JSON, else the status text.
 * The registry's text is untrusted: redacted, one line, at most 512
 * characters.
 */
export async function responseError(
  method: string,
  url: string,
  response: Response,
): Promise<KlausOciError> {
  const detail = method === "HEAD"
    ? undefined
    : describeErrorBody(await readBodyPrefix(response, MAX_ERROR_BODY_BYTES));
  if (method === "HEAD") await response.body?.cancel().catch(() => {});
  // The registry's words are untrusted: one bounded, redacted line.
  let text = untrustedText(
    detail ?? (STATUS_TEXT[response.status] ?? response.statusText),
  );
  if (response.status === 429) {
    const limit = describeRateLimit(response.headers);
    if (limit) text = `${text} (${limit})`;
  }
  return errorForStatus(
    response.status,
    `${method} "${redact(url)}": response status code ${response.status}${
      text ? `: ${text}` : ""
    }`,
  );
}

/**
 * The `code: message` text of an OCI (or token server) error body, or
 * `undefined` when the body is not one. Fields are stripped of control
 * characters and clipped.
 */
export function describeErrorBody(bytes: Uint8Array): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const errors = (doc as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const parts = errors.slice(0, 3).map((e) => {
      if (typeof e !== "object" || e === null) return "";
      const { code, message } = e as { code?: unknown; message?: unknown };
      const c = typeof code === "string"
        ? clean(code).toLowerCase().replaceAll("_", " ")
        : "";
      const m = typeof message === "string" ? clean(message) : "";
      return c && m ? `${c}: ${m}` : c || m;
    }).filter(Boolean);
    return parts.length ? parts.join("; ") : undefined;
  }
  // Token servers: {"details": "..."} or {"error": "...", "error_description": "..."}.
  const d = doc as Record<string, unknown>;
  for (const key of ["details", "error_description", "error", "message"]) {
    if (typeof d[key] === "string" && d[key]) return clean(d[key] as string);
  }
  return undefined;
}

function clean(s: string): string {
  // Control characters could forge log lines, long strings flood them, and
  // a registry may echo the credentials it was sent.
  return untrustedText(s, MAX_FIELD);
}
