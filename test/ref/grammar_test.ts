import { strictEqual } from "node:assert/strict";
import {
  isValidPathComponent,
  isValidRegistry,
  isValidRepository,
  isValidTag,
  MAX_REPOSITORY_LENGTH,
} from "../../src/ref/grammar.ts";

function table<T>(
  name: string,
  fn: (s: T) => boolean,
  cases: [T, boolean][],
) {
  Deno.test(name, async (t) => {
    for (const [input, want] of cases) {
      const label = JSON.stringify(input);
      await t.step(label.length > 60 ? label.slice(0, 60) + "…" : label, () => {
        strictEqual(fn(input), want);
      });
    }
  });
}

// Expected values: what oras-go's ParseReference (Go net/url host rules)
// accepts, except the refusals README's differences table lists (marked
// "Go: accepts").
table("isValidRegistry", isValidRegistry, [
  ["localhost", true],
  ["localhost:5000", true],
  ["example.com", true],
  ["EXAMPLE.com:443", true],
  ["gsoci.azurecr.io", true],
  ["a", true],
  ["1", true],
  ["a-b.c-d", true],
  ["xn--bcher-kva.example", true],
  ["0.0.0.0", true],
  ["255.255.255.255:1", true],
  ["10.0.0.1:65535", true],
  ["a".repeat(63) + ".com", true],
  // Go accepts what net/url accepts as a host: `_`, `~`, leading and
  // trailing `-`, labels and names of any length, a final `.`.
  ["local_registry", true],
  ["local_registry:5000", true],
  ["a_b", true],
  ["_a", true],
  ["a~b", true],
  ["-a", true],
  ["a-", true],
  ["a.", true],
  ["registry.example.com.:443", true],
  ["a".repeat(64), true],
  [("a".repeat(63) + ".").repeat(3) + "a".repeat(62), true], // 254 chars
  ["1.2.3.4.5", true], // five labels: a name
  ["host:05000", true], // Go: any digits
  ["[::]", true],
  ["[::1]", true],
  ["[::1]:5000", true],
  ["[fe80::1]", true],
  ["[2001:0db8:0000:0000:0000:ff00:0042:8329]", true],
  ["[2001:db8::]", true],
  ["[1:2:3:4:5:6:7::]", true],
  ["[::2:3:4:5:6:7:8]", true],
  ["[1:2:3:4:5:6:1.2.3.4]", true],
  ["[::ffff:10.0.0.1]:80", true],
  // refused by Go too
  ["host:x", false],
  ["host: 1", false],
  ["exa mple.com", false],
  ["ex/ample", false],
  ["user@host", false],
  ["ho#st", false],
  ["ho%41st", false],
  ["[::1", false],
  ["[::1]5000", false],
  ["h\u0000st", false],
  // Go: accepts (README differences table)
  ["", false],
  [":5000", false],
  ["host:", false],
  ["host:0", false],
  ["host:65536", false],
  ["host:00000", false],
  ["a..b", false],
  [".a", false],
  [".", false],
  ["1.2.3.256", false],
  ["1.2.3.4:5:6", false],
  ["a!b", false],
  ["a*b", false],
  ["a<b", false],
  ["a'b", false],
  ["bücher.example", false],
  ["ocidir:", false],
  ["::1", false],
  ["[::1]:0", false],
  ["[:::]", false],
  ["[1:2:3:4:5:6:7:8:9]", false],
  ["[1:2:3:4:5:6:7:8::]", false],
  ["[1:2:3:4:5:6:7]", false],
  ["[1::2::3]", false],
  ["[12345::1]", false],
  ["[::1.2.3.4.5]", false],
  ["[::1.2.3.256]", false],
  ["[1.2.3.4::]", false],
  ["[example.com]", false],
  ["[]", false],
]);

table("isValidRepository", isValidRepository, [
  ["a", true],
  ["repo", true],
  ["0", true],
  ["giantswarm/klaus-plugins/gs-base", true],
  ["a.b", true],
  ["a_b", true],
  ["a__b", true],
  ["a-b", true],
  ["a---b", true],
  ["a.b_c__d-e/f0/g--h", true],
  ["a".repeat(MAX_REPOSITORY_LENGTH), true],
  ["a".repeat(MAX_REPOSITORY_LENGTH + 1), false],
  ["a/".repeat(127) + "a", true], // 255 chars
  ["", false],
  ["A", false],
  ["a/B", false],
  ["a..b", false],
  ["a.-b", false],
  ["a-.b", false],
  ["a___b", false],
  ["a_.b", false],
  ["a//b", false],
  ["/a", false],
  ["a/", false],
  [".a", false],
  ["a.", false],
  ["-a", false],
  ["a-", false],
  ["_a", false],
  ["a_", false],
  ["a:b", false],
  ["a@b", false],
  ["a b", false],
  ["é", false],
]);

table("isValidPathComponent", isValidPathComponent, [
  ["gs-base", true],
  ["gs_base.v2", true],
  ["a", true],
  ["a/b", false],
  ["", false],
  ["Base", false],
  ["..", false],
  [".", false],
]);

table("isValidTag", isValidTag, [
  ["v1.0.0", true],
  ["latest", true],
  ["_", true],
  ["0", true],
  ["A-b.C_d", true],
  ["a".repeat(128), true],
  ["a".repeat(129), false],
  ["", false],
  [".a", false],
  ["-a", false],
  ["a+b", false],
  ["a:b", false],
  ["a/b", false],
  ["a b", false],
  ["sha256:" + "a".repeat(64), false],
  [`sha256-${"a".repeat(64)}.sig`, true],
]);
