import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { UnauthorizedError } from "../../src/errors.ts";
import {
  credentialChain,
  resolveCredential,
} from "../../src/registry/credentials.ts";
import { lookupDockerConfig } from "../../src/registry/docker_config.ts";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { startFaultyRegistry } from "../harness/faulty_registry.ts";

const b64 = (s: string) => btoa(s);
const auth = (user: string, pass: string) => ({ auth: b64(`${user}:${pass}`) });
const config = (
  auths: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => JSON.stringify({ auths, ...extra });

interface Sandbox {
  root: string;
  home: string;
  bin: string;
  env: Record<string, string>;
  write(path: string, text: string): Promise<string>;
  helperLog(): Promise<string[]>;
}

const HELPER = `#!/bin/sh
read host
echo "$1 $host" >> "$(dirname "$0")/helper.log"
case "$host" in
  helper.example) echo '{"ServerURL":"helper.example","Username":"hu","Secret":"hs"}' ;;
  token.example) echo '{"Username":"<token>","Secret":"identity-tok"}' ;;
  store.example) echo '{"Username":"su","Secret":"ss"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

async function withSandbox(fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "klaus-cred-" });
  const home = `${root}/home`;
  const bin = `${root}/bin`;
  await Deno.mkdir(home, { recursive: true });
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(`${bin}/docker-credential-fake`, HELPER, {
    mode: 0o755,
  });
  const sandbox: Sandbox = {
    root,
    home,
    bin,
    // Only what the chain may read: no real HOME, no real DOCKER_CONFIG.
    env: {
      HOME: home,
      PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    },
    async write(path, text) {
      const full = path.startsWith("/") ? path : `${root}/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), {
        recursive: true,
      });
      await Deno.writeTextFile(full, text);
      return full;
    },
    async helperLog() {
      try {
        return (await Deno.readTextFile(`${bin}/helper.log`)).trim().split(
          "\n",
        );
      } catch {
        return [];
      }
    },
  };
  try {
    await fn(sandbox);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("credentials: nothing configured → anonymous", async () => {
  await withSandbox(async (s) => {
    strictEqual(
      await resolveCredential("r.example", { env: s.env }),
      undefined,
    );
  });
});

Deno.test("credentials: registryAuthEnv holds base64 Docker config (line breaks tolerated)", async () => {
  await withSandbox(async (s) => {
    const encoded = b64(
      config({ "r.example:5000": auth("envuser", "envpass") }),
    );
    const wrapped = encoded.replace(/(.{20})/g, "$1\r\n");
    for (const value of [encoded, wrapped]) {
      const env = { ...s.env, KLAUS_AUTH: value };
      deepStrictEqual(
        await resolveCredential("r.example:5000", {
          registryAuthEnv: "KLAUS_AUTH",
          env,
        }),
        { username: "envuser", password: "envpass" },
      );
    }
    // Without the option the variable is not read.
    const env = { ...s.env, KLAUS_AUTH: encoded };
    strictEqual(await resolveCredential("r.example:5000", { env }), undefined);
  });
});

Deno.test("credentials: invalid base64 or JSON in the env var falls through", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({ "r.example": auth("file", "fp") }),
    );
    for (const bad of ["!!!not base64!!!", b64("{not json"), b64("[]"), ""]) {
      const env = { ...s.env, KLAUS_AUTH: bad };
      deepStrictEqual(
        await resolveCredential("r.example", {
          registryAuthEnv: "KLAUS_AUTH",
          env,
        }),
        { username: "file", password: "fp" },
        bad,
      );
    }
  });
});

Deno.test("credentials: $DOCKER_CONFIG replaces ~/.docker", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({ "r.example": auth("home", "hp") }),
    );
    await s.write("dc/config.json", config({ "r.example": auth("dc", "dp") }));
    deepStrictEqual(await resolveCredential("r.example", { env: s.env }), {
      username: "home",
      password: "hp",
    });
    deepStrictEqual(
      await resolveCredential("r.example", {
        env: { ...s.env, DOCKER_CONFIG: `${s.root}/dc` },
      }),
      { username: "dc", password: "dp" },
    );
  });
});

