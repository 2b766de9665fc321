/**
 * Proves the harness itself: each registry mode authenticates the way a real
 * deployment does, the token issuer's JWTs are accepted by distribution 2.8
 * (and wrong ones refused), seeding through skopeo lands exact bytes, and a
 * restart keeps the data. The peer registry (cloudflare/serverless-registry
 * under wrangler) does Basic auth the same way, shares one npm install
 * between instances, keeps each instance's data apart and leaves no process
 * behind.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { missing } from "./require.ts";
import { missingPeerRegistry, startPeerRegistry } from "./peer_registry.ts";
import {
  type RegistryHandle,
  type RegistryMode,
  startRegistry,
} from "./registry.ts";
import { seedArtifact, seedIndex, sha256 } from "./seed.ts";
import {
  inspect,
  inspectConfigRaw,
  inspectRaw,
  listTags,
  skopeo,
} from "./skopeo.ts";
import { decodeJwt } from "./token_issuer.ts";

const ignore = missing("docker-registry", "skopeo", "htpasswd", "openssl");
const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

async function withRegistry(
  mode: RegistryMode,
  fn: (reg: RegistryHandle) => Promise<void>,
): Promise<void> {
  const reg = await startRegistry({ mode });
  try {
    await fn(reg);
  } finally {
    await reg.stop();
  }
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const body = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body,
    text: new TextDecoder().decode(body),
  };
}

function basic(user: string, pass: string): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${pass}`)}` };
}

async function token(
  reg: RegistryHandle,
  scopes: string[],
  auth: Record<string, string> = basic(reg.username, reg.password),
): Promise<{ status: number; token?: string; refresh?: string }> {
  const url = new URL(reg.realm);
  url.searchParams.set("service", reg.service);
  for (const s of scopes) url.searchParams.append("scope", s);
  const res = await get(url.href, auth);
  if (res.status !== 200) return { status: res.status };
  const json = JSON.parse(res.text);
  return { status: 200, token: json.token, refresh: json.refresh_token };
}

Deno.test({
  name:
    "harness: open registry answers /v2/ with 200 and serves seeded content",
  ignore,
  fn: () =>
    withRegistry("open", async (reg) => {
      equal((await get(`${reg.url}/v2/`)).status, 200);
      match(reg.host, /^127\.0\.0\.1:\d+$/);
      deepStrictEqual(reg.dockerConfig(), { auths: {} });
      const m = await seedArtifact(reg, "plugins/a", ["v1.0.0", "latest"]);
      const res = await get(`${reg.url}/v2/plugins/a/manifests/v1.0.0`, {
        accept: ACCEPT,
      });
      equal(res.status, 200);
      deepStrictEqual(res.body, m.bytes);
      equal(res.headers.get("docker-content-digest"), m.digest);
      deepStrictEqual(
        (await listTags(reg.ref("plugins/a"), { registry: reg })).sort(),
        [
          "latest",
          "v1.0.0",
        ],
      );
    }),
});

Deno.test({
  name:
    "harness: basic registry wants credentials and accepts only the right ones",
  ignore,
  fn: () =>
    withRegistry("basic", async (reg) => {
      const anon = await get(`${reg.url}/v2/`);
      equal(anon.status, 401);
      match(anon.headers.get("www-authenticate") ?? "", /^Basic realm=/);
      equal(
        (await get(`${reg.url}/v2/`, basic(reg.username, reg.password))).status,
        200,
      );
      equal(
        (await get(`${reg.url}/v2/`, basic(reg.username, "wrong"))).status,
        401,
      );
      await seedArtifact(reg, "plugins/a", ["v1"]);
      const denied = await skopeo([
        "inspect",
        "--raw",
        `docker://${reg.ref("plugins/a", "v1")}`,
      ], {
        registry: reg,
        creds: `${reg.username}:wrong`,
      });
      ok(denied.code !== 0, "skopeo with a wrong password must fail");
      const anonymous = await skopeo(
        ["inspect", "--raw", `docker://${reg.ref("plugins/a", "v1")}`],
        { registry: reg, creds: null },
      );
      ok(anonymous.code !== 0, "anonymous skopeo must fail");
    }),
});

Deno.test({
  name:
    "harness: token registry challenges with Bearer and accepts the issuer's tokens",
  ignore,
  fn: () =>
    withRegistry("token", async (reg) => {
      const anon = await get(`${reg.url}/v2/`);
      equal(anon.status, 401);
      equal(
        anon.headers.get("www-authenticate"),
        `Bearer realm="${reg.realm}",service="${reg.service}"`,
      );
      const m = await seedArtifact(reg, "plugins/a", ["v1"]);
      await seedArtifact(reg, "plugins/b", ["v1"]);

      const before = reg.tokenRequests;
      const pull = await token(reg, ["repository:plugins/a:pull"]);
      equal(pull.status, 200);
      equal(reg.tokenRequests, before + 1);
      const { header, claims } = decodeJwt(pull.token!);
      equal(header.alg, "ES256");
      ok(Array.isArray(header.x5c) && header.x5c.length === 1);
      equal(claims.aud, reg.service);
      deepStrictEqual(claims.access, [{
        type: "repository",
        name: "plugins/a",
        actions: ["pull"],
      }]);
      const bearer = { authorization: `Bearer ${pull.token}` };
      const manifest = await get(`${reg.url}/v2/plugins/a/manifests/v1`, {
        ...bearer,
        accept: ACCEPT,
      });
      equal(manifest.status, 200);
      deepStrictEqual(manifest.body, m.bytes);
      const blob = await get(
        `${reg.url}/v2/plugins/a/blobs/${m.layers[0].digest}`,
        bearer,
      );
      equal(blob.status, 200);
      equal(await sha256(blob.body), m.layers[0].digest);
      // The token is scoped: another repository and the catalog stay closed.
      const other = await get(`${reg.url}/v2/plugins/b/manifests/v1`, {
        ...bearer,
        accept: ACCEPT,
      });
      equal(other.status, 401);
      match(
        other.headers.get("www-authenticate") ?? "",
        /error="insufficient_scope"/,
      );
      equal((await get(`${reg.url}/v2/_catalog`, bearer)).status, 401);

      const cat = await token(reg, ["registry:catalog:*"]);
      const catalog = await get(`${reg.url}/v2/_catalog`, {
        authorization: `Bearer ${cat.token}`,
      });
      equal(catalog.status, 200);
      deepStrictEqual(JSON.parse(catalog.text), {
        repositories: ["plugins/a", "plugins/b"],
      });

      equal(
        (await token(
          reg,
          ["repository:plugins/a:pull"],
          basic(reg.username, "bad"),
        )).status,
        401,
      );
      equal(reg.tokenLog.at(-1)?.status, 401);
    }),
});

Deno.test({
  name:
    "harness: token registry refuses anonymous, expired and tampered tokens",
  ignore,
  fn: () =>
    withRegistry("token", async (reg) => {
      await seedArtifact(reg, "plugins/a", ["v1"]);
      const url = `${reg.url}/v2/plugins/a/manifests/v1`;
      const anon = await token(reg, ["repository:plugins/a:pull"], {});
      equal(anon.status, 200);
      deepStrictEqual(decodeJwt(anon.token!).claims.access, []);
      equal(
        (await get(url, {
          authorization: `Bearer ${anon.token}`,
          accept: ACCEPT,
        })).status,
        401,
      );

      const access = [{
        type: "repository",
        name: "plugins/a",
        actions: ["pull"],
      }];
      const good = await reg.tokenIssuer!.mint(reg.username, access);
      equal(
        (await get(url, { authorization: `Bearer ${good}`, accept: ACCEPT }))
          .status,
        200,
      );
      // distribution allows 60 s of clock skew past exp.
      const expired = await reg.tokenIssuer!.mint(reg.username, access, -120);
      equal(
        (await get(url, { authorization: `Bearer ${expired}`, accept: ACCEPT }))
          .status,
        401,
      );
      // A tampered claim set breaks the signature.
      const [h, , s] = good.split(".");
      const claims = decodeJwt(good).claims;
      const forged = [
        h,
        btoa(JSON.stringify({ ...claims, aud: "elsewhere" })).replace(/=+$/, "")
          .replaceAll("+", "-").replaceAll("/", "_"),
        s,
      ].join(".");
      equal(
        (await get(url, { authorization: `Bearer ${forged}`, accept: ACCEPT }))
          .status,
        401,
      );
    }),
});

Deno.test({
  name:
    "harness: token issuer supports the refresh-token (identity token) flow",
  ignore,
  fn: () =>
    withRegistry("token", async (reg) => {
      const offline = await get(
        `${reg.realm}?service=${reg.service}&offline_token=true&scope=registry:catalog:*`,
        basic(reg.username, reg.password),
      );
      equal(JSON.parse(offline.text).refresh_token, reg.refreshToken);
      const post = (form: Record<string, string>) =>
        fetch(reg.realm, { method: "POST", body: new URLSearchParams(form) });
      const res = await post({
        grant_type: "refresh_token",
        refresh_token: reg.refreshToken,
        service: reg.service,
        scope: "registry:catalog:*",
        client_id: "klaus-oci-test",
      });
      equal(res.status, 200);
      const { access_token } = await res.json();
      equal(
        (await get(`${reg.url}/v2/_catalog`, {
          authorization: `Bearer ${access_token}`,
        })).status,
        200,
      );
      const bad = await post({
        grant_type: "refresh_token",
        refresh_token: "nope",
      });
      await bad.body?.cancel();
      equal(bad.status, 401);
    }),
});

for (const mode of ["open", "basic", "token"] as const) {
  Deno.test({
    name: `harness: skopeo inspects seeded images and artifacts (${mode})`,
    ignore,
    fn: () =>
      withRegistry(mode, async (reg) => {
        const idx = await seedIndex(reg, "toolchains/go", ["v1.0.0"], {
          "io.giantswarm.klaus.name": "go",
        });
        const info = await inspect(reg.ref("toolchains/go", "v1.0.0"), {
          registry: reg,
        });
        equal(info.Digest, idx.digest);
        equal(info.Architecture, "amd64");
        const raw = await inspectRaw(reg.ref("toolchains/go", "v1.0.0"), {
          registry: reg,
        });
        deepStrictEqual(raw, idx.bytes);
        deepStrictEqual(
          JSON.parse(new TextDecoder().decode(raw)).annotations,
          { "io.giantswarm.klaus.name": "go" },
        );

        const art = await seedArtifact(reg, "plugins/a", ["v1"], {
          configMediaType:
            "application/vnd.giantswarm.klaus-plugin.config.v1+json",
          configJson: { name: "a" },
          layerMediaType:
            "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
          annotations: { "io.giantswarm.klaus.name": "a" },
        });
        deepStrictEqual(
          await inspectRaw(reg.ref("plugins/a", art.digest), { registry: reg }),
          art.bytes,
        );
        deepStrictEqual(
          await inspectConfigRaw(reg.ref("plugins/a", "v1"), { registry: reg }),
          new TextEncoder().encode('{"name":"a"}'),
        );

        // The Docker config the handle writes works for an independent client.
        const dir = await Deno.makeTempDir();
        try {
          const authFile = await reg.writeDockerConfig(dir);
          deepStrictEqual(
            await inspectRaw(reg.ref("plugins/a", "v1"), {
              registry: reg,
              authFile,
            }),
            art.bytes,
          );
          deepStrictEqual(
            JSON.parse(atob(reg.dockerConfigBase64())),
            reg.dockerConfig(),
          );
          if (mode === "token") {
            // containers/image uses the identity token via grant_type=refresh_token.
            const idFile = await reg.writeDockerConfig(dir, {
              identityToken: true,
            });
            const n = reg.tokenLog.length;
            deepStrictEqual(
              await inspectRaw(reg.ref("plugins/a", "v1"), {
                registry: reg,
                authFile: idFile,
              }),
              art.bytes,
            );
            ok(
              reg.tokenLog.slice(n).some((r) =>
                r.grantType === "refresh_token" && r.status === 200
              ),
            );
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }),
  });
}

Deno.test({
  name: "harness: a registry taken down and up again keeps its port and data",
  ignore,
  fn: () =>
    withRegistry("basic", async (reg) => {
      const m = await seedArtifact(reg, "plugins/a", ["v1"]);
      const host = reg.host;
      await reg.down();
      equal(reg.running, false);
      await rejects(fetch(`${reg.url}/v2/`));
      await reg.up();
      equal(reg.host, host);
      deepStrictEqual(
        await inspectRaw(reg.ref("plugins/a", "v1"), { registry: reg }),
        m.bytes,
      );
      await reg.restart();
      deepStrictEqual(
        await inspectRaw(reg.ref("plugins/a", "v1"), { registry: reg }),
        m.bytes,
      );
      const dir = reg.dir;
      await reg.stop();
      await rejects(Deno.stat(dir), Deno.errors.NotFound);
    }),
});

const ignorePeer = missingPeerRegistry() || missing("skopeo");

/** Processes of process group `pgid` that are not zombies, from /proc. */
async function liveInGroup(pgid: number): Promise<string[]> {
  const live: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat: string;
    try {
      stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") live.push(stat);
  }
  return live;
}

