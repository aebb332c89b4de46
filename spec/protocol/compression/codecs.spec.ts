import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as zlib from 'node:zlib'
import { compress as rawSnappyCompress, uncompress as rawSnappyUncompress } from 'snappyjs'
import { hash as xxh32 } from 'lz4js/xxh32.js'
import { describe, expect, it } from 'vitest'
import {
  CodecUnavailableError,
  CompressionError,
  DecompressedSizeExceededError,
  LZ4_BLOCK_BYTES,
  XERIAL_BLOCK_BYTES,
  codecIdOf,
  getCodec,
  gzipCodec,
  lz4Codec,
  registerCodec,
  snappyCodec,
  zstdAvailable,
  zstdCodec,
  type CompressionCodec,
} from '../../../lib/protocol/compression/index.js'
import { compressSnappyBlock, snappyBlockBound, SNAPPY_MAX_BLOCK_BYTES } from '../../../lib/protocol/compression/snappy-block-compressor.js'
import { seededBytes, textOfLines } from '../../support/test-bytes.js'

const inputs: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'one byte': Buffer.from([42]),
  incompressible: seededBytes(1, 100_000),
  'highly compressible': Buffer.alloc(300_000, 'abcabcabc'),
  text: textOfLines(3000),
  'mixed, over 64 KiB': Buffer.concat([seededBytes(2, 70_000), Buffer.alloc(90_000, 7), textOfLines(500)]),
}

const builtIns: CompressionCodec[] = [getCodec(0), gzipCodec, snappyCodec, lz4Codec]

describe('codec round trips', () => {
  for (const codec of builtIns) {
    for (const [name, input] of Object.entries(inputs)) {
      it(`${codec.name}: ${name} (${input.length} bytes)`, () => {
        const packed = codec.compress(input)
        expect(Buffer.isBuffer(packed)).toBe(true)
        expect(codec.decompress(packed, input.length).equals(input)).toBe(true)
      })
    }
  }

  it('compresses what compresses', () => {
    const input = inputs['highly compressible']!
    for (const codec of [gzipCodec, snappyCodec, lz4Codec]) expect(codec.compress(input).length).toBeLessThan(input.length / 10)
  })

  it('looks codecs up by name and id, and rejects unknown ids', () => {
    expect(codecIdOf('lz4')).toBe(3)
    expect(codecIdOf(2)).toBe(2)
    expect(getCodec(1)).toBe(gzipCodec)
    expect(() => getCodec(6)).toThrow(CodecUnavailableError)
    expect(() => registerCodec({ ...gzipCodec, id: 8 })).toThrow(RangeError)
  })
})

