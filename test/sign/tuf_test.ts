/**
 * The sigstore trusted root through TUF (src/sign/tuf/): against the
 * local @tufjs/repo-mock repository of the sigstore harness (the one
 * `@sigstore/cli verify` accepts, test/harness/sigstore_test.ts) the same
 * trusted root comes out byte for byte; against repositories signed here
 * (ECDSA P-256 and Ed25519, consistent snapshots or not) every check of
 * the client workflow refuses what it must — bad signature, below
 * threshold, expiry, rollback, snapshot and target hash or length, size,
 * a mirror that never answers, root rotation (accepted when signed by the
 * old and the new root keys, refused when signed only by the new).
 * The public-good mirror itself is not reachable here (no internet): its
 * embedded root is checked (its real signatures verify under our
 * canonical JSON), and the requests it leads to are observed through a
 * stand-in fetch.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { canonicalJson } from "../../src/sign/tuf/canonical_json.ts";
import { countVerified, parseMetadata } from "../../src/sign/tuf/metadata.ts";
import {
  clearTrustedRootMemo,
  DEFAULT_TUF_MIRROR_URL,
  fetchTrustedRoot,
  SIGSTORE_PUBLIC_GOOD_ROOT,
  SIGSTORE_PUBLIC_GOOD_ROOT_VERSION,
  TufError,
  type TufFailure,
  type TufOptions,
} from "../../src/sign/tuf/mod.ts";
import {
  missingSigstore,
  NODE,
  startSigstoreServices,
} from "../harness/sigstore.ts";
import {
  ecdsaKey,
  ed25519Key,
  inDays,
  type Publication,
  rootSigned,
  type RootSpec,
  signMetadata,
  TestRepository,
  type TufServer,
} from "./_tuf_server.ts";

const TRUSTED_ROOT = JSON.stringify({
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  note: 'a "quoted" \\ value',
});

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "klaus-tuf-" });
}

interface Fixture extends AsyncDisposable {
  repo: TestRepository;
  server: TufServer;
  dir: string;
  options(extra?: Partial<TufOptions>): TufOptions;
  fetch(extra?: Partial<TufOptions>): Promise<string>;
}

async function fixture(
  publication: Omit<Publication, "target"> = {},
  create: Parameters<typeof TestRepository.create>[0] = {},
): Promise<Fixture> {
  const repo = await TestRepository.create(create);
  await repo.publish({ target: TRUSTED_ROOT, ...publication });
  const server = repo.serve();
  const dir = await tempDir();
  const options = (extra: Partial<TufOptions> = {}): TufOptions => ({
    mirrorUrl: server.url,
    initialRoot: repo.initialRoot,
    cacheDir: join(dir, "tuf"),
    timeoutMs: 5_000,
    ...extra,
  });
  return {
    repo,
    server,
    dir,
    options,
    fetch(extra) {
      clearTrustedRootMemo();
      return fetchTrustedRoot(options(extra));
    },
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function refused(
  work: Promise<unknown>,
  file: string | RegExp,
  reason: TufFailure,
  message?: RegExp,
): Promise<void> {
  await rejects(work, (e) => {
    ok(e instanceof TufError, `not a TufError: ${e}`);
    equal(e.reason, reason, e.message);
    if (typeof file === "string") equal(e.file, file, e.message);
    else ok(file.test(e.file), e.message);
    ok(e.message.startsWith(`TUF ${e.file}: `), e.message);
    if (message) ok(message.test(e.message), e.message);
    return true;
  });
}

Deno.test("tuf: canonical JSON is OLPC's (sorted keys, only \" and \\ escaped, integers)", () => {
  equal(
    canonicalJson({
      b: [1, 'x"y\\z', true, null],
      a: { d: 0, c: "\n\u0001é" },
    }),
    '{"a":{"c":"\n\u0001é","d":0},"b":[1,"x\\"y\\\\z",true,null]}',
  );
  for (const bad of [1.5, undefined, () => 1, 2n]) {
    let threw = false;
    try {
      canonicalJson({ x: bad });
    } catch (e) {
      threw = e instanceof TypeError;
    }
    ok(threw, String(bad));
  }
});

Deno.test("tuf: the embedded public-good root verifies itself (its real signatures, our canonical JSON)", async () => {
  const root = parseMetadata(
    new TextEncoder().encode(SIGSTORE_PUBLIC_GOOD_ROOT),
    "root",
    "root.json",
  );
  equal(root.signed.version, SIGSTORE_PUBLIC_GOOD_ROOT_VERSION);
  equal(root.signed.consistent_snapshot, true);
  const verified = await countVerified(root, root.signed, "root", new Map());
  ok(
    verified >= root.signed.roles.root.threshold,
    `${verified} of threshold ${root.signed.roles.root.threshold}`,
  );
  // One changed byte of `signed` and no signature verifies.
  const altered = { ...JSON.parse(SIGSTORE_PUBLIC_GOOD_ROOT) };
  altered.signed = { ...altered.signed, version: altered.signed.version + 1 };
  const m = parseMetadata(
    new TextEncoder().encode(JSON.stringify(altered)),
    "root",
    "root.json",
  );
  equal(await countVerified(m, root.signed, "root", new Map()), 0);
});

Deno.test("tuf: by default the public-good mirror from the embedded root (observed through a stand-in fetch)", async () => {
  clearTrustedRootMemo();
  const asked: string[] = [];
  const fake = (input: RequestInfo | URL) => {
    asked.push(String(input));
    return Promise.resolve(new Response("no", { status: 404 }));
  };
  await refused(
    fetchTrustedRoot({ fetch: fake as typeof fetch }),
    "timestamp.json",
    "unavailable",
  );
  deepStrictEqual(asked, [
    `${DEFAULT_TUF_MIRROR_URL}/${
      SIGSTORE_PUBLIC_GOOD_ROOT_VERSION + 1
    }.root.json`,
    `${DEFAULT_TUF_MIRROR_URL}/timestamp.json`,
  ]);
  // Another mirror needs its own initial root.
  await rejects(
    fetchTrustedRoot({ mirrorUrl: "https://tuf.example" }),
    (e) => e instanceof TypeError && /initial root/.test(e.message),
  );
  await rejects(
    fetchTrustedRoot({ mirrorUrl: "file:///etc", initialRoot: "{}" }),
    TypeError,
  );
});

Deno.test({
  name:
    "tuf: the harness's @tufjs/repo-mock repository gives its trusted root byte for byte",
  ignore: missingSigstore(),
  fn: async () => {
    const s = await startSigstoreServices();
    try {
      clearTrustedRootMemo();
      const options = {
        mirrorUrl: s.tufUrl,
        initialRoot: await Deno.readTextFile(s.tufRootPath),
        cacheDir: join(s.dir, "klaus-tuf"),
      };
      equal(await fetchTrustedRoot(options), s.trustedRoot);
      // And from the cache alone (the metadata has not expired).
      clearTrustedRootMemo();
      equal(
        await fetchTrustedRoot({ ...options, forceCache: true }),
        s.trustedRoot,
      );
    } finally {
      await s.close();
    }
  },
});

for (const consistent of [true, false]) {
  Deno.test(`tuf: a good repository (${consistent ? "consistent snapshots" : "plain names"}): the target, cached, fetched once per process`, async () => {
    await using f = await fixture({}, { consistent });
    equal(await f.fetch(), TRUSTED_ROOT);
    const paths = [...f.repo.requests];
    deepStrictEqual(
      paths,
      consistent
        ? [
          "/2.root.json",
          "/timestamp.json",
          "/1.snapshot.json",
          "/1.targets.json",
          f.repo.targetPath(),
        ]
        : [
          "/2.root.json",
          "/timestamp.json",
          "/snapshot.json",
          "/targets.json",
          "/targets/trusted_root.json",
        ],
    );
    if (consistent) {
      ok(/^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(paths[4]));
    }
    // Memoized: the same process asks nothing more, concurrent calls share.
    const again = await Promise.all([
      fetchTrustedRoot(f.options()),
      fetchTrustedRoot(f.options()),
    ]);
    deepStrictEqual(again, [TRUSTED_ROOT, TRUSTED_ROOT]);
    equal(f.repo.requests.length, paths.length);
    // The cache directory holds the metadata and the target.
    const mirrorDir = join(
      f.dir,
      "tuf",
      encodeURIComponent(new URL(f.server.url).host),
    );
    const names = [...Deno.readDirSync(mirrorDir)].map((e) => e.name).sort();
    deepStrictEqual(names, [
      "snapshot.json",
      "targets",
      "targets.json",
      "timestamp.json",
    ]);
    equal(
      await Deno.readTextFile(join(mirrorDir, "targets", "trusted_root.json")),
      TRUSTED_ROOT,
    );
    // A new process: the timestamp is asked again (as tuf-js), the rest is
    // cached; with forceCache nothing is asked.
    f.repo.requests.length = 0;
    equal(await f.fetch(), TRUSTED_ROOT);
    deepStrictEqual(f.repo.requests, ["/2.root.json", "/timestamp.json"]);
    f.repo.requests.length = 0;
    equal(await f.fetch({ forceCache: true }), TRUSTED_ROOT);
    deepStrictEqual(f.repo.requests, []);
    // The mirror gone: refused without forceCache, served from the cache with.
    await f.server.close();
    await refused(f.fetch(), "2.root.json", "unavailable");
    equal(await f.fetch({ forceCache: true }), TRUSTED_ROOT);
  });
}

/** One character of `signed` changed, the length kept. */
function tamper(repo: TestRepository, path: string): void {
  const text = new TextDecoder().decode(repo.files.get(path));
  const altered = text.replace('"expires": "2', '"expires": "3');
  ok(altered !== text);
  repo.files.set(path, new TextEncoder().encode(altered));
}

