/**
 * Nothing leaked: a distinct secret planted in every credential source the
 * CLI can load — the `KLAUS_OCI_REGISTRY_AUTH` config, `$DOCKER_CONFIG`,
 * `$REGISTRY_AUTH_FILE`, a credential helper, a token response (access and
 * refresh token), an identity token, a `user:pw@` in a reference — while a
 * hostile registry echoes every credential it is sent back in its error
 * text (header, decoded password, base64 pair, bare token, refresh token,
 * JSON, a forged line). The CLI runs as a real process; every output and
 * every file it wrote (cache, pull destination) is searched for every
 * secret in every form.
 */
import { ok } from "node:assert/strict";
import { startHostileServer } from "../harness/hostile_server.ts";
import { filesBelow, isolatedEnv, runCliWithin } from "./cli_process.ts";

const SECRET = {
  env: "env-cfg-S3cr3t-41",
  docker: "docker-cfg-S3cr3t-42",
  authFile: "authfile-S3cr3t-43",
  helper: "helper-out-S3cr3t-44",
  access: "access-tok-S3cr3t-45",
  refresh: "refresh-tok-S3cr3t-46",
  identity: "identity-tok-S3cr3t-47",
  reference: "ref-pw-S3cr3t-48",
  tokenFlowPassword: "tokenflow-pw-S3cr3t-49",
  identityAccess: "idflow-access-S3cr3t-50",
  envFlowAccess: "envflow-access-S3cr3t-51",
};

const USERS: Record<string, string> = {
  env: "envuser",
  docker: "dockeruser",
  authFile: "fileuser",
  helper: "helper-user",
  tokenFlowPassword: "tokuser",
  reference: "refuser",
};

/** Every form a planted secret may take: plain, and in a base64 pair. */
function forbidden(): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(SECRET)) {
    out.push(value);
    if (USERS[key]) out.push(btoa(`${USERS[key]}:${value}`));
  }
  return out;
}

function auths(host: string, user: string, password: string) {
  return { auths: { [host]: { auth: btoa(`${user}:${password}`) } } };
}

interface Case {
  name: string;
  mode: "basic" | "bearer";
  accessToken?: string;
  refreshToken?: string;
  /** Writes the source below `dir`; returns extra environment. */
  setup(dir: string, host: string): Promise<Record<string, string>>;
  /** The reference prefix (`host` or `user:pw@host`). */
  prefix?: (host: string) => string;
}

