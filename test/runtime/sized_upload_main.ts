/**
 * Uploads through `RegistryStore` in whatever runtime runs this file (Node
 * 22, a Node 20 bundle, Bun) to the registry at `argv[2]` — a length-
 * requiring fake started by `sized_upload_test.ts` — the three ways bytes
 * in memory go up: chunked `PATCH`es of a stream (one cut short midway and
 * resumed), one `PUT` of a stream that fits a chunk, a monolithic `PUT` of
 * bytes. Prints one JSON line: the runtime and each upload's digest.
 *
 * @module
 */
import process from "node:process";
import { RegistryStore } from "../../src/registry/registry_store.ts";
import { sizedBody } from "../../src/registry/sized_body.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { streamOf } from "../archive/raw_tar.ts";

/** What the script prints. */
export interface SizedUploadReport {
  runtime: "node" | "bun";
  /** Whether bodies went as streams with a length (the runtime allows it). */
  streams: boolean;
  chunked: string;
  onePut: string;
  monolithic: string;
}

/** Deterministic bytes. */
export function pattern(n: number, seed: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 31 + seed) % 251);
}

async function main(): Promise<void> {
  const host = process.argv[2];
  const repo = { registry: host, repository: "org/sized" };
  const store = (chunkSize: number) =>
    new RegistryStore({
      plainHttp: true,
      credentials: () => Promise.resolve(undefined),
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      chunkSize,
      env: {},
    });
  const chunked = await store(32 * 1024).pushBlobStream(
    repo,
    streamOf(pattern(100_000, 7), 4096),
  );
  const onePut = await store(64 * 1024).pushBlobStream(
    repo,
    streamOf(pattern(9_000, 11), 1000),
  );
  const bytes = pattern(50_000, 13);
  const monolithic = { mediaType: "x", digest: digestOf(bytes), size: 50_000 };
  await store(32 * 1024).pushBlob(repo, monolithic, bytes);
  const bun = (globalThis as { Bun?: unknown }).Bun !== undefined;
  const report: SizedUploadReport = {
    runtime: bun ? "bun" : "node",
    streams: typeof sizedBody(new Uint8Array(1)).body === "function",
    chunked: chunked.digest,
    onePut: onePut.digest,
    monolithic: monolithic.digest,
  };
  console.log(JSON.stringify(report));
}

const entry = process.argv[1] ?? "";
if (/sized_upload_main(\.bundle)?\.(ts|mjs)$/.test(entry)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