describe('decompression bounds', () => {
  const input = Buffer.alloc(200_000, 'x')
  for (const codec of [getCodec(0), gzipCodec, snappyCodec, lz4Codec]) {
    it(`${codec.name} refuses to produce more than maxOutputBytes`, () => {
      const packed = codec.compress(input)
      const error = (() => {
        try {
          codec.decompress(packed, 100_000)
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(error).toBeInstanceOf(DecompressedSizeExceededError)
      expect((error as DecompressedSizeExceededError).maxOutputBytes).toBe(100_000)
      expect((error as Error).message).toContain('maxDecompressedBytes')
    })
  }
})

describe('snappy framing', () => {
  it('writes xerial framing as the Java client does: magic, version 1, compatible 1, 32 KiB blocks', () => {
    const input = textOfLines(2000) // ~110 KiB: four blocks
    const packed = snappyCodec.compress(input)
    expect([...packed.subarray(0, 8)]).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
    expect(packed.readInt32BE(8)).toBe(1)
    expect(packed.readInt32BE(12)).toBe(1)
    let pos = 16
    const blockSizes: number[] = []
    while (pos < packed.length) {
      const length = packed.readInt32BE(pos)
      // Each block is raw snappy whose varint preamble states the uncompressed size.
      const block = snappyCodec.decompress(packed.subarray(pos + 4, pos + 4 + length), XERIAL_BLOCK_BYTES)
      blockSizes.push(block.length)
      pos += 4 + length
    }
    expect(pos).toBe(packed.length)
    expect(blockSizes.length).toBe(Math.ceil(input.length / XERIAL_BLOCK_BYTES))
    expect(blockSizes.slice(0, -1).every(size => size === XERIAL_BLOCK_BYTES)).toBe(true)
  })

  describe('what the block compressor writes, snappyjs\'s decoder reads', () => {
    // snappyjs's raw-block decoder: an implementation independent of ours.
    function decodeXerialWithSnappyjs(packed: Buffer): Buffer {
      const blocks: Uint8Array[] = []
      for (let pos = 16; pos < packed.length; ) {
        const length = packed.readInt32BE(pos)
        blocks.push(rawSnappyUncompress(packed.subarray(pos + 4, pos + 4 + length)))
        pos += 4 + length
      }
      return Buffer.concat(blocks)
    }
    const cases: Record<string, Buffer> = {
      'one block of one byte (copies of 64, then 60 and the rest)': Buffer.alloc(XERIAL_BLOCK_BYTES, 0x61),
      'a repeat that runs to the end of the block': Buffer.concat([seededBytes(8, 1000), Buffer.alloc(200, 3)]),
      'short repeats at small and large offsets': Buffer.concat([seededBytes(9, 3000), seededBytes(9, 10), seededBytes(10, 5000), seededBytes(9, 40)]),
      'literals of every length class (60, 256, 64 Ki)': Buffer.concat([seededBytes(11, 59), Buffer.alloc(20), seededBytes(12, 255), Buffer.alloc(20), seededBytes(13, 30_000)]),
      'text over several blocks': textOfLines(3000),
      'every length around the search margin': Buffer.concat(Array.from({ length: 40 }, (_, n) => Buffer.alloc(n, n))),
    }
    for (const [name, input] of Object.entries(cases)) {
      it(`${name} (${input.length} bytes)`, () => {
        const packed = snappyCodec.compress(input)
        expect(decodeXerialWithSnappyjs(packed).equals(input)).toBe(true)
        expect(snappyCodec.decompress(packed, input.length).equals(input)).toBe(true)
      })
    }

    it('a whole 64 KiB block, compressible or not, through any byte offset', () => {
      for (const block of [Buffer.concat([Buffer.alloc(1), seededBytes(14, SNAPPY_MAX_BLOCK_BYTES)]), Buffer.concat([Buffer.alloc(3), textOfLines(2000)]).subarray(0, SNAPPY_MAX_BLOCK_BYTES + 3)]) {
        const input = block.subarray(block.length - SNAPPY_MAX_BLOCK_BYTES)
        const out = Buffer.alloc(snappyBlockBound(input.length))
        const end = compressSnappyBlock(input, new DataView(input.buffer, input.byteOffset, input.byteLength), 0, input.length, out, 0)
        expect(end).toBeLessThanOrEqual(out.length)
        expect(Buffer.from(rawSnappyUncompress(out.subarray(0, end))).equals(input)).toBe(true)
      }
    })

    it('leaves the headroom in front of the stream and writes the same stream after it', () => {
      const input = textOfLines(900)
      expect(snappyCodec.compressWithHeadroom!(input, 61).subarray(61).equals(snappyCodec.compress(input))).toBe(true)
    })
  })

  it('reads raw (unframed) snappy as librdkafka may write it', () => {
    const input = textOfLines(400)
    const raw = rawSnappyCompress(new Uint8Array(input))
    expect(snappyCodec.decompress(raw, input.length).equals(input)).toBe(true)
  })

  it('reads xerial streams with blocks of any size', () => {
    const input = Buffer.concat([textOfLines(300), seededBytes(3, 5000)])
    const cuts = [0, 1000, 1001, 20_000, input.length]
    const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])]
    for (let i = 0; i + 1 < cuts.length; i++) {
      const block = Buffer.from(rawSnappyCompress(new Uint8Array(input.subarray(cuts[i], cuts[i + 1]))))
      const length = Buffer.alloc(4)
      length.writeInt32BE(block.length)
      parts.push(length, block)
    }
    expect(snappyCodec.decompress(Buffer.concat(parts), input.length).equals(input)).toBe(true)
  })

  it('rejects a declared length the input cannot produce, before allocating it', () => {
    // varint 0xffffffff: a 4 GiB claim from six bytes.
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])
    expect(() => snappyCodec.decompress(claim, 2 ** 32)).toThrow(CompressionError)
  })

  it('rejects a copy that points before the start of the output', () => {
    const bad = Buffer.from([10, 0x01 | (2 << 2), 5]) // length 10, copy-1 with offset 5 at output position 0
    expect(() => snappyCodec.decompress(bad, 100)).toThrow(/points before the output/)
  })
})

