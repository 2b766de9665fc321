import { deepStrictEqual } from "node:assert/strict";
import {
  type Challenge,
  parseChallenges,
} from "../../src/registry/challenge.ts";

const CASES: [string, Challenge[]][] = [
  ["", []],
  ["Basic", [{ scheme: "basic", params: {} }]],
  ['Basic realm="Registry Realm"', [{
    scheme: "basic",
    params: { realm: "Registry Realm" },
  }]],
  [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    [{
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/alpine:pull",
      },
    }],
  ],
  // Commas inside quoted values, several actions.
  [
    'Bearer realm="https://r.example/token",scope="repository:a:pull,push repository:b:pull"',
    [{
      scheme: "bearer",
      params: {
        realm: "https://r.example/token",
        scope: "repository:a:pull,push repository:b:pull",
      },
    }],
  ],
  // Unquoted values, odd case and whitespace around '='.
  [
    "BEARER Realm=https://r.example/token , Service = reg",
    [{
      scheme: "bearer",
      params: { realm: "https://r.example/token", service: "reg" },
    }],
  ],
  // Escapes inside quoted strings.
  [
    'Bearer realm="a\\"b\\\\c",error="insufficient_scope"',
    [{
      scheme: "bearer",
      params: { realm: 'a"b\\c', error: "insufficient_scope" },
    }],
  ],
  // Several challenges in one header (or joined by Headers.get).
  [
    'Basic realm="x", Bearer realm="https://t.example",service="s"',
    [
      { scheme: "basic", params: { realm: "x" } },
      {
        scheme: "bearer",
        params: { realm: "https://t.example", service: "s" },
      },
    ],
  ],
  // token68.
  [
    "Negotiate abc123==, Basic realm=r",
    [
      { scheme: "negotiate", params: {}, token68: "abc123==" },
      { scheme: "basic", params: { realm: "r" } },
    ],
  ],
  // Garbage does not throw.
  ['="x", , Bearer realm="unterminated', [{
    scheme: "bearer",
    params: { realm: "unterminated" },
  }]],
];

Deno.test("parseChallenges: table", () => {
  for (const [header, want] of CASES) {
    deepStrictEqual(parseChallenges(header), want, header);
  }
  deepStrictEqual(parseChallenges(null), []);
});
