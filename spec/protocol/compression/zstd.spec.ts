/**
 * zstd decompression on every supported Node: node:zlib where it has zstd,
 * fzstd behind our frame checks where it has not (Node 20). The fixtures were
 * written by node:zlib on Node 24 and by the reference zstd tool
 * (spec/fixtures/records/make-zstd-fixtures.ts), so on Node 20 this decodes
 * what other implementations wrote. The JS path is also run directly, so it is
 * covered on Node 24 too.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CompressionError, DecompressedSizeExceededError, getCodec, zstdCodec } from '../../../lib/protocol/compression/index.js'
import { decompressZstdJs } from '../../../lib/protocol/compression/zstd.js'
import { windowDescriptorFor, zstdFrames } from '../../../lib/protocol/compression/zstd-frames.js'
import { decodeRecordBatches } from '../../../lib/protocol/records/index.js'
import { FIXTURE_RECORDS, fixtureInput, type FIXTURE_INPUTS } from '../../fixtures/records/zstd-fixture-inputs.js'

interface Fixtures {
  frames: { name: string; inputName: (typeof FIXTURE_INPUTS)[number]; inputBytes: number; inputSha256: string; base64: string }[]
  recordBatchBase64: string
}
const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/records/zstd-fixtures.json', import.meta.url), 'utf8')) as Fixtures
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const decoders = [
  ['the registered zstd codec', (b: Uint8Array, max: number) => getCodec(4).decompress(b, max)],
  ['the JavaScript path', decompressZstdJs],
] as const

/** A frame header without content size: descriptor 0 (no checksum), window descriptor `window`. */
function frameHeader(window: number): number[] {
  return [0x28, 0xb5, 0x2f, 0xfd, 0x00, window]
}
/** An RLE block header: `size` copies of the next byte. */
function rleBlock(size: number, last: boolean, byte = 0x61): number[] {
  const header = (size << 3) | (1 << 1) | (last ? 1 : 0)
  return [header & 0xff, (header >>> 8) & 0xff, header >>> 16, byte]
}

describe('zstd written elsewhere decodes to its input', () => {
  for (const [decoderName, decode] of decoders) {
    for (const fixture of fixtures.frames) {
      it(`${decoderName}: ${fixture.name}`, () => {
        const out = decode(Buffer.from(fixture.base64, 'base64'), fixture.inputBytes)
        expect(out.length).toBe(fixture.inputBytes)
        expect(sha256(out)).toBe(fixture.inputSha256)
        expect(out.equals(fixtureInput(fixture.inputName))).toBe(true)
      })
    }
  }

  it('a RecordBatch v2 sealed with zstd on Node 24 decodes to its records here', () => {
    const { batches, truncated } = decodeRecordBatches(Buffer.from(fixtures.recordBatchBase64, 'base64'), { topic: 'fixture', partition: 0 })
    expect(truncated).toBe(false)
    expect(batches).toHaveLength(1)
    expect(batches[0]!.compression).toBe(4)
    const records = batches[0]!.records()
    expect(records.map((r) => r.offset)).toEqual(FIXTURE_RECORDS.map((_, i) => BigInt(i)))
    expect(records.map((r) => [r.key?.toString(), r.value?.toString() ?? null, r.timestamp])).toEqual(
      FIXTURE_RECORDS.map((r) => [r.key, r.value, r.timestamp]),
    )
    expect(records.map((r) => r.headers.map((h) => [h.key, h.value?.toString()]))).toEqual(
      FIXTURE_RECORDS.map((r) => (r.headers ?? []).map((h) => [h.key, h.value])),
    )
  })
})