describe('lz4 frames', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../fixtures/records/lz4-cli-frames.json', import.meta.url), 'utf8')) as Record<string, string | number>
  const cliInput = textOfLines(1500)

  it('regenerates the fixture input', () => {
    expect(cliInput.length).toBe(fixture.inputBytes)
  })

  for (const variant of ['independentBlocksWithContentChecksum', 'linkedBlocksBlockChecksumsContentSize', 'block256KiBNoContentChecksum']) {
    it(`reads what the reference lz4 tool wrote: ${variant}`, () => {
      const frame = Buffer.from(fixture[variant] as string, 'hex')
      expect(lz4Codec.decompress(frame, cliInput.length).equals(cliInput)).toBe(true)
    })
  }

  it('detects a corrupted block through its block checksum', () => {
    const frame = Buffer.from(fixture.linkedBlocksBlockChecksumsContentSize as string, 'hex')
    frame[40] = frame[40]! ^ 0x01
    expect(() => lz4Codec.decompress(frame, cliInput.length)).toThrow(CompressionError)
  })

  it('writes the frame Java can read: FLG 0x60, BD 0x40, correct header checksum, 64 KiB blocks, end mark', () => {
    const input = Buffer.concat([textOfLines(3000), seededBytes(4, 70_000)]) // > 64 KiB
    const frame = lz4Codec.compress(input)
    expect(frame.readUInt32LE(0)).toBe(0x184d2204)
    expect(frame[4]).toBe(0x60)
    expect(frame[5]).toBe(0x40)
    expect(frame[6]).toBe((xxh32(0, frame, 4, 2) >>> 8) & 0xff)
    let pos = 7
    let blocks = 0
    for (;;) {
      const word = frame.readUInt32LE(pos)
      pos += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      expect(size).toBeLessThanOrEqual(LZ4_BLOCK_BYTES)
      pos += size
      blocks++
    }
    expect(pos).toBe(frame.length)
    expect(blocks).toBe(Math.ceil(input.length / LZ4_BLOCK_BYTES))
  })

  describe('what the block compressor writes, another decoder reads', () => {
    // lz4js's frame decoder: an implementation independent of ours (it shares only the format spec).
    const lz4js = createRequire(import.meta.url)('lz4js') as { decompress(src: Uint8Array, maxSize?: number): Uint8Array }
    const oneBlockOfOneByte = Buffer.alloc(LZ4_BLOCK_BYTES, 0x61) // the longest match, offsets and positions up to 64 Ki - 1
    const repeatsAtTheBlockEnd = Buffer.concat([seededBytes(5, LZ4_BLOCK_BYTES - 40), Buffer.alloc(40, 9), seededBytes(6, 3)])
    const cases: Record<string, Buffer> = {
      'one block of one byte': oneBlockOfOneByte,
      'one block plus one byte': Buffer.concat([oneBlockOfOneByte, Buffer.from([1])]),
      'a repeat that runs into the last literals': repeatsAtTheBlockEnd,
      'text over several blocks': textOfLines(4000),
      'incompressible, then compressible': Buffer.concat([seededBytes(7, 70_000), textOfLines(800)]),
      'every length around the match limits': Buffer.concat(Array.from({ length: 40 }, (_, n) => Buffer.alloc(n, n))),
    }
    for (const [name, input] of Object.entries(cases)) {
      it(`${name} (${input.length} bytes)`, () => {
        const frame = lz4Codec.compress(input)
        expect(Buffer.from(lz4js.decompress(frame, input.length)).equals(input)).toBe(true)
        expect(lz4Codec.decompress(frame, input.length).equals(input)).toBe(true)
      })
    }

    it('reads its input through any byte offset (the four-byte reads are unaligned)', () => {
      const backing = Buffer.concat([Buffer.alloc(3), textOfLines(600)])
      for (let shift = 0; shift < 4; shift++) {
        const input = backing.subarray(shift)
        const frame = lz4Codec.compress(input)
        expect(Buffer.from(lz4js.decompress(frame, input.length)).equals(input)).toBe(true)
      }
    })

    it('leaves the headroom in front of the frame and writes the same frame after it', () => {
      const input = textOfLines(700)
      const withHeadroom = lz4Codec.compressWithHeadroom!(input, 61)
      expect(withHeadroom.subarray(61).equals(lz4Codec.compress(input))).toBe(true)
    })
  })

  it('accepts the header checksum Kafka < 0.10 wrote (over magic and descriptor) and rejects any other', () => {
    const input = textOfLines(50)
    const frame = lz4Codec.compress(input)
    frame[6] = (xxh32(0, frame, 0, 6) >>> 8) & 0xff
    expect(lz4Codec.decompress(frame, input.length).equals(input)).toBe(true)
    frame[6] = (frame[6]! + 1) & 0xff
    if (frame[6] === ((xxh32(0, frame, 4, 2) >>> 8) & 0xff)) frame[6] = (frame[6]! + 1) & 0xff
    expect(() => lz4Codec.decompress(frame, input.length)).toThrow(/header checksum/)
  })
})

