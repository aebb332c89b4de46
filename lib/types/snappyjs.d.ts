// snappyjs ships no types. Only the two functions rxkafka calls are declared.
declare module 'snappyjs' {
  /** Compresses raw snappy (no framing). Returns the same kind of array it was given. */
  export function compress(input: Uint8Array): Uint8Array
  /**
   * Decompresses raw snappy. Throws a plain Error on a malformed stream or when the
   * stream's declared length exceeds `maxLength`.
   */
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
