/**
 * Bounded insertion-ordered maps (internal, not exported from `mod.ts`).
 *
 * @module
 */

/**
 * Sets `key` in `map` as its newest entry (a key set again moves to the
 * end), then drops the oldest entries beyond `cap`.
 */
export function setBounded<K, V>(
  map: Map<K, V>,
  key: K,
  value: V,
  cap: number,
): void {
  map.delete(key);
  map.set(key, value);
  for (const old of map.keys()) {
    if (map.size <= cap) break;
    map.delete(old);
  }
}