Deno.test({
  name:
    "harness: peer registry serves /v2/ with Basic auth, refuses wrong credentials, stops its whole process group",
  ignore: ignorePeer,
  async fn() {
    const peer = await startPeerRegistry();
    const { dir, pgid } = peer;
    try {
      match(peer.host, /^127\.0\.0\.1:\d+$/);
      equal(peer.url, `http://${peer.host}`);
      equal(peer.mode, "basic");
      ok(peer.running);
      ok(peer.startupMs > 0, `startup took ${peer.startupMs} ms`);
      ok(pgid > 0);
      ok((await liveInGroup(pgid)).length >= 2, "wrangler and workerd run");
      // Instances link the shared install instead of running npm ci.
      ok(Deno.lstatSync(`${dir}/app/node_modules`).isSymlink);

      const anon = await get(`${peer.url}/v2/`);
      equal(anon.status, 401);
      match(anon.headers.get("www-authenticate") ?? "", /^Basic realm=/);
      equal(
        (await get(`${peer.url}/v2/`, basic(peer.username, peer.password)))
          .status,
        200,
      );
      equal(
        (await get(`${peer.url}/v2/`, basic(peer.username, "wrong"))).status,
        401,
      );
      equal(
        (await get(`${peer.url}/v2/`, basic("someone-else", peer.password)))
          .status,
        401,
      );

      // skopeo, an independent client, pushes and reads with the handle's
      // credentials and its Docker config; a wrong password is refused.
      const m = await seedArtifact(peer, "plugins/a", ["v1"]);
      deepStrictEqual(
        await inspectRaw(peer.ref("plugins/a", "v1"), { registry: peer }),
        m.bytes,
      );
      const denied = await skopeo(
        ["inspect", "--raw", `docker://${peer.ref("plugins/a", "v1")}`],
        { registry: peer, creds: `${peer.username}:wrong` },
      );
      ok(denied.code !== 0, "skopeo with a wrong password must fail");
      const cfgDir = await Deno.makeTempDir();
      try {
        const authFile = await peer.writeDockerConfig(cfgDir);
        deepStrictEqual(
          await inspectRaw(peer.ref("plugins/a", "v1"), {
            registry: peer,
            authFile,
          }),
          m.bytes,
        );
        deepStrictEqual(
          JSON.parse(atob(peer.dockerConfigBase64())),
          peer.dockerConfig(),
        );
      } finally {
        await Deno.remove(cfgDir, { recursive: true });
      }

      // Down and up again: same port, R2 data kept.
      const host = peer.host;
      await peer.down();
      equal(peer.running, false);
      await rejects(fetch(`${peer.url}/v2/`));
      deepStrictEqual(await liveInGroup(pgid), []);
      await peer.up();
      equal(peer.host, host);
      deepStrictEqual(
        await inspectRaw(peer.ref("plugins/a", "v1"), { registry: peer }),
        m.bytes,
      );
    } finally {
      const last = peer.pgid;
      await peer.stop();
      deepStrictEqual(await liveInGroup(last), []);
    }
    await rejects(Deno.stat(dir), Deno.errors.NotFound);
  },
});

