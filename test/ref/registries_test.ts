import { strictEqual } from "node:assert/strict";
import {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
  toolchainRegistryRef,
} from "../../src/ref/registries.ts";

Deno.test("default registry bases (the Go module's Default*Registry)", () => {
  strictEqual(
    DEFAULT_PLUGIN_REGISTRY,
    "gsoci.azurecr.io/giantswarm/klaus-plugins",
  );
  strictEqual(
    DEFAULT_PERSONALITY_REGISTRY,
    "gsoci.azurecr.io/giantswarm/klaus-personalities",
  );
  strictEqual(
    DEFAULT_TOOLCHAIN_REGISTRY,
    "gsoci.azurecr.io/giantswarm/klaus-toolchains",
  );
});

Deno.test("toolchainRegistryRef", async (t) => {
  const base = "gsoci.azurecr.io/giantswarm/klaus-toolchains";
  const cases: [string, string][] = [
    // Go table (registries_test.go)
    ["go", `${base}/go`],
    ["python", `${base}/python`],
    ["git-debian", `${base}/git-debian`],
    [`${base}/go`, `${base}/go`],
    // plain string prefix, no slash check (Go quirk)
    [`${base}-extra/go`, `${base}-extra/go`],
    [base, base],
    ["go:v1.0.0", `${base}/go:v1.0.0`],
    ["", `${base}/`],
    ["example.com/other/go", `${base}/example.com/other/go`],
  ];
  for (const [name, want] of cases) {
    await t.step(JSON.stringify(name), () => {
      strictEqual(toolchainRegistryRef(name), want);
    });
  }
});