describe('zstd decompression is bounded', () => {
  const exact = fixtures.frames.find((f) => f.inputName === 'mixed 300 KiB' && f.name.includes('-3 --no-content-size'))!
  const declared = fixtures.frames.find((f) => f.inputName === 'mixed 300 KiB' && f.name.includes('node:zlib'))!

  for (const [decoderName, decode] of decoders) {
    it(`${decoderName}: the limit is the output size, one byte less fails`, () => {
      for (const fixture of [exact, declared]) {
        const bytes = Buffer.from(fixture.base64, 'base64')
        expect(decode(bytes, fixture.inputBytes).length).toBe(fixture.inputBytes)
        expect(() => decode(bytes, fixture.inputBytes - 1)).toThrow(DecompressedSizeExceededError)
      }
    })

    it(`${decoderName}: a 2 GiB bomb in 64 KiB (RLE blocks, no declared size) stops at the limit`, () => {
      const blocks = 16_384
      const bomb: number[] = frameHeader(0x38) // 2^17 = 128 KiB window
      for (let i = 0; i < blocks; i++) bomb.push(...rleBlock(128 * 1024, i === blocks - 1))
      expect(() => decode(Buffer.from(bomb), 1 << 20)).toThrow(DecompressedSizeExceededError)
    })
  }

  it('a header declaring 1 TiB of content is refused before anything is allocated', () => {
    // descriptor 0xc0: 8-byte content size, window descriptor follows
    const header = [0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x38, 0, 0, 0, 0, 0, 1, 0, 0, ...rleBlock(1, true)]
    expect(() => zstdFrames(Buffer.from(header), 64 << 20)).toThrow(DecompressedSizeExceededError)
    expect(() => decompressZstdJs(Buffer.from(header), 64 << 20)).toThrow(DecompressedSizeExceededError)
  })

  it('a frame asking for a 2 TiB window decodes within the limit (the window is capped, not allocated)', () => {
    const bytes = Buffer.from([...frameHeader(0xf8), ...rleBlock(10, true)]) // exponent 31: a 2 TiB window
    expect(zstdFrames(bytes, 1 << 20)[0]!.windowSize).toBe(2 ** 41)
    expect(decompressZstdJs(bytes, 1 << 20).toString()).toBe('a'.repeat(10))
  })

  it('windowDescriptorFor gives the smallest window at least as large', () => {
    expect(windowDescriptorFor(1)).toBe(0)
    expect(windowDescriptorFor(1024)).toBe(0)
    expect(windowDescriptorFor(1025)).toBe(1) // 1 KiB + 128
    expect(windowDescriptorFor(2 * 1024 * 1024)).toBe(11 << 3)
    expect(windowDescriptorFor(2 * 1024 * 1024 + 1)).toBe((11 << 3) | 1)
  })
})

describe('malformed zstd is a CompressionError', () => {
  const good = Buffer.from(fixtures.frames.find((f) => f.inputName === 'text')!.base64, 'base64')
  const cases: [string, Buffer][] = [
    ['not zstd at all', Buffer.from('not zstd at all')],
    ['empty input', Buffer.alloc(0)],
    ['truncated frame', good.subarray(0, good.length - 10)],
    ['truncated header', good.subarray(0, 5)],
    ['trailing garbage', Buffer.concat([good, Buffer.from('xyz!')])],
    ['reserved block type', Buffer.from([...frameHeader(0x38), 0x07, 0, 0])],
    ['dictionary frame', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x38, 0x05, ...rleBlock(1, true)])],
  ]
  for (const [decoderName, decode] of decoders) {
    for (const [name, bytes] of cases) {
      it(`${decoderName}: ${name}`, () => {
        expect(() => decode(bytes, 1 << 20)).toThrow(CompressionError)
      })
    }
    it(`${decoderName}: corrupt block contents`, () => {
      const corrupt = Buffer.from(good)
      for (let i = 20; i < corrupt.length - 8; i += 7) corrupt[i] ^= 0x5a
      expect(() => decode(corrupt, 1 << 20)).toThrow(CompressionError)
    })
  }

  it('compressing needs node:zlib zstd; the error says decompression works', () => {
    if (typeof (zstdCodec as { compress: unknown }).compress !== 'function') return
    try {
      const packed = zstdCodec.compress(Buffer.from('x'))
      expect(zstdCodec.decompress(packed, 1).toString()).toBe('x')
    } catch (error) {
      expect((error as Error).message).toMatch(/Node >= 22\.15.*decompression works here/)
    }
  })
})
