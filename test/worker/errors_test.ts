import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  DeniedError,
  DigestMismatchError,
  InvalidArtifactError,
  InvalidReferenceError,
  KlausOciError,
  NotFoundError,
  RegistryError,
  TooLargeError,
  UnauthorizedError,
  UnsafeUrlError,
  wrapError,
} from "../../src/errors.ts";
import { TimeoutError } from "../../src/registry/timeout_error.ts";
import { ApiError, toApiError } from "../../worker/errors.ts";
import { checkVersion } from "../../worker/validate.ts";

Deno.test("toApiError maps library errors to statuses and codes", () => {
  const timeout = new RegistryError("GET x: request timed out", {
    cause: new DOMException("signal timed out", "TimeoutError"),
  });
  const table: [unknown, number, string][] = [
    [new InvalidReferenceError("bad"), 400, "invalid_reference"],
    [new NotFoundError("x: not found"), 404, "not_found"],
    [
      wrapError("resolving plugin ref", new NotFoundError("gone")),
      404,
      "not_found",
    ],
    [new UnauthorizedError("401"), 502, "registry_unauthorized"],
    [new DeniedError("403"), 502, "registry_denied"],
    [new DigestMismatchError("dm"), 502, "digest_mismatch"],
    [new TooLargeError("big"), 502, "too_large"],
    [new UnsafeUrlError("redirect"), 502, "unsafe_url"],
    [new InvalidArtifactError("bad config"), 502, "invalid_artifact"],
    [new RegistryError("503", { status: 503 }), 502, "registry_error"],
    [new KlausOciError("other"), 502, "registry_error"],
    [timeout, 504, "registry_timeout"],
    [wrapError("listing tags", timeout), 504, "registry_timeout"],
    [
      new TimeoutError('GET "x": no response within 10 ms', { timeoutMs: 10 }),
      504,
      "registry_timeout",
    ],
    [
      wrapError(
        "describing plugin",
        new TimeoutError('GET "x": no data for 10 ms', { timeoutMs: 10 }),
      ),
      504,
      "registry_timeout",
    ],
    // Wording alone does not make a timeout: the class (or name) does.
    [new RegistryError("GET x: timed out upstream"), 502, "registry_error"],
    [
      new DOMException("The operation timed out.", "TimeoutError"),
      504,
      "registry_timeout",
    ],
    [new Error("bug"), 500, "internal_error"],
    ["a string", 500, "internal_error"],
    [new ApiError(400, "invalid_name", "x"), 400, "invalid_name"],
  ];
  for (const [err, status, code] of table) {
    const e = toApiError(err);
    equal(e.status, status, String(err));
    equal(e.code, code, String(err));
    deepStrictEqual(Object.keys(e.body().error), ["code", "message"]);
  }
  equal(toApiError(new Error("secret detail")).message, "internal error");
});

Deno.test("API error messages are redacted and capped", () => {
  const e = toApiError(
    new RegistryError(
      "GET https://user:pw@r.test/v2/: sent Authorization: Bearer eyJhbGci.x-y_z " +
        "x".repeat(5000),
    ),
    ["hunter2-pw"],
  );
  ok(
    e.message.startsWith(
      "GET https://***@r.test/v2/: sent Authorization: Bearer ***",
    ),
    e.message,
  );
  ok(e.message.length <= 601, `length ${e.message.length}`);
  equal(
    toApiError(new NotFoundError("password hunter2-pw leaked"), ["hunter2-pw"])
      .message,
    "password *** leaked",
  );
});

Deno.test("a 400 does not echo a requester's user:password", () => {
  let caught: unknown;
  try {
    checkVersion(["someone:pa55word-x@evil.example/x"]);
  } catch (e) {
    caught = e;
  }
  ok(caught instanceof ApiError);
  equal(caught.status, 400);
  ok(!caught.message.includes("pa55word-x"), caught.message);
  ok(caught.message.includes("***@evil.example"), caught.message);
});

Deno.test("library errors reach the client redacted", () => {
  const e = toApiError(
    new UnauthorizedError(
      'GET "https://klaus:s3cret@r.test/v2/": unauthorized',
    ),
    ["s3cret"],
  );
  ok(!e.message.includes("s3cret"), e.message);
});

Deno.test("a registry that does not answer is a 504", async () => {
  const { edgeClient } = await import("../../worker/edge_client.ts");
  const { createApp } = await import("../../worker/app.ts");
  // A fault a real registry does not produce on demand: accept, never answer.
  const hang = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => {
      await hang.promise;
      return new Response("late");
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  const registries = {
    plugin: `${host}/p`,
    personality: `${host}/s`,
    toolchain: `${host}/t`,
  };
  const client = edgeClient({
    registries,
    plainHttp: true,
    timeoutMs: 200,
    requestBudgetMs: 300,
  });
  try {
    const app = createApp({ registries, client });
    const res = await app.request("/v1/plugins/slow/versions");
    const body = await res.json();
    equal(res.status, 504, JSON.stringify(body));
    equal(body.error.code, "registry_timeout");
  } finally {
    hang.resolve();
    await client.close();
    await server.shutdown();
  }
});
