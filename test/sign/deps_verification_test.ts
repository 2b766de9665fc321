/**
 * A personality's dependencies under a signature policy, against a real
 * registry: each described dependency carries the signatures checked at
 * the digest it was described at; a policy that requires a signature
 * leaves out (with a warning naming the reason) the unsigned and the
 * wrongly signed ones; `require: false` reports them all. Pulls report the
 * signatures they checked.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
} from "../../src/sign/mod.ts";
import { fixture, withTempDir } from "../artifact/_fs_helpers.ts";
import { interopRegistries } from "../interop/registries.ts";

for (const target of interopRegistries()) {
  Deno.test({
    name:
      `resolvePersonalityDeps and pulls report (and under require, enforce) each dependency's signatures on ${target.label}`,
    ignore: target.ignore,
    fn: () =>
      withTempDir(async (tmp) => {
        await using reg = await target.start();
        const configDir = join(tmp, "docker");
        await Deno.mkdir(configDir);
        await reg.writeDockerConfig(configDir);
        const signer = await generateSigningKey();
        const stranger = await generateSigningKey();
        const pem = await exportPublicKeyPem(signer.publicKey);
        // plainHttp applies to named hosts: the plugin base names it.
        const base = `${reg.host}/klaus-plugins`;
        const options = {
          plainHttp: true,
          env: { DOCKER_CONFIG: configDir },
          registries: { plugin: base },
        };
        const publisher = new Client(options);
        try {
          const push = async (name: string, key?: CryptoKey) => {
            await publisher.pushPlugin(
              fixture("plugins/base"),
              `${base}/${name}:v1.0.0`,
              { name },
              key ? { signKey: await exportPrivateKeyPem(key) } : {},
            );
            return { repository: `${base}/${name}`, tag: "v1.0.0" };
          };
          const personality = {
            name: "sre",
            plugins: [
              await push("signed", signer.privateKey),
              await push("stranger", stranger.privateKey),
              await push("unsigned"),
            ],
          };

          // Required (the client's policy): only the signed plugin is used.
          const strict = new Client({
            ...options,
            verification: { publicKeys: [pem] },
          });
          const deps = await strict.resolvePersonalityDeps(personality);
          deepStrictEqual(
            deps.plugins.map((p) => p.plugin.name),
            ["signed"],
            deps.warnings.join("\n"),
          );
          const [sig] = deps.plugins[0].signatures ?? [];
          ok(sig?.verified);
          ok(sig.keyId && sig.keyId.length === 64, JSON.stringify(sig));
          strictEqual(deps.warnings.length, 2, deps.warnings.join("\n"));
          ok(
            /^plugin .*\/stranger:v1\.0\.0: verifying signature of .*: wrong-key/
              .test(deps.warnings[0]),
            deps.warnings[0],
          );
          ok(
            /^plugin .*\/unsigned:v1\.0\.0: verifying signature of .*: unsigned/
              .test(deps.warnings[1]),
            deps.warnings[1],
          );

          // Reported only: every plugin, each with what was found.
          const report = await strict.resolvePersonalityDeps(personality, {
            verification: { publicKeys: [pem], require: false },
          });
          deepStrictEqual(report.warnings, []);
          deepStrictEqual(
            report.plugins.map((p) => [
              p.plugin.name,
              (p.signatures ?? []).map((s) => [s.verified, s.reason]),
            ]),
            [
              ["signed", [[true, undefined]]],
              ["stranger", [[false, "wrong-key"]]],
              ["unsigned", []],
            ],
          );

          // Without a policy nothing is checked and nothing is reported.
          const plain = new Client(options);
          const none = await plain.resolvePersonalityDeps(personality);
          strictEqual(none.plugins.length, 3);
          ok(none.plugins.every((p) => p.signatures === undefined));

          // A pull reports the signatures it checked, also when up to date.
          const dest = join(tmp, "signed");
          for (const cached of [false, true]) {
            const pulled = await strict.pullPlugin(
              `${base}/signed:v1.0.0`,
              dest,
            );
            strictEqual(pulled.cached, cached);
            strictEqual(pulled.signatures?.length, 1);
            ok(pulled.signatures[0].verified);
          }
          const unchecked = await plain.pullPlugin(
            `${base}/signed:v1.0.0`,
            dest,
          );
          strictEqual(unchecked.signatures, undefined);
          await Promise.all([strict.close(), plain.close()]);
        } finally {
          await publisher.close();
        }
      }),
  });
}
