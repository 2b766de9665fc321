import { strictEqual, throws } from "node:assert/strict";
import { UnsafeUrlError } from "../../src/errors.ts";
import { nextLink } from "../../src/registry/link.ts";
import { displayUrl, sameOriginUrl } from "../../src/registry/url_safety.ts";

Deno.test("nextLink: table", () => {
  const cases: [string | null, string | undefined][] = [
    [null, undefined],
    ['</v2/a/tags/list?last=b&n=2>; rel="next"', "/v2/a/tags/list?last=b&n=2"],
    ["</v2/_catalog?last=x>; rel=next", "/v2/_catalog?last=x"],
    ['</p>; rel="prev", </n>; rel="next"', "/n"],
    ['</p>; rel="prev"', undefined],
    ["</only>", "/only"],
    // Quay-style opaque tokens with commas inside the URL.
    [
      '</v2/a/tags/list?next_page=a,b>; rel="next"',
      "/v2/a/tags/list?next_page=a,b",
    ],
    [
      '<https://r.example/v2/a/tags/list?last=b>; title="x"; rel="next"',
      "https://r.example/v2/a/tags/list?last=b",
    ],
  ];
  for (const [header, want] of cases) {
    strictEqual(nextLink(header), want, String(header));
  }
});

Deno.test("sameOriginUrl: relative and same-origin URLs pass, others throw", () => {
  const base = new URL("https://r.example/v2/a/tags/list");
  strictEqual(
    sameOriginUrl("/v2/a/tags/list?last=b", base, "link").href,
    "https://r.example/v2/a/tags/list?last=b",
  );
  strictEqual(
    sameOriginUrl("?last=c", base, "link").href,
    "https://r.example/v2/a/tags/list?last=c",
  );
  // The :443 Location quirk (oras-go #177): the same origin.
  strictEqual(
    sameOriginUrl("https://r.example:443/x", base, "link").origin,
    "https://r.example",
  );
  for (
    const bad of [
      "https://evil.example/x",
      "http://r.example/x",
      "https://r.example:8443/x",
      "//evil.example/x",
    ]
  ) {
    throws(() => sameOriginUrl(bad, base, "link"), UnsafeUrlError, bad);
  }
});

Deno.test("displayUrl: no query, no user info", () => {
  strictEqual(
    displayUrl(new URL("https://u:p@s.example/b?sig=1")),
    "https://s.example/b",
  );
});