Deno.test("tuf: refusals name the file and what failed", async (t) => {
  const cases: {
    name: string;
    publication?: Omit<Publication, "target">;
    create?: Parameters<typeof TestRepository.create>[0];
    alter?: (repo: TestRepository) => void | Promise<void>;
    file: string | RegExp;
    reason: TufFailure;
    message?: RegExp;
  }[] = [
    {
      name: "timestamp signed by a key the root does not name",
      publication: { timestampSigners: [await ed25519Key()] },
      file: "timestamp.json",
      reason: "untrusted",
      message: /signatures of 0 of the 1 timestamp keys/,
    },
    {
      name: "targets signed by fewer keys than the threshold",
      create: { targetsThreshold: 2 },
      alter: async (repo) =>
        await repo.publish({
          target: TRUSTED_ROOT,
          targetsSigners: [repo.spec.targets[0]],
        }),
      file: "1.targets.json",
      reason: "untrusted",
      message: /1 of the 2 targets keys .* 2 needed/,
    },
    {
      name: "a tampered snapshot (the timestamp's hash catches it)",
      alter: (repo) => tamper(repo, "/1.snapshot.json"),
      file: "1.snapshot.json",
      reason: "mismatch",
      message: /sha256 [0-9a-f]{64}, want/,
    },
    {
      name:
        "a tampered snapshot the timestamp names no hash of (its signature fails)",
      publication: {
        editTimestamp: (s) => {
          const meta = (s.meta as Record<string, Record<string, unknown>>)[
            "snapshot.json"
          ];
          delete meta.hashes;
          delete meta.length;
        },
      },
      alter: (repo) => tamper(repo, "/1.snapshot.json"),
      file: "1.snapshot.json",
      reason: "untrusted",
      message: /signatures of 0 of the 1 snapshot keys/,
    },
    {
      name: "expired timestamp",
      publication: { timestampExpires: inDays(-1) },
      file: "timestamp.json",
      reason: "expired",
    },
    {
      name: "expired snapshot",
      publication: { snapshotExpires: inDays(-1) },
      file: "1.snapshot.json",
      reason: "expired",
    },
    {
      name: "expired targets",
      publication: { targetsExpires: inDays(-1) },
      file: "1.targets.json",
      reason: "expired",
    },
    {
      name: "expired root (and no newer one)",
      create: { rootExpires: inDays(-1) },
      file: "1.root.json",
      reason: "expired",
    },
    {
      name: "snapshot hash other than the timestamp names",
      publication: {
        editTimestamp: (s) => {
          (s.meta as Record<string, { hashes: Record<string, string> }>)[
            "snapshot.json"
          ].hashes = { sha256: "0".repeat(64) };
        },
      },
      file: "1.snapshot.json",
      reason: "mismatch",
    },
    {
      name: "snapshot length other than the timestamp names",
      publication: {
        editTimestamp: (s) => {
          (s.meta as Record<string, { length: number }>)["snapshot.json"]
            .length -= 1;
        },
      },
      file: "1.snapshot.json",
      reason: "too-large",
    },
    {
      name: "snapshot version other than the timestamp names",
      create: { consistent: false },
      publication: {
        editTimestamp: (s) => {
          (s.meta as Record<string, { version: number }>)["snapshot.json"]
            .version = 2;
        },
      },
      file: "snapshot.json",
      reason: "rollback",
      message: /version 1, the timestamp names 2/,
    },
    {
      name: "targets version other than the snapshot names",
      create: { consistent: false },
      publication: {
        editSnapshot: (s) => {
          (s.meta as Record<string, { version: number }>)["targets.json"]
            .version = 3;
        },
      },
      file: "targets.json",
      reason: "rollback",
    },
    {
      name: "target content other than its hash",
      alter: (repo) => {
        const path = repo.targetPath();
        const bytes = repo.files.get(path)!.slice();
        bytes[bytes.length - 3] ^= 0x01;
        repo.files.set(path, bytes);
      },
      file: "trusted_root.json",
      reason: "mismatch",
      message: /sha256/,
    },
    {
      name: "target shorter than listed",
      alter: (repo) => {
        const path = repo.targetPath();
        repo.files.set(path, repo.files.get(path)!.subarray(1));
      },
      file: "trusted_root.json",
      reason: "mismatch",
      message: /length/,
    },
    {
      name: "target longer than listed",
      alter: (repo) => {
        const path = repo.targetPath();
        repo.files.set(
          path,
          new Uint8Array([...repo.files.get(path)!, 0x20]),
        );
      },
      file: "trusted_root.json",
      reason: "too-large",
    },
    {
      name: "target not listed",
      publication: { editTargets: (s) => void (s.targets = {}) },
      file: "trusted_root.json",
      reason: "missing",
    },
    {
      name: "timestamp over 16 KiB",
      publication: {
        editTimestamp: (s) => void (s["x-pad"] = "a".repeat(20_000)),
      },
      file: "timestamp.json",
      reason: "too-large",
    },
    {
      name: "root rotation over 512 KB",
      alter: (repo) =>
        void repo.files.set("/2.root.json", new Uint8Array(600_000).fill(0x20)),
      file: "2.root.json",
      reason: "too-large",
    },
    {
      name: "timestamp that is not JSON",
      alter: (repo) =>
        void repo.files.set(
          "/timestamp.json",
          new TextEncoder().encode("<html>"),
        ),
      file: "timestamp.json",
      reason: "malformed",
    },
    {
      name: "a root served as timestamp",
      alter: (repo) =>
        void repo.files.set(
          "/timestamp.json",
          new TextEncoder().encode(repo.initialRoot),
        ),
      file: "timestamp.json",
      reason: "malformed",
      message: /_type is "root"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using f = await fixture(c.publication, c.create);
      await c.alter?.(f.repo);
      await refused(f.fetch(), c.file, c.reason, c.message);
    });
  }
});

