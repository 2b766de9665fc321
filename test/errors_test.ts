import { ok, strictEqual } from "node:assert/strict";
import {
  DigestMismatchError,
  KlausOciError,
  NotFoundError,
  RegistryError,
  UnauthorizedError,
  wrapError,
} from "../src/errors.ts";
import { TimeoutError } from "../src/registry/timeout_error.ts";

const cases: {
  name: string;
  make: () => unknown;
  is: (e: unknown) => boolean;
}[] = [
  {
    name: "NotFoundError",
    make: () => new NotFoundError("nf"),
    is: (e) => e instanceof NotFoundError,
  },
  {
    name: "UnauthorizedError",
    make: () => new UnauthorizedError("u"),
    is: (e) => e instanceof UnauthorizedError,
  },
  {
    name: "DigestMismatchError",
    make: () => new DigestMismatchError("d"),
    is: (e) => e instanceof DigestMismatchError,
  },
  {
    name: "RegistryError",
    make: () => new RegistryError("r", { status: 503 }),
    is: (e) => e instanceof RegistryError && e.status === 503,
  },
  {
    name: "TimeoutError",
    make: () => new TimeoutError("slow", { timeoutMs: 7 }),
    is: (e) =>
      e instanceof TimeoutError && e instanceof RegistryError &&
      e.timeoutMs === 7,
  },
];

for (const c of cases) {
  Deno.test(`wrapError keeps ${c.name} (class, fields, name) through two wrappings`, () => {
    const inner = c.make() as Error;
    const e = wrapError("outer", wrapError("middle", inner));
    ok(c.is(e));
    ok(e instanceof KlausOciError);
    strictEqual(e.name, c.name);
    strictEqual(e.message, `outer: middle: ${inner.message}`);
    strictEqual((e.cause as Error).cause, inner);
  });
}

Deno.test("wrapError turns foreign errors into KlausOciError with the cause kept", () => {
  const inner = new TypeError("fetch failed");
  const e = wrapError("resolving x", inner);
  ok(e instanceof KlausOciError);
  ok(!(e instanceof RegistryError));
  strictEqual(e.message, "resolving x: fetch failed");
  strictEqual(e.cause, inner);
  strictEqual(wrapError("p", "text").message, "p: text");
});