const CASES: Case[] = [
  {
    // Through a token flow: the CLI's old copy of the redaction knew this
    // source's password, but not the token it earns.
    name: "KLAUS_OCI_REGISTRY_AUTH",
    mode: "bearer",
    accessToken: SECRET.envFlowAccess,
    setup: (_dir, host) =>
      Promise.resolve({
        KLAUS_OCI_REGISTRY_AUTH: btoa(
          JSON.stringify(auths(host, USERS.env, SECRET.env)),
        ),
      }),
  },
  {
    name: "$DOCKER_CONFIG/config.json",
    mode: "basic",
    async setup(dir, host) {
      await Deno.writeTextFile(
        `${dir}/docker/config.json`,
        JSON.stringify(auths(host, USERS.docker, SECRET.docker)),
      );
      return {};
    },
  },
  {
    name: "$REGISTRY_AUTH_FILE",
    mode: "basic",
    async setup(dir, host) {
      const file = `${dir}/auth.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify(auths(host, USERS.authFile, SECRET.authFile)),
      );
      return { REGISTRY_AUTH_FILE: file };
    },
  },
  {
    name: "a credential helper",
    mode: "basic",
    async setup(dir, host) {
      await Deno.mkdir(`${dir}/bin`, { recursive: true });
      const helper = `${dir}/bin/docker-credential-klaustest`;
      await Deno.writeTextFile(
        helper,
        `#!/bin/sh\nread host\nprintf '{"ServerURL":"%s","Username":"${USERS.helper}","Secret":"${SECRET.helper}"}' "$host"\n`,
      );
      await Deno.chmod(helper, 0o755);
      await Deno.writeTextFile(
        `${dir}/docker/config.json`,
        JSON.stringify({ credHelpers: { [host]: "klaustest" } }),
      );
      return { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` };
    },
  },
  {
    name: "a token response (access and refresh token)",
    mode: "bearer",
    accessToken: SECRET.access,
    refreshToken: SECRET.refresh,
    async setup(dir, host) {
      await Deno.writeTextFile(
        `${dir}/docker/config.json`,
        JSON.stringify(
          auths(host, USERS.tokenFlowPassword, SECRET.tokenFlowPassword),
        ),
      );
      return {};
    },
  },
  {
    name: "an identity token",
    mode: "bearer",
    accessToken: SECRET.identityAccess,
    async setup(dir, host) {
      await Deno.writeTextFile(
        `${dir}/docker/config.json`,
        JSON.stringify({
          auths: {
            [host]: { auth: btoa("<token>:"), identitytoken: SECRET.identity },
          },
        }),
      );
      return {};
    },
  },
  {
    name: "user:password in the reference",
    mode: "basic",
    setup: () => Promise.resolve({}),
    prefix: (host) => `${USERS.reference}:${SECRET.reference}@${host}`,
  },
];

for (const c of CASES) {
  Deno.test({
    name: `secrets: nothing from ${c.name} reaches any output or file`,
    async fn() {
      await using server = await startHostileServer({
        kind: "echo",
        auth: c.mode,
        accessToken: c.accessToken,
        refreshToken: c.refreshToken,
      });
      const dir = await Deno.makeTempDir({ prefix: "klaus-oci-secrets-" });
      try {
        const env = {
          ...await isolatedEnv(dir),
          ...await c.setup(dir, server.host),
        };
        const at = c.prefix?.(server.host) ?? server.host;
        const dest = `${dir}/work/pulled`;
        const commands = [
          ["plugin", "describe", `${at}/plugins/base:v1.0.0`],
          ["plugin", "versions", `${at}/plugins/base`],
          ["plugin", "pull", `${at}/plugins/base:v1.0.0`, dest],
          ["plugin", "list", "--registry", `${at}/plugins`],
          [
            "personality",
            "describe",
            `${at}/personalities/sre:v1.0.0`,
            "--json",
          ],
        ];
        const outputs: string[] = [];
        for (const args of commands) {
          const run = await runCliWithin([...args, "--plain-http"], {
            env,
            cwd: `${dir}/work`,
            limitMs: 60_000,
          });
          ok(!run.timedOut, `${args.join(" ")} hung`);
          ok(run.code !== 0, `${args.join(" ")} should fail: ${run.stdout}`);
          const text = run.stdout + run.stderr;
          outputs.push(text);
          ok(
            !/^error: forged line/m.test(text),
            `a registry forged an output line:\n${text}`,
          );
        }
        const all = outputs.join("\n");
        if (!c.prefix) {
          // The registry's echo did reach the CLI: what it said is there,
          // with the credentials masked.
          ok(/Authorization=(Basic|Bearer) \*\*\*/.test(all), all);
          ok(
            server.requests.some((r) => r.authorization !== null),
            "the credential was sent",
          );
        }
        for (const s of forbidden()) {
          ok(!all.includes(s), `output leaks ${s}:\n${all}`);
        }
        if (c.prefix) ok(all.includes("***@"), all);
        // Every file the runs wrote: cache and pull destination.
        for (
          const file of [
            ...await filesBelow(`${dir}/xdg-cache`),
            ...await filesBelow(`${dir}/work`),
            ...await filesBelow(`${dir}/home`),
          ]
        ) {
          const text = new TextDecoder("latin1").decode(
            await Deno.readFile(file),
          );
          for (const s of forbidden()) {
            ok(!text.includes(s), `${file} leaks ${s}`);
          }
        }
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}