Deno.test("tuf: no rollback below what the cache trusts", async (t) => {
  await t.step("timestamp version", async () => {
    await using f = await fixture({ timestampVersion: 2 });
    equal(await f.fetch(), TRUSTED_ROOT);
    await f.repo.publish({ target: TRUSTED_ROOT, timestampVersion: 1 });
    await refused(
      f.fetch(),
      "timestamp.json",
      "rollback",
      /version 1, lower than the trusted 2/,
    );
  });
  await t.step("snapshot version named by the timestamp", async () => {
    await using f = await fixture({ timestampVersion: 1, snapshotVersion: 2 });
    equal(await f.fetch(), TRUSTED_ROOT);
    await f.repo.publish({
      target: TRUSTED_ROOT,
      timestampVersion: 2,
      snapshotVersion: 1,
    });
    await refused(
      f.fetch(),
      "timestamp.json",
      "rollback",
      /snapshot version 1/,
    );
  });
  await t.step("targets version named by the snapshot", async () => {
    await using f = await fixture({ targetsVersion: 2 });
    equal(await f.fetch(), TRUSTED_ROOT);
    await f.repo.publish({
      target: TRUSTED_ROOT,
      timestampVersion: 2,
      snapshotVersion: 2,
      targetsVersion: 1,
    });
    await refused(
      f.fetch(),
      "2.snapshot.json",
      "rollback",
      /targets\.json version 1/,
    );
  });
  await t.step(
    "an equal timestamp keeps the trusted one (not an error)",
    async () => {
      await using f = await fixture();
      equal(await f.fetch(), TRUSTED_ROOT);
      equal(await f.fetch(), TRUSTED_ROOT);
    },
  );
});

