import { deepStrictEqual, equal, rejects } from "node:assert/strict";
import { UnsafeUrlError } from "../../src/errors.ts";
import { hostsOfBases, trustedFetch } from "../../worker/trusted_fetch.ts";

/** A fetch that records URLs and answers from a table. */
function recorder(answers: Record<string, () => Response> = {}) {
  const seen: string[] = [];
  const f = (input: Request | URL | string): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(url);
    return Promise.resolve((answers[url] ?? (() => new Response("ok")))());
  };
  return { seen, fetch: f as typeof fetch };
}

Deno.test("hostsOfBases keeps registry hosts and skips layouts", () => {
  deepStrictEqual(
    hostsOfBases([
      "gsoci.azurecr.io/giantswarm/klaus-plugins",
      "GSOCI.azurecr.io/giantswarm/klaus-toolchains",
      "127.0.0.1:5000/x",
      "[::1]:5000/y",
      "ocidir:///srv/store/klaus-plugins",
    ]),
    ["gsoci.azurecr.io", "127.0.0.1:5000", "[::1]:5000"],
  );
});

Deno.test("trustedFetch refuses hosts that are not configured", async () => {
  const r = recorder();
  const refused: string[] = [];
  const f = trustedFetch(r.fetch, {
    hosts: ["registry.test:5000"],
    onRefused: (u) => refused.push(u),
  });
  for (
    const url of [
      "http://evil.test/v2/",
      "http://registry.test/v2/", // same name, other port
      "http://registry.test:5001/v2/",
      "http://user@evil.test@registry.test:5000.evil.test/",
      "file:///etc/passwd",
      "data:text/plain,hi",
    ]
  ) {
    await rejects(f(url), UnsafeUrlError, url);
  }
  deepStrictEqual(r.seen, []);
  equal(refused.length, 6);
  await (await f("http://registry.test:5000/v2/")).body?.cancel();
  await (await f(new Request("http://REGISTRY.test:5000/v2/x"))).body?.cancel();
  deepStrictEqual(r.seen, [
    "http://registry.test:5000/v2/",
    "http://registry.test:5000/v2/x",
  ]);
});

Deno.test("trustedFetch learns the token realm and redirect targets a configured registry names", async () => {
  const r = recorder({
    "https://registry.test/v2/": () =>
      new Response(null, {
        status: 401,
        headers: {
          "WWW-Authenticate":
            'Bearer realm="https://auth.test/token",service="r"',
        },
      }),
    "https://registry.test/v2/r/blobs/sha256:1": () =>
      new Response(null, {
        status: 307,
        headers: { Location: "https://blobs.test/x?sig=1" },
      }),
    "https://auth.test/token": () =>
      new Response(null, {
        status: 302,
        headers: { Location: "https://elsewhere.test/" },
      }),
  });
  const f = trustedFetch(r.fetch, { hosts: ["registry.test"] });
  await rejects(f("https://auth.test/token"), UnsafeUrlError);
  await f("https://registry.test/v2/");
  await (await f("https://auth.test/token")).body?.cancel();
  await f("https://registry.test/v2/r/blobs/sha256:1");
  await (await f("https://blobs.test/x?sig=1")).body?.cancel();
  // A learned host cannot introduce further hosts.
  await rejects(f("https://elsewhere.test/"), UnsafeUrlError);
});