Deno.test("credentials: host:port first, then the host without port", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({
        "r.example": auth("host", "p1"),
        "r.example:5000": auth("port", "p2"),
      }),
    );
    deepStrictEqual(await resolveCredential("r.example:5000", { env: s.env }), {
      username: "port",
      password: "p2",
    });
    deepStrictEqual(await resolveCredential("r.example:6000", { env: s.env }), {
      username: "host",
      password: "p1",
    });
    strictEqual(
      await resolveCredential("other.example", { env: s.env }),
      undefined,
    );
  });
});

Deno.test("credentials: identitytoken wins over auth", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({
        "acr.example": {
          ...auth("00000000-0000", ""),
          identitytoken: "refresh-1",
        },
      }),
    );
    deepStrictEqual(await resolveCredential("acr.example", { env: s.env }), {
      refreshToken: "refresh-1",
    });
  });
});

Deno.test("credentials: a bad auth entry counts as absent (next source answers)", async () => {
  await withSandbox(async (s) => {
    const authFile = await s.write(
      "auth.json",
      config({ "r.example": auth("next", "np") }),
    );
    const env = { ...s.env, REGISTRY_AUTH_FILE: authFile };
    for (
      const bad of [{ auth: b64("nocolon") }, { auth: "%%%" }, { auth: "" }, {}]
    ) {
      await s.write("home/.docker/config.json", config({ "r.example": bad }));
      deepStrictEqual(await resolveCredential("r.example", { env }), {
        username: "next",
        password: "np",
      }, JSON.stringify(bad));
    }
  });
});

Deno.test("credentials: URL-shaped keys match their host", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({ "https://r.example/v1/": auth("u", "p") }),
    );
    deepStrictEqual(await resolveCredential("r.example", { env: s.env }), {
      username: "u",
      password: "p",
    });
  });
});

Deno.test("credentials: credHelpers[host] runs docker-credential-<name> get", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({}, {
        credHelpers: { "helper.example": "fake", "token.example": "fake" },
      }),
    );
    deepStrictEqual(await resolveCredential("helper.example", { env: s.env }), {
      username: "hu",
      password: "hs",
    });
    deepStrictEqual(await resolveCredential("token.example", { env: s.env }), {
      refreshToken: "identity-tok",
    });
    deepStrictEqual(await s.helperLog(), [
      "get helper.example",
      "get token.example",
    ]);
  });
});

Deno.test("credentials: credsStore is asked when auths and credHelpers have nothing", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({ "store.example": {} }, { credsStore: "fake" }),
    );
    deepStrictEqual(await resolveCredential("store.example", { env: s.env }), {
      username: "su",
      password: "ss",
    });
    // The helper says "not found" (exit 1): anonymous.
    strictEqual(
      await resolveCredential("unknown.example", { env: s.env }),
      undefined,
    );
    // Helpers can be switched off.
    strictEqual(
      await resolveCredential("store.example", {
        env: s.env,
        credentialHelpers: false,
      }),
      undefined,
    );
  });
});

Deno.test("credentials: a missing or unsafe helper falls through", async () => {
  await withSandbox(async (s) => {
    const authFile = await s.write(
      "auth.json",
      config({ "r.example": auth("af", "ap") }),
    );
    const env = { ...s.env, REGISTRY_AUTH_FILE: authFile };
    for (const name of ["desktop", "../bin/fake", "fake; rm -rf /"]) {
      await s.write(
        "home/.docker/config.json",
        config({}, { credsStore: name }),
      );
      deepStrictEqual(await resolveCredential("r.example", { env }), {
        username: "af",
        password: "ap",
      }, name);
    }
    deepStrictEqual(await s.helperLog(), []);
  });
});

