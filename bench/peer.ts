/**
 * Pull and push on the second registry implementation,
 * cloudflare/serverless-registry (a Worker on R2 under `wrangler dev
 * --local`, Basic auth), started with `startPeerRegistry()` from the test
 * harness: the same alternating runs as on distribution (`transfer.ts`),
 * ours against skopeo and the composed workflow, on the same corpora, and
 * the KiB-scale trees through the command line (`cli.ts`). Our processes
 * get the credentials through `DOCKER_CONFIG` (a config written by the
 * handle's helper), skopeo through `--src-creds`/`--dest-creds`; the
 * handle's port is a relay that drops TLS handshakes, so skopeo falls back
 * to http at once.
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
import type { CliResult, CliSkipped, CliTool } from "./cli.ts";
import { measureCli } from "./cli.ts";
import type { Corpus, KibTree } from "./corpora.ts";
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
    /** Pull/push (and upload) per corpus; `pack` is empty (see distribution). */
    transfers: SizeResult[];
    /** The KiB-scale trees through the command line. */
    cli: CliResult | CliSkipped;
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
 * Starts the peer, measures the KiB-scale trees through the command line
 * (when `cli` is given) and pull/push/upload of each corpus `runs` times
 * (after a warm-up round), stops it.
 *
 * @example
 * ```ts ignore
 * const r = await measurePeer(root, [corpus], 3, true, console.error);
 * if (!r.measured) console.error(r.reason);
 * ```
 */
export async function measurePeer(
  root: string,
  corpora: Corpus[],
  runs: number,
  warmup: boolean,
  log: (msg: string) => void,
  cli?: { trees: KibTree[]; tools: CliTool[]; runs: number },
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
    // The command line first: its `list` reads the catalog, which should
    // hold the KiB-scale trees only.
    let cliResult: CliResult | CliSkipped = {
      measured: false,
      reason: "skipped on request",
    };
    if (cli) {
      log("  peer: KiB-scale trees through the command line");
      try {
        cliResult = await measureCli(
          peer,
          root,
          cli.trees,
          cli.tools,
          cli.runs,
          log,
          { auth, name: "peer" },
        );
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        cliResult = { measured: false, reason: msg.slice(0, 2000) };
        log(`!!! peer KiB-scale CLI NOT MEASURED: ${msg}`);
      }
    }
    const transfers: SizeResult[] = [];
    for (const corpus of corpora) {
      transfers.push(
        await measureTransfer(peer, root, corpus, runs, warmup, log, {
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
      cli: cliResult,
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
