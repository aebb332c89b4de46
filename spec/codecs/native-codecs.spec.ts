/**
 * The optional native codec entries (rxkafka/codecs/snappy-native and
 * lz4-native) write what the built-in codecs read and read what they write,
 * keep decompression bounded, and replace the built-in codec only when
 * registered. The native packages are devDependencies here, so these run.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { lz4NativeCodec, registerLz4Native } from '../../lib/codecs/lz4-native.js'
import { registerSnappyNative, snappyNativeCodec } from '../../lib/codecs/snappy-native.js'
import { CompressionError, DecompressedSizeExceededError, getCodec, lz4Codec, registerCodec, snappyCodec } from '../../lib/protocol/compression/index.js'
import { RecordBatchBuilder, decodeRecordBatches } from '../../lib/protocol/records/index.js'
import { textOfLines } from '../support/test-bytes.js'

const inputs: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'one byte': Buffer.from([7]),
  'text over 64 KiB': textOfLines(3000),
  'highly compressible 300 KiB': Buffer.alloc(300_000, 'abcabcab'),
}

afterEach(() => {
  registerCodec(snappyCodec)
  registerCodec(lz4Codec)
})

describe.each([
  ['snappy', snappyNativeCodec, snappyCodec],
  ['lz4', lz4NativeCodec, lz4Codec],
] as const)('%s native', (_name, native, builtIn) => {
  for (const [name, input] of Object.entries(inputs)) {
    it(`${name}: native output decodes with the built-in codec and the other way round`, () => {
      expect(builtIn.decompress(native.compress(input), input.length).equals(input)).toBe(true)
      expect(native.decompress(builtIn.compress(input), input.length).equals(input)).toBe(true)
    })
  }

  it('decompression stops at the limit and refuses garbage with a CompressionError', () => {
    const input = inputs['highly compressible 300 KiB']!
    expect(() => native.decompress(native.compress(input), input.length - 1)).toThrow(DecompressedSizeExceededError)
    expect(() => native.decompress(Buffer.from('definitely not compressed'), 1000)).toThrow(CompressionError)
  })
})

describe('snappy native keeps the bound before the library allocates', () => {
  it('a raw block declaring 4 GiB is refused from its header', () => {
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61])
    expect(() => snappyNativeCodec.decompress(bomb, 64 << 20)).toThrow(DecompressedSizeExceededError)
  })
})

describe('registering', () => {
  it('registerSnappyNative and registerLz4Native replace codecs 2 and 3; batches seal and decode through them', () => {
    registerSnappyNative()
    registerLz4Native()
    expect(getCodec(2)).toBe(snappyNativeCodec)
    expect(getCodec(3)).toBe(lz4NativeCodec)
    for (const compression of ['snappy', 'lz4'] as const) {
      const builder = new RecordBatchBuilder()
      for (let i = 0; i < 500; i++) builder.append({ value: `event ${i} ${'x'.repeat(i % 40)}`, timestamp: 1_700_000_000_000 })
      const sealed = builder.seal({ compression })
      registerCodec(compression === 'snappy' ? snappyCodec : lz4Codec) // decode with the built-in one
      const records = decodeRecordBatches(sealed.bytes, { topic: 't', partition: 0 }).batches[0]!.records()
      expect(records.map((r) => r.value!.toString())).toEqual(Array.from({ length: 500 }, (_, i) => `event ${i} ${'x'.repeat(i % 40)}`))
    }
  })
})
