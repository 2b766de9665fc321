import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  cacheDirFrom,
  clientOptions,
  defaultCacheDir,
  expandHome,
  type FlagValues,
  globalOptions,
  isTruthy,
} from "../../src/cli/options.ts";
import { UsageError } from "../../src/cli/usage.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("isTruthy accepts klausctl's spellings", () => {
  for (const v of ["1", "true", "TRUE", "yes", "Yes", "on", " on "]) {
    equal(isTruthy(v), true, v);
  }
  for (const v of [undefined, "", "0", "false", "no", "off", "2", "y"]) {
    equal(isTruthy(v), false, String(v));
  }
});

Deno.test("cache directory: defaults and home expansion", () => {
  equal(
    defaultCacheDir(envOf({ XDG_CACHE_HOME: "/x", HOME: "/h" })),
    "/x/klaus-oci",
  );
  equal(defaultCacheDir(envOf({ HOME: "/h" })), "/h/.cache/klaus-oci");
  equal(expandHome("~/c", envOf({ HOME: "/h" })), "/h/c");
  equal(expandHome("~", envOf({ HOME: "/h" })), "/h");
  equal(expandHome("/abs/~/x", envOf({ HOME: "/h" })), "/abs/~/x");
});

Deno.test("cache directory: flags beat environment", () => {
  const env = { HOME: "/h", XDG_CACHE_HOME: "/x" };
  const cases: [FlagValues, Record<string, string>, string | undefined][] = [
    [{}, {}, "/x/klaus-oci"],
    [{}, { KLAUS_OCI_CACHE_DIR: "/e" }, "/e"],
    [{}, { KLAUS_OCI_CACHE_DIR: "~/e" }, "/h/e"],
    [{}, { KLAUS_OCI_NO_CACHE: "1", KLAUS_OCI_CACHE_DIR: "/e" }, undefined],
    [{}, { KLAUS_OCI_NO_CACHE: "0" }, "/x/klaus-oci"],
    [{ "cache-dir": "/f" }, { KLAUS_OCI_CACHE_DIR: "/e" }, "/f"],
    [{ "cache-dir": "~/f" }, { KLAUS_OCI_NO_CACHE: "yes" }, "/h/f"],
    [{ "no-cache": true }, { KLAUS_OCI_CACHE_DIR: "/e" }, undefined],
    [{ "no-cache": true, "cache-dir": "/f" }, {}, undefined],
  ];
  for (const [flags, vars, want] of cases) {
    equal(
      cacheDirFrom(flags, envOf({ ...env, ...vars })),
      want,
      JSON.stringify([flags, vars]),
    );
  }
});

Deno.test("globalOptions validates flag values", () => {
  const env = envOf({ HOME: "/h" });
  deepStrictEqual(
    globalOptions({
      json: true,
      "plain-http": true,
      quiet: true,
      concurrency: "4",
      registry: "r.example/p/",
    }, env),
    {
      json: true,
      plainHttp: true,
      quiet: true,
      cacheDir: "/h/.cache/klaus-oci",
      concurrency: 4,
      registry: "r.example/p",
    },
  );
  for (const bad of ["0", "-1", "1.5", "x", "", "1e3"]) {
    throws(() => globalOptions({ concurrency: bad }, env), UsageError, bad);
  }
  throws(() => globalOptions({ registry: " " }, env), UsageError);
  throws(() => globalOptions({ "cache-dir": "" }, env), UsageError);
});

Deno.test("clientOptions: auth env name, registries for the kind, cache", () => {
  const progress = () => {};
  deepStrictEqual(
    clientOptions(
      {
        json: false,
        plainHttp: true,
        quiet: false,
        cacheDir: "/c",
        concurrency: 3,
        registry: "r/p",
      },
      "personality",
      progress,
    ),
    {
      plainHttp: true,
      registryAuthEnv: "KLAUS_OCI_REGISTRY_AUTH",
      concurrency: 3,
      registries: { personality: "r/p" },
      cache: { dir: "/c" },
      onProgress: progress,
    },
  );
  deepStrictEqual(
    clientOptions({
      json: false,
      plainHttp: false,
      quiet: false,
      cacheDir: undefined,
    }, "plugin"),
    { plainHttp: false, registryAuthEnv: "KLAUS_OCI_REGISTRY_AUTH" },
  );
});