describe('gzip', () => {
  it('reads gzip written by node:zlib (as the Java client writes gzip members)', () => {
    const input = textOfLines(100)
    expect(gzipCodec.decompress(zlib.gzipSync(input), input.length).equals(input)).toBe(true)
  })

  it('rejects a truncated stream', () => {
    const packed = gzipCodec.compress(textOfLines(100))
    expect(() => gzipCodec.decompress(packed.subarray(0, packed.length - 9), 1 << 20)).toThrow(CompressionError)
  })
})

describe(`zstd on Node ${process.versions.node}`, () => {
  if (zstdAvailable()) {
    it('round-trips through node:zlib and enforces the output bound', () => {
      for (const input of Object.values(inputs)) {
        expect(zstdCodec.decompress(zstdCodec.compress(input), input.length).equals(input)).toBe(true)
      }
      const big = Buffer.alloc(100_000, 1)
      expect(() => zstdCodec.decompress(zstdCodec.compress(big), 1000)).toThrow(DecompressedSizeExceededError)
      expect(() => zstdCodec.decompress(Buffer.from('not zstd at all'), 1000)).toThrow(CompressionError)
    })
  } else {
    it('compressing says zstd needs Node >= 22.15 and how to register another codec; decompressing works (fzstd)', () => {
      expect(typeof (zlib as unknown as Record<string, unknown>).zstdCompressSync).not.toBe('function')
      const compress = (): Buffer => zstdCodec.compress(Buffer.from('x'))
      expect(compress).toThrow(CodecUnavailableError)
      expect(compress).toThrow(/Node >= 22\.15/)
      expect(compress).toThrow(/registerCodec/)
      // A frame written by the zstd tool: 'hello' (content size declared).
      const hello = Buffer.from('KLUv/QRYKQAAaGVsbG+jbZ+I', 'base64')
      expect(zstdCodec.decompress(hello, 10).toString()).toBe('hello')
      expect(() => zstdCodec.decompress(Buffer.from('x'), 10)).toThrow(CompressionError)
    })
  }
})