Deno.test("tuf: a mirror that never answers fails by the deadline; the caller's abort at once", async () => {
  await using f = await fixture();
  f.repo.hang.add("/timestamp.json");
  const started = Date.now();
  await refused(f.fetch({ timeoutMs: 300 }), "timestamp.json", "timeout");
  ok(Date.now() - started < 3_000, `${Date.now() - started}ms`);
  clearTrustedRootMemo();
  const controller = new AbortController();
  const reason = new Error("stop");
  setTimeout(() => controller.abort(reason), 100);
  await rejects(
    fetchTrustedRoot(f.options({ timeoutMs: 60_000 }), controller.signal),
    (e) => e === reason,
  );
});

async function rotated(
  repo: TestRepository,
  signers: (old: RootSpec, next: RootSpec) => RootSpec["root"],
  version = 2,
): Promise<RootSpec> {
  const old = repo.spec;
  const next: RootSpec = {
    ...old,
    version,
    root: [await ecdsaKey(), await ed25519Key()],
    timestamp: [await ecdsaKey()],
    snapshot: [await ed25519Key()],
    targets: [await ecdsaKey()],
    targetsThreshold: 1,
  };
  // Served as 2.root.json whatever version it holds.
  repo.files.set(
    "/2.root.json",
    await signMetadata(rootSigned(next), signers(old, next)),
  );
  repo.spec = next;
  await repo.publish({ target: TRUSTED_ROOT });
  return next;
}

