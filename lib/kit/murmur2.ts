/**
 * The hash the Java client's default partitioner uses for keyed records, so a
 * key lands on the same partition whichever client wrote it.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/**
 * MurmurHash2 (32-bit, seed 0x9747b28c) of `data`, as a signed int32, exactly
 * as `org.apache.kafka.common.utils.Utils.murmur2` computes it (little-endian
 * 4-byte blocks, tail bytes mixed in the order 2, 1, 0).
 *
 * @example
 * ```ts
 * import { murmur2 } from 'rxkafka'
 * murmur2(Buffer.from('12345')) // -1188365604, as Java computes it
 * ```
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const blocks = length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // Java's switch falls through 3 -> 2 -> 1; the same as ifs.
  const tail = length & 3
  if (tail === 3) h ^= data[blocks + 2]! << 16
  if (tail >= 2) h ^= data[blocks + 1]! << 8
  if (tail >= 1) {
    h ^= data[blocks]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/**
 * Java's `Utils.toPositive`: clears the sign bit. Not `Math.abs`, which
 * would map a different set of keys to each partition (and keep
 * -2^31 negative).
 *
 * @example
 * ```ts
 * toPositive(-1188365604) // 959118044
 * ```
 */
export function toPositive(value: number): number {
  return value & 0x7fffffff
}

/**
 * The partition the Java client's default partitioner picks for a key:
 * `toPositive(murmur2(key)) % partitions`.
 *
 * @example
 * ```ts
 * import { murmur2Partition } from 'rxkafka'
 * murmur2Partition(Buffer.from('customer-42'), 12)
 * ```
 */
export function murmur2Partition(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions
}
