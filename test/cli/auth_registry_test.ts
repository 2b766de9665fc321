/**
 * End-to-end: registries that require credentials (htpasswd Basic and
 * Bearer tokens). Credentials come from `KLAUS_OCI_REGISTRY_AUTH` or a
 * `$DOCKER_CONFIG` file; failures exit 1 with one line and no secret.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { missing } from "../harness/require.ts";
import { type RegistryMode, startRegistry } from "../harness/registry.ts";
import { PLUGIN_BASE, readTree, sandbox } from "./helpers.ts";

const MODES: RegistryMode[] = ["basic", "token"];
const WRONG_PASSWORD = "Wr0ng-Pa55word-never-printed";

for (const mode of MODES) {
  Deno.test({
    name: `cli against a ${mode} registry`,
    ignore: missing("docker-registry", "htpasswd", "openssl"),
    async fn(t) {
      const reg = await startRegistry({ mode });
      const sb = await sandbox();
      try {
        const plugins = `${reg.host}/plugins`;
        const P = ["--plain-http", "--registry", plugins];
        const auth = { KLAUS_OCI_REGISTRY_AUTH: reg.dockerConfigBase64() };
        let digest = "";

        await t.step(
          "push, describe, pull with KLAUS_OCI_REGISTRY_AUTH",
          async () => {
            const pushed = await sb.ok(
              ["plugin", "push", PLUGIN_BASE, "base:v1.0.0", "--json", ...P],
              { env: auth },
            );
            digest = (JSON.parse(pushed.stdout) as { digest: string }).digest;
            match(digest, /^sha256:[0-9a-f]{64}$/);
            const described = await sb.ok(
              ["plugin", "describe", "base", "--json", ...P],
              { env: auth },
            );
            equal(
              (JSON.parse(described.stdout) as { digest: string }).digest,
              digest,
            );
            const list = await sb.ok(["plugin", "list", ...P], { env: auth });
            ok(list.stdout.includes(`${plugins}/base:v1.0.0`), list.stdout);
            const dest = `${sb.dir}/pulled`;
            await sb.ok(["plugin", "pull", "base", dest, ...P], { env: auth });
            deepStrictEqual(
              await readTree(dest, (p) => p === ".oci-cache.json"),
              await readTree(PLUGIN_BASE),
            );
          },
        );

        await t.step(
          "credentials from $DOCKER_CONFIG/config.json",
          async () => {
            const dockerDir = `${sb.dir}/docker-with-creds`;
            await Deno.mkdir(dockerDir);
            await reg.writeDockerConfig(dockerDir);
            const r = await sb.ok(
              ["plugin", "versions", "base", "--json", "--no-cache", ...P],
              { env: { DOCKER_CONFIG: dockerDir } },
            );
            deepStrictEqual(JSON.parse(r.stdout), ["v1.0.0"]);
          },
        );

        await t.step("no credentials: exit 1, one clean line", async () => {
          for (
            const args of [
              ["plugin", "describe", "base:v1.0.0", "--no-cache", ...P],
              ["plugin", "push", PLUGIN_BASE, "base:v1.0.1", ...P],
              ["plugin", "list", "--no-cache", ...P],
            ]
          ) {
            const r = await sb.run(args);
            equal(r.code, 1, `${args.join(" ")}\n${r.stdout}${r.stderr}`);
            equal(r.stdout, "");
            match(r.stderr, /^error: \S[^\n]*\n$/, r.stderr);
            match(r.stderr, /401|unauthori[sz]ed|authentication/i, r.stderr);
            ok(!/\n\s+at /.test(r.stderr), "no stack trace");
          }
        });

        await t.step(
          "wrong password: exit 1, password never printed",
          async () => {
            const wrong = reg.dockerConfigBase64({ password: WRONG_PASSWORD });
            for (
              const args of [
                ["plugin", "describe", "base:v1.0.0", "--no-cache", ...P],
                [
                  "plugin",
                  "pull",
                  "base",
                  `${sb.dir}/never`,
                  "--no-cache",
                  ...P,
                ],
                ["plugin", "push", PLUGIN_BASE, "base:v1.0.2", "--json", ...P],
              ]
            ) {
              const r = await sb.run(args, {
                env: { KLAUS_OCI_REGISTRY_AUTH: wrong },
              });
              equal(r.code, 1, `${args.join(" ")}\n${r.stdout}${r.stderr}`);
              equal(r.stdout, "");
              match(r.stderr, /^error: \S[^\n]*\n$/, r.stderr);
              for (
                const secret of [
                  WRONG_PASSWORD,
                  wrong,
                  btoa(`${reg.username}:${WRONG_PASSWORD}`),
                ]
              ) {
                ok(!r.stderr.includes(secret), `secret in stderr: ${r.stderr}`);
              }
            }
          },
        );

        if (mode === "token") {
          await t.step("identity token in the Docker config", async () => {
            const r = await sb.ok(
              ["plugin", "resolve", "base", "--no-cache", ...P],
              {
                env: {
                  KLAUS_OCI_REGISTRY_AUTH: reg.dockerConfigBase64({
                    identityToken: true,
                  }),
                },
              },
            );
            equal(r.stdout, `${plugins}/base:v1.0.0\n`);
          });
        }
      } finally {
        await sb.cleanup();
        await reg.stop();
      }
    },
  });
}
