import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Client } from "../src/client.ts";
import { hostOf, PlainHttpHosts } from "../src/plain_http_hosts.ts";

const HOSTS: [string, string | undefined][] = [
  ["localhost:5000/plugins/base:v1", "localhost:5000"],
  ["127.0.0.1:5000/a/b@sha256:abc", "127.0.0.1:5000"],
  ["gsoci.azurecr.io/giantswarm/klaus-plugins/base", "gsoci.azurecr.io"],
  ["localhost/a", "localhost"],
  ["user:secret@Registry.Example:443/a:v1", "registry.example:443"],
  ["base:v1", undefined],
  ["base", undefined],
  ["org/base:v1", undefined],
  ["ocidir://./store/base:v1", undefined],
];

for (const [ref, want] of HOSTS) {
  Deno.test(`hostOf: ${ref}`, () => strictEqual(hostOf(ref), want));
}

Deno.test("PlainHttpHosts: only named hosts; a list is exact; false names nothing", () => {
  const h = new PlainHttpHosts(true);
  h.name("localhost:5000/a:v1");
  h.nameBase("127.0.0.1:6000/org/plugins");
  ok(h.plain("localhost:5000"));
  ok(h.plain("127.0.0.1:6000"));
  ok(!h.plain("gsoci.azurecr.io"));
  const list = new PlainHttpHosts(["reg.local:5000"]);
  list.name("other.local:5000/a:v1");
  ok(list.plain("reg.local:5000"));
  ok(!list.plain("other.local:5000"));
  const off = new PlainHttpHosts(false);
  off.name("localhost:5000/a:v1");
  ok(!off.plain("localhost:5000"));
});

Deno.test("Client: --plain-http reaches the named registry over http, a personality's toolchain elsewhere over https", async () => {
  const seen: string[] = [];
  const fakeFetch: typeof fetch = (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push(`${url.protocol}//${url.host}`);
    return Promise.reject(new TypeError("connection refused"));
  };
  const client = new Client({
    plainHttp: true,
    fetch: fakeFetch,
    retry: { maxRetries: 0 },
    registries: { personality: "127.0.0.1:5999/personalities" },
  });
  const deps = await client.resolvePersonalityDeps({
    name: "sre",
    toolchain: {
      repository: "gsoci.azurecr.io/giantswarm/klaus-toolchains/go",
      tag: "v1.0.0",
    },
    plugins: [{ repository: "127.0.0.1:5999/plugins/base", tag: "v1.0.0" }],
  });
  await client.close();
  strictEqual(deps.warnings.length, 2);
  deepStrictEqual([...new Set(seen)].sort(), [
    "http://127.0.0.1:5999",
    "https://gsoci.azurecr.io",
  ]);
});
