// snappyjs ships no types. Only the two functions the specs call are declared (a dev dependency: the
// independent snappy implementation that checks ours).
declare module 'snappyjs' {
  /** Compresses raw snappy (no framing). Returns the same kind of array it was given. */
  export function compress(input: Uint8Array): Uint8Array
  /**
   * Decompresses raw snappy. Throws a plain Error on a malformed stream or when the
   * stream's declared length exceeds `maxLength`.
   */
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
