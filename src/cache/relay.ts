/**
 * A pull-driven pass-through stream with hooks, used to write content into
 * the cache while it flows to the caller (at the caller's pace — no tee
 * buffering) and to react to how the stream ended.
 *
 * @module
 */

/** What {@linkcode relay} calls; each hook must not throw. */
export interface RelayHooks {
  /** Before a chunk is handed on. */
  chunk?(chunk: Uint8Array): Promise<void> | void;
  /** After the source ended normally, before the caller sees the end. */
  end?(): Promise<void> | void;
  /** After the source failed, before the caller sees the error. */
  error?(error: unknown): Promise<void> | void;
  /** After the caller cancelled. */
  cancel?(reason: unknown): Promise<void> | void;
}

/** `source`, relayed chunk by chunk through `hooks`. */
export function relay(
  source: ReadableStream<Uint8Array>,
  hooks: RelayHooks,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result;
      try {
        result = await reader.read();
      } catch (e) {
        await hooks.error?.(e);
        controller.error(e);
        return;
      }
      if (result.done) {
        await hooks.end?.();
        controller.close();
        return;
      }
      await hooks.chunk?.(result.value);
      controller.enqueue(result.value);
    },
    async cancel(reason) {
      await hooks.cancel?.(reason);
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

export { bytesStream } from "../_bytes.ts";