Deno.test("tuf: root rotation", async (t) => {
  await t.step(
    "signed by the old and the new root keys: followed, cached",
    async () => {
      await using f = await fixture();
      await rotated(f.repo, (old, next) => [...old.root, ...next.root]);
      equal(await f.fetch(), TRUSTED_ROOT);
      ok(f.repo.requests.includes("/3.root.json"));
      const cached = await Deno.readTextFile(
        join(
          f.dir,
          "tuf",
          encodeURIComponent(new URL(f.server.url).host),
          "root.json",
        ),
      );
      equal(JSON.parse(cached).signed.version, 2);
      // The next process starts from the cached version 2.
      f.repo.requests.length = 0;
      equal(await f.fetch(), TRUSTED_ROOT);
      equal(f.repo.requests[0], "/3.root.json");
    },
  );
  await t.step("signed only by the new keys: refused", async () => {
    await using f = await fixture();
    await rotated(f.repo, (_old, next) => next.root);
    await refused(
      f.fetch(),
      "2.root.json",
      "untrusted",
      /0 of the 2 root keys of the trusted root \(version 1\)/,
    );
  });
  await t.step(
    "signed by the old keys only: refused (the new root must sign itself)",
    async () => {
      await using f = await fixture();
      await rotated(f.repo, (old) => old.root);
      await refused(f.fetch(), "2.root.json", "untrusted", /the new root/);
    },
  );
  await t.step(
    "signed by one old key of two (threshold 2): refused",
    async () => {
      await using f = await fixture();
      await rotated(f.repo, (old, next) => [old.root[0], ...next.root]);
      await refused(
        f.fetch(),
        "2.root.json",
        "untrusted",
        /1 of the 2 root keys/,
      );
    },
  );
  await t.step("2.root.json holding version 3: refused", async () => {
    await using f = await fixture();
    await rotated(f.repo, (old, next) => [...old.root, ...next.root], 3);
    await refused(f.fetch(), "2.root.json", "rollback", /version 3, want 2/);
  });
  await t.step(
    "metadata still signed by the rotated-out keys: refused",
    async () => {
      await using f = await fixture();
      const old = f.repo.spec;
      await rotated(f.repo, (o, next) => [...o.root, ...next.root]);
      await f.repo.publish({
        target: TRUSTED_ROOT,
        timestampSigners: old.timestamp,
      });
      await refused(f.fetch(), "timestamp.json", "untrusted");
    },
  );
});

