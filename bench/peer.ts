/**
 * Pull and push on the second registry implementation,
 * cloudflare/serverless-registry (a Worker on R2 under `wrangler dev
 * --local`, Basic auth), started with `startPeerRegistry()` from the test
 * harness: the same alternating runs as on distribution (`transfer.ts`),
 * ours against skopeo, on the same data. Our processes get the credentials
 * through `DOCKER_CONFIG` (a config written by the handle's helper), skopeo
 * through `--src-creds`/`--dest-creds`; the handle's port is a relay that
 * drops TLS handshakes, so skopeo falls back to http at once.
 *
 * When the peer is not there or fails, the result says why and the report
 * says so loudly: it is never left out silently.
 *
 * @module
 */
import { join } from "node:path";
import {
  missingPeerRegistry,
  peerRegistryDir,
  startPeerRegistry,
} from "../test/harness/peer_registry.ts";
import type { BenchPlugin } from "./data.ts";
import type { BenchAuth } from "./procs.ts";
import { measureTransfer, type SizeResult } from "./transfer.ts";

/** What {@linkcode measurePeer} produced. */
export type PeerResult =
  | {
    measured: true;
    /** What ran: implementation, commit, wrangler version. */
    label: string;
    /** How long the peer took to answer `/v2/` (ms). */
    startupMs: number;
    /** Kept runs per median. */
    runs: number;
    /** Pull/push (and upload) per size; `pack` is empty (see distribution). */
    transfers: SizeResult[];
  }
  | {
    measured: false;
    /** Why not. */
    reason: string;
  };

/** `cloudflare/serverless-registry (commit …), wrangler …`. */
function describePeer(dir: string): string {
  try {
    const pkg = JSON.parse(Deno.readTextFileSync(join(dir, "package.json")));
    const commit = /commit ([0-9a-f]{7,40})/.exec(pkg.description ?? "")?.[1];
    const wrangler = pkg.devDependencies?.wrangler;
    return `cloudflare/serverless-registry${
      commit ? ` (commit ${commit})` : ""
    } under \`wrangler${wrangler ? ` ${wrangler}` : ""} dev --local\`` +
      ` (local R2), Basic auth`;
  } catch {
    return "cloudflare/serverless-registry under `wrangler dev --local`";
  }
}

/**
 * Why the peer cannot run here, or `undefined` when it can. Unlike the
 * test suite, the benchmark does not throw in CI: it reports.
 */
function peerMissing(): string | undefined {
  try {
    if (!missingPeerRegistry()) return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return `the peer registry checkout or its tools are missing (looked in ` +
    `${peerRegistryDir()}; set KLAUS_OCI_PEER_REGISTRY, install Node ≥ 20 ` +
    `with npm, bash and setsid)`;
}

/**
 * Starts the peer, measures pull/push/upload of each plugin `runs` times
 * (after a warm-up round), stops it.
 *
 * @example
 * ```ts ignore
 * const r = await measurePeer(root, [plugin], 3, console.error);
 * if (!r.measured) console.error(r.reason);
 * ```
 */
export async function measurePeer(
  root: string,
  plugins: BenchPlugin[],
  runs: number,
  warmup: boolean,
  log: (msg: string) => void,
): Promise<PeerResult> {
  const missing = peerMissing();
  if (missing) {
    log(`!!! peer registry NOT MEASURED: ${missing}`);
    return { measured: false, reason: missing };
  }
  let peer;
  try {
    peer = await startPeerRegistry();
  } catch (e) {
    const reason = `the peer registry did not start: ${
      (e instanceof Error ? e.message : String(e)).slice(0, 2000)
    }`;
    log(`!!! peer registry NOT MEASURED: ${reason}`);
    return { measured: false, reason };
  }
  try {
    const dockerConfigDir = join(root, "peer-docker-config");
    await Deno.mkdir(dockerConfigDir, { recursive: true });
    await peer.writeDockerConfig(dockerConfigDir);
    const auth: BenchAuth = {
      username: peer.username,
      password: peer.password,
      dockerConfigDir,
    };
    const transfers: SizeResult[] = [];
    for (const plugin of plugins) {
      transfers.push(
        await measureTransfer(peer, root, plugin, runs, warmup, log, {
          auth,
          pack: false,
          name: "peer",
        }),
      );
    }
    return {
      measured: true,
      label: describePeer(peer.peerDir),
      startupMs: peer.startupMs,
      runs,
      transfers,
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const reason = `a measurement on the peer registry failed: ${
      msg.slice(0, 2000)
    }\n\npeer output (tail):\n${peer.logs().slice(-2000)}`;
    log(`!!! peer registry NOT MEASURED: ${reason}`);
    return { measured: false, reason };
  } finally {
    await peer.stop();
  }
}
