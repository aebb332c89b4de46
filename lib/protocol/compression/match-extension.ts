/**
 * Extending a found match and copying literals, shared by the lz4 and snappy block compressors
 * (both greedy, both confirm a candidate by its first four bytes).
 */

/**
 * The compressors' literals: up to this many bytes a JS loop beats subarray +
 * set, whose view object also feeds the GC (in-process A/B over 512 KiB batches
 * of the bench's values: 64 was 8-20% faster than 16, 256 no better than 64).
 */
export const SHORT_LITERAL_COPY = 64

/**
 * Where the match between `src[at...]` and the earlier `src[reference...]` ends,
 * scanning no further than `limit` (exclusive): four bytes at a time through
 * `view` (a little-endian DataView over `src`), the last few byte by byte.
 *
 * @example
 * ```ts
 * const matchEnd = forwardMatchEnd(src, view, ip + 4, candidate + 4, end - 5)
 * ```
 */
export function forwardMatchEnd(src: Uint8Array, view: DataView, at: number, reference: number, limit: number): number {
  const wordLimit = limit - 4
  while (at <= wordLimit) {
    const mismatch = view.getInt32(at, true) ^ view.getInt32(reference, true)
    // The lowest differing byte ends the match (little-endian: the lowest set bit).
    if (mismatch !== 0) return at + ((31 - Math.clz32(mismatch & -mismatch)) >>> 3)
    at += 4
    reference += 4
  }
  while (at < limit && src[at] === src[reference]) {
    at++
    reference++
  }
  return at
}

/**
 * How many bytes the match of `src[at...]` with the earlier `src[reference...]`
 * also covers backwards: not past `anchor` (the first byte not yet emitted) nor
 * before `start` (the block's first byte, for the reference).
 *
 * @example
 * ```ts
 * const back = backwardMatchLength(src, ip, candidate, anchor, start) // the match starts at ip - back
 * ```
 */
export function backwardMatchLength(src: Uint8Array, at: number, reference: number, anchor: number, start: number): number {
  let length = 0
  while (at - length > anchor && reference - length > start && src[at - length - 1] === src[reference - length - 1]) length++
  return length
}