Deno.test({
  name:
    "harness: two peer registries start in parallel with one install and separate data",
  ignore: ignorePeer,
  async fn() {
    const [a, b] = await Promise.all([
      startPeerRegistry(),
      startPeerRegistry(),
    ]);
    try {
      ok(a.host !== b.host);
      // Each has an inspector of its own (two racing for 9229 left one
      // dev server that never answered), and it is the one listening.
      const [ia, ib] = [a, b].map((p) =>
        Number(
          /inspector_port = (\d+)/.exec(
            Deno.readTextFileSync(`${p.dir}/app/wrangler.toml`),
          )?.[1],
        )
      );
      ok(ia > 0 && ib > 0 && ia !== ib, `inspector ports ${ia}, ${ib}`);
      for (const port of [ia, ib]) {
        const res = await fetch(`http://127.0.0.1:${port}/json/version`);
        equal(res.status, 200);
        await res.body?.cancel();
      }
      equal(
        Deno.realPathSync(`${a.dir}/app/node_modules`),
        Deno.realPathSync(`${b.dir}/app/node_modules`),
      );
      await seedArtifact(a, "plugins/only-in-a", ["v1"]);
      const inB = await skopeo(
        ["inspect", "--raw", `docker://${b.ref("plugins/only-in-a", "v1")}`],
        { registry: b },
      );
      ok(inB.code !== 0, "b must not see what was pushed to a");
      // Each has its own credentials.
      equal(
        (await get(`${b.url}/v2/`, basic(a.username, a.password))).status,
        401,
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
});

/** A stand-in peer checkout whose start.sh runs `script` (no npm, no wrangler). */
async function fakePeer(dir: string, script: string): Promise<void> {
  await Deno.mkdir(`${dir}/src`, { recursive: true });
  await Deno.mkdir(`${dir}/install/node_modules`, { recursive: true });
  for (const f of ["index.ts", "package.json", "package-lock.json"]) {
    await Deno.writeTextFile(`${dir}/${f}`, "{}\n");
  }
  await Deno.writeTextFile(`${dir}/wrangler.toml`, "");
  await Deno.writeTextFile(
    `${dir}/start.sh`,
    `#!/usr/bin/env bash\n${script}\n`,
  );
}

Deno.test({
  name:
    "harness: a peer that never answers fails at its deadline, with its output, and leaves nothing behind",
  ignore: missing("setsid"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "klaus-fake-peer-" });
    try {
      await fakePeer(
        dir,
        [
          `echo "fake peer: booting on $1"`,
          `echo "fake peer: state $2"`,
          `echo "fake peer: group $(cut -d' ' -f5 /proc/$$/stat)"`,
          "sleep 120",
        ].join("\n"),
      );
      const t0 = performance.now();
      const e = await startPeerRegistry({
        peerDir: dir,
        installDir: `${dir}/install`,
        readyTimeoutMs: 1500,
      }).then(() => undefined, (e: Error) => e);
      ok(e instanceof Error, "startup must fail");
      ok(performance.now() - t0 < 15_000, "the deadline fired");
      match(e.message, /not ready after 1500 ms/);
      match(e.message, /fake peer: booting on \d+/);
      const state = /fake peer: state (\S+)/.exec(e.message)?.[1];
      ok(state, e.message);
      await rejects(Deno.stat(state), Deno.errors.NotFound);
      const group = Number(/fake peer: group (\d+)/.exec(e.message)?.[1]);
      ok(group > 0, e.message);
      deepStrictEqual(await liveInGroup(group), [], "the group was killed");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "harness: a peer that exits at startup fails at once, with its output",
  ignore: missing("setsid"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "klaus-fake-peer-" });
    try {
      await fakePeer(dir, `echo "fake peer: boom" >&2; exit 3`);
      const t0 = performance.now();
      const e = await startPeerRegistry({
        peerDir: dir,
        installDir: `${dir}/install`,
      }).then(() => undefined, (e: Error) => e);
      ok(e instanceof Error, "startup must fail");
      ok(performance.now() - t0 < 10_000, "no wait for the 60 s deadline");
      match(e.message, /did not start/);
      match(e.message, /fake peer: boom/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