/** tuf-js (the reference client under @sigstore/tuf) on `repo`: the target, or its error. */
async function tufJs(
  server: TufServer,
  repo: TestRepository,
): Promise<{ code: number; out: string }> {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(join(dir, "root.json"), repo.initialRoot);
    await Deno.mkdir(join(dir, "targets"));
    const script = `
      const { Updater } = require(${
      JSON.stringify(
        new URL("../../node_modules/tuf-js", import.meta.url).pathname,
      )
    });
      const [url, dir] = process.argv.slice(1);
      const u = new Updater({ metadataBaseUrl: url, targetBaseUrl: url + "/targets",
        metadataDir: dir, targetDir: dir + "/targets" });
      u.getTargetInfo("trusted_root.json")
        .then((info) => u.downloadTarget(info))
        .then((p) => process.stdout.write(require("fs").readFileSync(p, "utf8")))
        .catch((e) => { process.stdout.write(String(e)); process.exit(1); });`;
    const out = await new Deno.Command(NODE, {
      args: ["-e", script, server.url, dir],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(30_000),
    }).output();
    return { code: out.code, out: new TextDecoder().decode(out.stdout) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "tuf: tuf-js judges the repositories signed here as we do (good, rotated, rotated by the new keys only)",
  ignore: missingSigstore(),
  fn: async () => {
    for (const consistent of [true, false]) {
      await using f = await fixture({}, { consistent });
      equal(await f.fetch(), TRUSTED_ROOT);
      deepStrictEqual(await tufJs(f.server, f.repo), {
        code: 0,
        out: TRUSTED_ROOT,
      });
    }
    {
      await using f = await fixture();
      await rotated(f.repo, (old, next) => [...old.root, ...next.root]);
      equal(await f.fetch(), TRUSTED_ROOT);
      deepStrictEqual(await tufJs(f.server, f.repo), {
        code: 0,
        out: TRUSTED_ROOT,
      });
    }
    {
      await using f = await fixture();
      await rotated(f.repo, (_old, next) => next.root);
      await refused(f.fetch(), "2.root.json", "untrusted");
      const r = await tufJs(f.server, f.repo);
      equal(r.code, 1);
      ok(/root was signed by 0\/2 keys|threshold|Unsigned/i.test(r.out), r.out);
    }
  },
});
