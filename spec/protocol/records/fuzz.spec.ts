import { describe, expect, it } from 'vitest'
import { getCodec, zstdAvailable, type CompressionCodec } from '../../../lib/protocol/compression/index.js'
import { RxKafkaError } from '../../../lib/errors/index.js'
import { RecordBatchBuilder, buildControlBatch, crc32c, decodeRecordBatches } from '../../../lib/protocol/records/index.js'

/** mulberry32: a small seeded PRNG, so any failure reproduces from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const context = { topic: 'fuzz', partition: 9 }
const MAX_OUTPUT = 1 << 20

/** Runs `action`; anything thrown must be one of our typed errors. Returns the error, if any. */
function onlyTypedErrors(action: () => void, describeInput: () => string): void {
  try {
    action()
  } catch (error) {
    if (!(error instanceof RxKafkaError)) {
      throw new Error(`untyped ${(error as Error)?.constructor?.name ?? typeof error} for ${describeInput()}: ${String(error)}`, { cause: error })
    }
  }
}

function decodeEverything(bytes: Buffer, verifyCrc: boolean): void {
  const result = decodeRecordBatches(bytes, context, { verifyCrc, maxDecompressedBytes: MAX_OUTPUT })
  for (const batch of result.batches) {
    const records = batch.records()
    for (const record of records) {
      // Touch every field a consumer would.
      void record.key?.length
      void record.value?.length
      for (const header of record.headers) void header.key.length
    }
  }
}

function mutate(base: Buffer, random: () => number): Buffer {
  const bytes = Buffer.from(base)
  const kind = random()
  if (kind < 0.6) {
    const flips = 1 + Math.floor(random() * 4)
    for (let i = 0; i < flips; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
    return bytes
  }
  if (kind < 0.8) return bytes.subarray(0, Math.floor(random() * bytes.length))
  // Overwrite a 32-bit field with an extreme value: lengths and counts are where allocation bugs live.
  const at = Math.floor(random() * Math.max(1, bytes.length - 4))
  const extremes = [0x7fffffff, -1, -2, 0x80000000, 0xffff, 2 ** 24]
  if (at + 4 <= bytes.length) bytes.writeUInt32BE(extremes[Math.floor(random() * extremes.length)]! >>> 0, at)
  return bytes
}

function restampCrc(bytes: Buffer): Buffer {
  if (bytes.length >= 61 && bytes[16] === 2) bytes.writeUInt32BE(crc32c(bytes, 21), 17)
  return bytes
}

function sampleBatches(): Buffer[] {
  const random = prng(7)
  const codecs = ['none', 'gzip', 'snappy', 'lz4', ...(zstdAvailable() ? ['zstd' as const] : [])] as const
  const batches = codecs.map(compression => {
    const builder = new RecordBatchBuilder()
    for (let i = 0; i < 40; i++) {
      builder.append({
        key: random() < 0.2 ? null : `key-${i}`,
        value: random() < 0.1 ? null : 'v'.repeat(Math.floor(random() * 300)),
        headers: random() < 0.5 ? [{ key: 'h', value: `${i}` }, { key: 'n', value: null }] : [],
        timestamp: 1_700_000_000_000 + Math.floor(random() * 100_000) - 50_000,
      })
    }
    return builder.seal({ compression }).bytes
  })
  batches.push(buildControlBatch({ type: 'abort', coordinatorEpoch: 1, producerId: 1n, producerEpoch: 0 }).bytes)
  return batches
}

describe('fuzzing the record decoder', () => {
  it('random bytes, shaped like batch headers of every magic, give only typed errors', () => {
    const random = prng(1)
    for (let i = 0; i < 4000; i++) {
      const bytes = Buffer.alloc(Math.floor(random() * 400))
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256)
      if (bytes.length >= 17 && random() < 0.8) {
        bytes.writeInt32BE(Math.min(bytes.length - 12, Math.floor(random() * bytes.length)), 8)
        bytes[16] = Math.floor(random() * 3)
        if (bytes[16] === 2 && bytes.length >= 61) bytes[22] = bytes[22]! & 0x07 & (random() < 0.5 ? 0 : 7)
      }
      const verify = random() < 0.3
      onlyTypedErrors(() => decodeEverything(verify ? bytes : restampCrc(bytes), verify), () => `random input #${i} ${bytes.toString('hex')}`)
    }
  })

  it('mutated batches of every codec (CRC restamped so mutations reach the records) give only typed errors', () => {
    const random = prng(2)
    const bases = sampleBatches()
    let decodedWithoutError = 0
    for (let i = 0; i < 3000; i++) {
      const base = bases[i % bases.length]!
      const bytes = restampCrc(mutate(base, random))
      onlyTypedErrors(
        () => {
          decodeEverything(bytes, true)
          decodedWithoutError++
        },
        () => `mutation #${i} of batch ${i % bases.length}: ${bytes.toString('hex')}`,
      )
    }
    // Sanity: the mutator leaves some inputs decodable (truncations and value-byte flips).
    expect(decodedWithoutError).toBeGreaterThan(0)
  })

  it('hostile lengths never allocate what the input cannot justify', () => {
    const base = sampleBatches()[0]!
    const bytes = Buffer.from(base)
    bytes.writeInt32BE(0x7fffffff, 8) // batch length of 2 GiB
    expect(decodeRecordBatches(bytes, context)).toMatchObject({ batches: [], truncated: true, truncatedBatchBytes: 0x7fffffff + 12 })
    const count = Buffer.from(base)
    count.writeInt32BE(0x7fffffff, 57) // two billion records claimed
    const before = process.memoryUsage().arrayBuffers
    expect(() => decodeRecordBatches(restampCrc(count), context).batches[0]!.records()).toThrow(RxKafkaError)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
  })
})

describe('fuzzing every codec decompressor', () => {
  const codecs: CompressionCodec[] = [0, 1, 2, 3, ...(zstdAvailable() ? [4] : [])].map(id => getCodec(id))

  for (const codec of codecs) {
    it(`${codec.name}: random and mutated input give only typed errors and bounded output`, () => {
      const random = prng(100 + codec.id)
      const samples = [Buffer.alloc(0), Buffer.alloc(70_000, 'abcdefgh'), Buffer.from('short text, short text, short text')].map(s => codec.compress(s))
      // Snappy input that starts with the xerial header reaches the framed path.
      const xerialHeader = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
      for (let i = 0; i < 1500; i++) {
        let input: Buffer
        if (i % 2 === 0) {
          input = Buffer.alloc(Math.floor(random() * 300))
          for (let j = 0; j < input.length; j++) input[j] = Math.floor(random() * 256)
          if (codec.name === 'snappy' && random() < 0.5) input = Buffer.concat([xerialHeader, input])
          if (codec.name === 'lz4' && input.length > 7 && random() < 0.7) {
            input.writeUInt32LE(0x184d2204, 0)
            input[4] = 0x40 | (input[4]! & 0x3c)
          }
        } else {
          input = mutate(samples[i % samples.length]!, random)
        }
        onlyTypedErrors(
          () => {
            const output = codec.decompress(input, MAX_OUTPUT)
            if (output.length > MAX_OUTPUT) throw new Error(`output of ${output.length} bytes exceeds the bound`)
          },
          () => `${codec.name} input #${i}: ${input.toString('hex').slice(0, 400)}`,
        )
      }
    })
  }
})
