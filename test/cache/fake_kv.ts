/**
 * An in-memory stand-in for a Workers KV namespace that enforces the
 * limits the backend must respect
 * (https://developers.cloudflare.com/kv/platform/limits/): key ≤ 512
 * bytes, value ≤ 25 MiB, metadata ≤ 1024 bytes, one write per second per
 * key (a real namespace answers 429 then). Real workerd KV tests come with the edge API.
 */
import type { KvNamespaceLike } from "../../src/cache/mod.ts";

const utf8 = (s: string) => new TextEncoder().encode(s).byteLength;

export class FakeKv implements KvNamespaceLike {
  data = new Map<
    string,
    { value: string | Uint8Array; metadata: unknown; expirationTtl?: number }
  >();
  puts = 0;
  deletes = 0;
  reads = 0;
  /** Writes refused for breaking the 1 write/s/key rule. */
  rateViolations = 0;
  #lastWrite = new Map<string, number>();
  #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #rate(key: string): void {
    const last = this.#lastWrite.get(key);
    const t = this.#now();
    if (last !== undefined && t - last < 1000) {
      this.rateViolations++;
      throw new Error(`KV PUT failed: 429 Too Many Requests (${key})`);
    }
    this.#lastWrite.set(key, t);
  }

  get(key: string, options: { type: "text" }): Promise<string | null>;
  get(
    key: string,
    options: { type: "arrayBuffer" },
  ): Promise<ArrayBuffer | null>;
  get(
    key: string,
    options: { type: "text" | "arrayBuffer" },
  ): Promise<string | ArrayBuffer | null> {
    this.reads++;
    const e = this.data.get(key);
    if (!e) return Promise.resolve(null);
    if (options.type === "text") {
      return Promise.resolve(
        typeof e.value === "string"
          ? e.value
          : new TextDecoder().decode(e.value),
      );
    }
    const bytes = typeof e.value === "string"
      ? new TextEncoder().encode(e.value)
      : e.value.slice();
    return Promise.resolve(bytes.buffer as ArrayBuffer);
  }

  async getWithMetadata(
    key: string,
    _options: { type: "text" },
  ): Promise<{ value: string | null; metadata: unknown }> {
    const value = await this.get(key, { type: "text" });
    const e = this.data.get(key);
    return {
      value,
      metadata: e ? structuredClone(e.metadata ?? null) : null,
    };
  }

  put(
    key: string,
    value: string | ArrayBuffer | ArrayBufferView,
    options: { metadata?: unknown; expirationTtl?: number } = {},
  ): Promise<void> {
    if (utf8(key) > 512) throw new Error(`KV key too long: ${key}`);
    const meta = options.metadata === undefined
      ? undefined
      : JSON.stringify(options.metadata);
    if (meta !== undefined && utf8(meta) > 1024) {
      throw new Error(`KV metadata too large: ${utf8(meta)} bytes`);
    }
    if (options.expirationTtl !== undefined && options.expirationTtl < 60) {
      throw new Error(`KV expirationTtl below 60: ${options.expirationTtl}`);
    }
    const stored = typeof value === "string"
      ? value
      : value instanceof ArrayBuffer
      ? new Uint8Array(value.slice(0))
      : new Uint8Array(
        value.buffer.slice(
          value.byteOffset,
          value.byteOffset + value.byteLength,
        ),
      );
    const size = typeof stored === "string" ? utf8(stored) : stored.byteLength;
    if (size > 25 * 1024 * 1024) throw new Error("KV value too large");
    this.#rate(key);
    this.puts++;
    this.data.set(key, {
      value: stored,
      metadata: meta === undefined ? null : JSON.parse(meta),
      expirationTtl: options.expirationTtl,
    });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.#rate(key);
    this.deletes++;
    this.data.delete(key);
    return Promise.resolve();
  }
}