Deno.test("credentials: REGISTRY_AUTH_FILE, then XDG_RUNTIME_DIR, then ~/.config/containers", async () => {
  await withSandbox(async (s) => {
    const authFile = await s.write(
      "raf.json",
      config({ "r.example": auth("raf", "1") }),
    );
    await s.write(
      "run/containers/auth.json",
      config({ "r.example": auth("xdg", "2") }),
    );
    await s.write(
      "home/.config/containers/auth.json",
      config({ "r.example": auth("cfg", "3") }),
    );
    const full = {
      ...s.env,
      REGISTRY_AUTH_FILE: authFile,
      XDG_RUNTIME_DIR: `${s.root}/run`,
    };
    deepStrictEqual(await resolveCredential("r.example", { env: full }), {
      username: "raf",
      password: "1",
    });
    const noRaf = { ...s.env, XDG_RUNTIME_DIR: `${s.root}/run` };
    deepStrictEqual(await resolveCredential("r.example", { env: noRaf }), {
      username: "xdg",
      password: "2",
    });
    deepStrictEqual(await resolveCredential("r.example", { env: s.env }), {
      username: "cfg",
      password: "3",
    });
    // The Docker config comes before all of them.
    await s.write(
      "home/.docker/config.json",
      config({ "r.example": auth("docker", "0") }),
    );
    deepStrictEqual(await resolveCredential("r.example", { env: full }), {
      username: "docker",
      password: "0",
    });
    // And the env var before the Docker config.
    const withEnv = {
      ...full,
      A: b64(config({ "r.example": auth("env", "e") })),
    };
    deepStrictEqual(
      await resolveCredential("r.example", {
        env: withEnv,
        registryAuthEnv: "A",
      }),
      {
        username: "env",
        password: "e",
      },
    );
  });
});

Deno.test("credentials: unreadable or malformed files are skipped", async () => {
  await withSandbox(async (s) => {
    await s.write("home/.docker/config.json", "{ not json");
    await s.write(
      "home/.config/containers/auth.json",
      config({ "r.example": auth("ok", "p") }),
    );
    const env = { ...s.env, REGISTRY_AUTH_FILE: `${s.root}/missing.json` };
    deepStrictEqual(await resolveCredential("r.example", { env }), {
      username: "ok",
      password: "p",
    });
  });
});

Deno.test("credentials: credentialChain asks once per host", async () => {
  await withSandbox(async (s) => {
    await s.write(
      "home/.docker/config.json",
      config({}, { credsStore: "fake" }),
    );
    const chain = credentialChain({ env: s.env });
    await chain("store.example");
    await chain("store.example");
    await chain("helper.example");
    deepStrictEqual(await s.helperLog(), [
      "get store.example",
      "get helper.example",
    ]);
  });
});

Deno.test("lookupDockerConfig: non-objects are not configs", () => {
  for (const c of [null, 1, "x", [], { auths: [] }, { auths: { h: "x" } }]) {
    strictEqual(lookupDockerConfig(c, "h"), undefined, JSON.stringify(c));
  }
});

Deno.test("credentials: end to end through RegistryStore; the password never appears in errors", async () => {
  const password = "Very-Secret-Pa55";
  const reg = startFaultyRegistry({
    auth: { kind: "basic", username: "u", password },
  });
  try {
    reg.addManifest(
      "org/a",
      "v1",
      new TextEncoder().encode("{}"),
      "application/json",
    );
    const env = {
      HOME: "/nonexistent",
      A: b64(config({ [reg.host]: auth("u", password) })),
    };
    const good = new RegistryStore({
      plainHttp: true,
      registryAuthEnv: "A",
      env,
    });
    deepStrictEqual(
      (await good.listTags({ registry: reg.host, repository: "org/a" })).tags,
      ["v1"],
    );

    const wrong = b64(config({ [reg.host]: auth("u", "wrong-" + password) }));
    const bad = new RegistryStore({
      plainHttp: true,
      registryAuthEnv: "A",
      env: { ...env, A: wrong },
      retry: { maxRetries: 0 },
    });
    await rejects(
      bad.listTags({ registry: reg.host, repository: "org/a" }),
      (e: unknown) => {
        ok(e instanceof UnauthorizedError);
        const text = `${e.message} ${String(e.stack)} ${JSON.stringify(e)}`;
        ok(!text.includes(password), text);
        ok(!text.includes(b64(`u:wrong-${password}`)), text);
        return true;
      },
    );
  } finally {
    await reg.close();
  }
});
