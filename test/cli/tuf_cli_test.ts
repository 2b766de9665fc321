/**
 * The trusted root through TUF on the command line: `--trusted-root`
 * optional, `--tuf-mirror-url`, `--tuf-root`, `--tuf-force-cache` (usage
 * errors as cosign's, exit 2; the policy they make, the TUF cache below
 * the cache directory), and end to end on both registry implementations: an artifact
 * signed keylessly against the local sigstore services, pulled and
 * described with only `--certificate-identity` and
 * `--certificate-oidc-issuer` — the trusted root from the services' TUF
 * repository (the one `@sigstore/cli verify` uses) — library and CLI;
 * a pull of several artifacts fetches it once.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";

import { Client } from "../../src/client.ts";
import { SignatureError } from "../../src/errors.ts";
import { clearTrustedRootMemo } from "../../src/sign/tuf/mod.ts";
import { fixture } from "../artifact/_fs_helpers.ts";
import {
  interopRegistries,
  type InteropRegistry,
} from "../interop/registries.ts";
import {
  missingSigstore,
  startSigstoreServices,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../harness/sigstore.ts";
import { TestRepository } from "../sign/_tuf_server.ts";
import { runInProcess, sandbox, standIn } from "./helpers.ts";

const run = runInProcess;

const IDENTITY = ["--certificate-identity", TEST_SUBJECT];
const ISSUER = ["--certificate-oidc-issuer", TEST_ISSUER];

Deno.test("cli: the TUF flags — usage errors, and the policy they make", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "klaus-tuf-cli-" });
  try {
    const env = { XDG_CACHE_HOME: join(tmp, "xdg"), HOME: join(tmp, "home") };
    const rootFile = join(tmp, "root.json");
    const repo = await TestRepository.create();
    await Deno.writeTextFile(rootFile, repo.initialRoot);
    const trusted = join(tmp, "trusted_root.json");
    await Deno.writeTextFile(trusted, "{}");
    const notRoot = join(tmp, "not-root.json");
    await Deno.writeTextFile(notRoot, '{"signed":{"_type":"timestamp"}}');
    const pull = ["plugin", "pull", "r.example/p/x:v1", join(tmp, "out")];
    const describe = ["plugin", "describe", "r.example/p/x:v1"];
    const mirror = "http://127.0.0.1:9/tuf";

    const usage: [string[], RegExp][] = [
      [
        [...pull, ...IDENTITY, ...ISSUER, "--tuf-mirror-url", mirror],
        /--tuf-mirror-url needs --tuf-root FILE/,
      ],
      [
        [
          ...pull,
          ...IDENTITY,
          ...ISSUER,
          "--tuf-root",
          rootFile,
          "--trusted-root",
          trusted,
        ],
        /--tuf-root and --trusted-root exclude each other/,
      ],
      [
        [...pull, "--tuf-root", rootFile],
        /--tuf-root needs --certificate-identity/,
      ],
      [
        [...pull, "--verify-key", "k.pub", "--tuf-force-cache"],
        /--tuf-force-cache needs --certificate-identity/,
      ],
      [
        [
          ...pull,
          ...IDENTITY,
          ...ISSUER,
          "--tuf-mirror-url",
          "ftp://x",
          "--tuf-root",
          rootFile,
        ],
        /--tuf-mirror-url: "ftp:\/\/x" is not an http\(s\) URL/,
      ],
      [
        [...pull, ...IDENTITY, ...ISSUER, "--tuf-mirror-url", " "],
        /--tuf-mirror-url needs a URL/,
      ],
      [
        [...pull, ...IDENTITY, ...ISSUER, "--tuf-root", ""],
        /--tuf-root needs a TUF root file/,
      ],
      [
        [...describe, "--tuf-force-cache"],
        /--tuf-force-cache applies with --verify only/,
      ],
      [
        [
          "plugin",
          "push",
          fixture("plugins/base"),
          "r.example/p/x:v1",
          "--tuf-root",
          rootFile,
        ],
        /--tuf-root applies to/,
      ],
    ];
    for (const [args, message] of usage) {
      const r = await run(args, standIn({}), env);
      equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      ok(message.test(r.stderr), `${args.join(" ")}: ${r.stderr}`);
    }

    // The policy: no --trusted-root, the trusted root through TUF.
    let policy: unknown;
    const client = standIn({
      resolvePluginRef: (r) => Promise.resolve(r),
      pullPlugin: (ref, dir, o) => {
        policy = o?.verification;
        return Promise.resolve({
          ref,
          tag: "v1",
          digest: "sha256:" + "e".repeat(64),
          dir,
          cached: false,
          plugin: { name: "x" },
          signatures: [],
        });
      },
    });
    const identity = {
      certificateIdentity: TEST_SUBJECT,
      certificateOidcIssuer: TEST_ISSUER,
    };
    const tufCache = join(tmp, "xdg", "klaus-oci", "tuf");
    let r = await run([...pull, ...IDENTITY, ...ISSUER], client, env);
    equal(r.code, 0, r.stderr);
    deepStrictEqual(policy, { ...identity, tuf: { cacheDir: tufCache } });
    r = await run(
      [
        ...pull,
        ...IDENTITY,
        ...ISSUER,
        "--tuf-mirror-url",
        `${mirror}/`,
        "--tuf-root",
        rootFile,
        "--tuf-force-cache",
      ],
      client,
      env,
    );
    equal(r.code, 0, r.stderr);
    deepStrictEqual(policy, {
      ...identity,
      tuf: {
        mirrorUrl: mirror,
        initialRoot: repo.initialRoot,
        cacheDir: tufCache,
        forceCache: true,
      },
    });
    // The public-good mirror named explicitly takes the embedded root.
    r = await run(
      [
        ...pull,
        ...IDENTITY,
        ...ISSUER,
        "--tuf-mirror-url",
        "https://tuf-repo-cdn.sigstore.dev",
      ],
      client,
      env,
    );
    equal(r.code, 0, r.stderr);
    deepStrictEqual(policy, {
      ...identity,
      tuf: {
        mirrorUrl: "https://tuf-repo-cdn.sigstore.dev",
        cacheDir: tufCache,
      },
    });
    // --no-cache: nothing written (memory only).
    r = await run([...pull, ...IDENTITY, ...ISSUER, "--no-cache"], client, env);
    equal(r.code, 0, r.stderr);
    deepStrictEqual(policy, { ...identity, tuf: {} });
    // --cache-dir: below it.
    r = await run(
      [...pull, ...IDENTITY, ...ISSUER, "--cache-dir", join(tmp, "c")],
      client,
      env,
    );
    equal(r.code, 0, r.stderr);
    deepStrictEqual(policy, {
      ...identity,
      tuf: { cacheDir: join(tmp, "c", "tuf") },
    });
    // A --tuf-root that is not a TUF root fails the command before any request.
    r = await run(
      [...pull, ...IDENTITY, ...ISSUER, "--tuf-root", notRoot],
      client,
      env,
    );
    equal(r.code, 1, r.stderr);
    ok(/not a TUF root\.json/.test(r.stderr), r.stderr);
    r = await run(
      [...pull, ...IDENTITY, ...ISSUER, "--tuf-root", join(tmp, "absent.json")],
      client,
      env,
    );
    equal(r.code, 1, r.stderr);
    ok(/reading TUF root/.test(r.stderr), r.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

for (const target of interopRegistries()) {
  Deno.test({
    name:
      `keyless pull through TUF on ${target.label}: no --trusted-root, the services' TUF repository (library and CLI)`,
    ignore: missingSigstore() || target.ignore,
    fn: () => keylessThroughTuf(target),
  });
}

async function keylessThroughTuf(target: InteropRegistry): Promise<void> {
  const s = await startSigstoreServices();
  await using reg = await target.start();
  await using sb = await sandbox();
  try {
    await reg.writeDockerConfig(join(sb.dir, "docker"));
    const env = { DOCKER_CONFIG: join(sb.dir, "docker") };
    const base = `${reg.host}/klaus/tuf`;
    const signer = new Client({ plainHttp: true, env });
    const sign = {
      identityToken: () => Promise.resolve(s.identityToken(TEST_SUBJECT)),
      fulcioUrl: s.fulcioUrl,
      rekorUrl: s.rekorUrl,
    };
    for (const name of ["one", "two", "three"]) {
      await signer.pushPlugin(
        fixture("plugins/base"),
        `${base}/${name}:v1.0.0`,
        { name },
        { sign },
      );
    }
    await signer.close();

    // Library: three verified pulls, the trusted root fetched once.
    clearTrustedRootMemo();
    const tufRequests: string[] = [];
    const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
      tufRequests.push(new URL(String(input)).pathname);
      return fetch(input, init);
    }) as typeof fetch;
    const tuf = {
      mirrorUrl: s.tufUrl,
      initialRoot: await Deno.readTextFile(s.tufRootPath),
      fetch: counting,
    };
    const client = new Client({
      plainHttp: true,
      env,
      verification: {
        certificateIdentity: TEST_SUBJECT,
        certificateOidcIssuer: TEST_ISSUER,
        tuf,
      },
    });
    try {
      for (const name of ["one", "two", "three"]) {
        const pulled = await client.pullPlugin(
          `${base}/${name}:v1.0.0`,
          join(sb.dir, "lib", name),
        );
        const signatures = (pulled as {
          signatures?: { verified: boolean; identity?: string }[];
        })
          .signatures ?? [];
        equal(signatures.length, 1);
        equal(signatures[0].verified, true);
        equal(signatures[0].identity, TEST_SUBJECT);
      }
      deepStrictEqual(tufRequests, [
        "/2.root.json",
        "/timestamp.json",
        "/snapshot.json",
        "/targets.json",
        "/targets/trusted_root.json",
      ]);
      // Another identity: the TUF trusted root still checks the chain,
      // the identity refuses.
      await rejects(
        client.pullPlugin(
          `${base}/one:v1.0.0`,
          join(sb.dir, "lib", "other"),
          {
            verification: {
              certificateIdentity: "https://github.com/mallory/x@main",
              certificateOidcIssuer: TEST_ISSUER,
              tuf,
            },
          },
        ),
        (e) => e instanceof SignatureError && e.reason === "wrong-identity",
      );
    } finally {
      await client.close();
    }

    // CLI: pull and describe --verify with the TUF flags; the metadata
    // and trusted root cached below the cache directory.
    const tufFlags = (root: string) => [
      "--plain-http",
      ...IDENTITY,
      ...ISSUER,
      "--tuf-mirror-url",
      s.tufUrl,
      "--tuf-root",
      root,
    ];
    const flags = tufFlags(s.tufRootPath);
    const out = join(sb.dir, "work", "one");
    const pulled = await sb.ok([
      "plugin",
      "pull",
      `${base}/one:v1.0.0`,
      out,
      ...flags,
    ]);
    ok(pulled.stdout.includes(`verified: ${TEST_SUBJECT}`), pulled.stdout);
    const cached = join(
      sb.dir,
      "xdg-cache",
      "klaus-oci",
      "tuf",
      encodeURIComponent(new URL(s.tufUrl).host),
      "targets",
      "trusted_root.json",
    );
    equal(await Deno.readTextFile(cached), s.trustedRoot);
    const described = await sb.ok([
      "plugin",
      "describe",
      `${base}/two:v1.0.0`,
      "--verify",
      "--tuf-force-cache",
      ...flags,
    ]);
    ok(
      described.stdout.includes(`verified: ${TEST_SUBJECT}`),
      described.stdout,
    );

    // Another repository's root: TUF refuses, nothing is extracted.
    const foreign = await TestRepository.create();
    const foreignRoot = join(sb.dir, "foreign-root.json");
    await Deno.writeTextFile(foreignRoot, foreign.initialRoot);
    const refusedOut = join(sb.dir, "work", "refused");
    const refused = await sb.run([
      "plugin",
      "pull",
      `${base}/three:v1.0.0`,
      refusedOut,
      ...tufFlags(foreignRoot),
    ]);
    equal(refused.code, 1, refused.stderr);
    ok(
      /TUF timestamp\.json: signatures of 0 of the 1 timestamp keys/.test(
        refused.stderr,
      ),
      refused.stderr,
    );
    equal(await Deno.stat(refusedOut).then(() => true, () => false), false);
  } finally {
    await s.close();
  }
}
