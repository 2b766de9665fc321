/** The backends every policy test runs against. */
import {
  type CacheBackend,
  FsCacheBackend,
  KvCacheBackend,
  MemoryCacheBackend,
} from "../../src/cache/mod.ts";
import type { Clock } from "./fake_store.ts";
import { FakeKv } from "./fake_kv.ts";

export interface BackendUnderTest {
  backend: CacheBackend;
  /** The directory of the fs backend. */
  dir?: string;
  /** The namespace of the kv backend. */
  kv?: FakeKv;
  dispose(): Promise<void>;
}

export interface BackendCase {
  name: "memory" | "fs" | "kv";
  /** Whether layers (tar+gzip) are kept. */
  keepsLayers: boolean;
  make(clock: Clock): Promise<BackendUnderTest>;
}

export const BACKENDS: BackendCase[] = [
  {
    name: "memory",
    keepsLayers: true,
    make: () =>
      Promise.resolve({
        backend: new MemoryCacheBackend(),
        dispose: () => Promise.resolve(),
      }),
  },
  {
    name: "fs",
    keepsLayers: true,
    make: async (clock) => {
      const dir = await Deno.makeTempDir({ prefix: "klaus-cache-test-" });
      return {
        backend: new FsCacheBackend(dir, { now: clock.now }),
        dir,
        dispose: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "kv",
    keepsLayers: false,
    make: (clock) => {
      const kv = new FakeKv(clock.now);
      return Promise.resolve({
        backend: new KvCacheBackend(kv, { now: clock.now }),
        kv,
        dispose: () => Promise.resolve(),
      });
    },
  },
];
