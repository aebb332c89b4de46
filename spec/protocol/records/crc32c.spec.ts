import { describe, expect, it } from 'vitest'
import { requireIfPresent } from '../../../lib/kit/require-if-present.js'
import { crc32c, crc32cImplementation, crc32cPortable } from '../../../lib/protocol/records/crc32c.js'

/** Bit-at-a-time CRC-32C: slow, obviously right, the reference for the sliced version. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

type Crc32c = (bytes: Uint8Array, start?: number, end?: number, initial?: number) => number

const nativeLibrary = requireIfPresent<{ crc32c(input: Uint8Array, initialState?: number): number }>('@node-rs/crc32')

/** Every path a checksum can take: the dispatching function, the portable code alone, and the native library alone. */
const implementations: Record<string, Crc32c> = {
  crc32c,
  crc32cPortable,
  '@node-rs/crc32': (bytes, start = 0, end = bytes.length, initial = 0) => nativeLibrary!.crc32c(bytes.subarray(start, end), initial),
}

describe('crc32c', () => {
  it('uses @node-rs/crc32 for long inputs: it is an optional dependency, installed here', () => {
    expect(nativeLibrary).toBeDefined()
    expect(crc32cImplementation()).toBe('native')
  })

  describe.each(Object.entries(implementations))('%s', (_name, checksum) => {
    it('matches the published check value and RFC 3720 vectors', () => {
      expect(checksum(Buffer.from('123456789'))).toBe(0xe3069283)
      expect(checksum(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
      expect(checksum(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
      expect(checksum(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e)
      expect(checksum(new Uint8Array(0))).toBe(0)
    })

    it('agrees with a bitwise reference at every length and alignment around the fast paths and the native threshold', () => {
      const backing = Buffer.alloc(20_000 + 8)
      for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 17) & 0xff
      for (const length of [1, 7, 15, 16, 17, 255, 256, 257, 1000, 2048, 16_384, 20_000]) {
        for (let shift = 0; shift < 4; shift++) {
          const view = backing.subarray(shift, shift + length)
          expect(checksum(view)).toBe(referenceCrc32c(view))
        }
      }
    })

    it('honours start and end, and resumes from a previous value', () => {
      const bytes = Buffer.from('the quick brown fox jumps over the lazy dog, again and again and again')
      expect(checksum(bytes, 4, 20)).toBe(referenceCrc32c(bytes.subarray(4, 20)))
      const whole = checksum(bytes)
      expect(checksum(bytes, 13, bytes.length, checksum(bytes, 0, 13))).toBe(whole)
      const big = Buffer.alloc(5000, 9)
      expect(checksum(big, 1234, big.length, checksum(big, 0, 1234))).toBe(referenceCrc32c(big))
      expect(checksum(big, 61, 4000)).toBe(referenceCrc32c(big.subarray(61, 4000)))
    })
  })
})
