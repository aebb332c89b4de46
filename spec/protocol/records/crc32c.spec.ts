import { describe, expect, it } from 'vitest'
import { crc32c } from '../../../lib/protocol/records/crc32c.js'

/** Bit-at-a-time CRC-32C: slow, obviously right, the reference for the sliced version. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('crc32c', () => {
  it('matches the published check value and RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('agrees with a bitwise reference at every length and alignment around the fast paths', () => {
    const backing = Buffer.alloc(2048 + 8)
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 17) & 0xff
    for (const length of [1, 7, 15, 16, 17, 255, 256, 257, 1000, 2048]) {
      for (let shift = 0; shift < 4; shift++) {
        const view = backing.subarray(shift, shift + length)
        expect(crc32c(view)).toBe(referenceCrc32c(view))
      }
    }
  })

  it('honours start and end, and resumes from a previous value', () => {
    const bytes = Buffer.from('the quick brown fox jumps over the lazy dog, again and again and again')
    expect(crc32c(bytes, 4, 20)).toBe(referenceCrc32c(bytes.subarray(4, 20)))
    const whole = crc32c(bytes)
    expect(crc32c(bytes, 13, bytes.length, crc32c(bytes, 0, 13))).toBe(whole)
    const big = Buffer.alloc(5000, 9)
    expect(crc32c(big, 1234, big.length, crc32c(big, 0, 1234))).toBe(crc32c(big))
  })
})
