/**
 * Sealing in steps (takeRecords, compressRecords, sealRecords), as a worker
 * thread will do it, gives byte for byte what seal() gives; the CRC combine and
 * the header-only re-stamp agree with checksumming everything.
 */
import { describe, expect, it } from 'vitest'
import { zstdAvailable, type CompressionCodecName } from '../../../lib/protocol/compression/index.js'
import {
  RECORD_BATCH_HEADER_BYTES,
  RecordBatchBuilder,
  compressRecords,
  crc32c,
  crc32cCombine,
  decodeRecordBatches,
  sealRecords,
  stampProducerState,
} from '../../../lib/protocol/records/index.js'
import { ProtocolEncodeError } from '../../../lib/errors/index.js'

const codecs: CompressionCodecName[] = ['none', 'gzip', 'snappy', 'lz4', ...(zstdAvailable() ? (['zstd'] as const) : [])]
const ids: Record<CompressionCodecName, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

function filled(count: number): RecordBatchBuilder {
  const builder = new RecordBatchBuilder({ initialCapacity: 256 })
  for (let i = 0; i < count; i++) builder.append({ key: `k${i % 7}`, value: `value ${i} `.repeat(1 + (i % 9)), timestamp: 1_700_000_000_000 + i, headers: [{ key: 'h', value: String(i) }] })
  return builder
}

describe('crc32cCombine', () => {
  it('equals the CRC of the concatenation for lengths 0 to 100 000', () => {
    const data = Buffer.from(Array.from({ length: 100_050 }, (_, i) => (i * 131 + (i >> 7)) & 0xff))
    for (const [cut, end] of [[0, 0], [0, 1], [1, 1], [5, 6], [40, 4000], [61, 100_050], [99_999, 100_050]] as const) {
      expect(crc32cCombine(crc32c(data, 0, cut), crc32c(data, cut, end), end - cut)).toBe(crc32c(data, 0, end))
    }
  })

  it('refuses a negative or fractional length', () => {
    expect(() => crc32cCombine(0, 0, -1)).toThrow(RangeError)
    expect(() => crc32cCombine(0, 0, 1.5)).toThrow(RangeError)
  })
})

describe('sealing in steps', () => {
  for (const codec of codecs) {
    it(`${codec}: takeRecords + compressRecords + sealRecords gives the bytes seal() gives`, () => {
      const options = { compression: codec, producerId: 77n, producerEpoch: 3, baseSequence: 1000, partitionLeaderEpoch: 5 }
      const whole = filled(300).seal(options)
      const records = filled(300).takeRecords()
      const compressed = compressRecords(ids[codec], records.buffer, records.end)
      expect(compressed.recordsCrc).toBe(crc32c(compressed.bytes, RECORD_BATCH_HEADER_BYTES))
      const stepped = sealRecords(records, compressed, options)
      expect(stepped.bytes.equals(whole.bytes)).toBe(true)
      expect([stepped.recordCount, stepped.uncompressedBytes, stepped.codec]).toEqual([whole.recordCount, whole.uncompressedBytes, whole.codec])
      expect(decodeRecordBatches(stepped.bytes, { topic: 't', partition: 0 }).batches[0]!.records()).toHaveLength(300)
    })
  }

  it('re-stamping with the records CRC writes the CRC a full checksum gives', () => {
    for (const codec of codecs) {
      const sealed = filled(50).seal({ compression: codec })
      sealed.stampProducerState(4000n, 2, 12345)
      const fast = sealed.bytes.readUInt32BE(17)
      const copy = Buffer.from(sealed.bytes)
      stampProducerState(copy, 4000n, 2, 12345) // no records CRC: checksums everything
      expect(fast).toBe(copy.readUInt32BE(17))
      expect(fast).toBe(crc32c(sealed.bytes, 21))
    }
  })

  it('sealRecords refuses a compression other than the one the records carry', () => {
    const records = filled(3).takeRecords()
    const compressed = compressRecords(3, records.buffer, records.end)
    expect(() => sealRecords(records, compressed, { compression: 'gzip' })).toThrow(ProtocolEncodeError)
  })

  it('takeRecords ends the builder', () => {
    const builder = filled(2)
    builder.takeRecords()
    expect(() => builder.append({ value: 'x' })).toThrow(/sealed/)
    expect(() => builder.seal()).toThrow(/already sealed/)
    expect(() => new RecordBatchBuilder().takeRecords()).toThrow(/empty/)
  })
})
