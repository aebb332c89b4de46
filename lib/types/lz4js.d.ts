// lz4js ships no types. rxkafka uses only its xxHash32 (the LZ4 frame checksums).
declare module 'lz4js/xxh32.js' {
  /** xxHash32 of `src[index, index + length)` with `seed`; may come back signed: use `>>> 0`. */
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number
}
