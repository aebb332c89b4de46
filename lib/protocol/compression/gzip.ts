/**
 * gzip (Kafka codec 1). Kafka's Java client writes gzip members
 * (GZIPOutputStream); pako's inflater detects gzip and zlib headers.
 *
 * Compression goes through node:zlib (the zlib built into every Node, at the
 * same default level 6 as pako and librdkafka): `npm run bench:codecs` measured
 * it 3-4x faster than pako here, and it writes the same kind of gzip member.
 * Decompression stays pako's streaming inflater, whose per-chunk callback stops
 * at the output limit instead of inflating a bomb whole.
 */
import { gzipSync } from 'node:zlib'
import pako from 'pako'
import { asCompressionError, type CompressionCodec } from './codec.js'
import { CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'

const NAME = 'gzip'
const OUTPUT_CHUNK_BYTES = 64 * 1024

/** Marks the size limit being hit inside pako's callback, so it is not mistaken for a pako failure. */
class OutputLimitReached extends Error {}

/**
 * The gzip codec.
 *
 * @example
 * ```ts
 * const packed = gzipCodec.compress(Buffer.from('hello'))
 * gzipCodec.decompress(packed, 1024).toString() // 'hello'
 * ```
 */
export const gzipCodec: CompressionCodec = {
  id: 1,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    try {
      return gzipSync(bytes)
    } catch (error) {
      throw asCompressionError(NAME, error)
    }
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    const chunks: Uint8Array[] = []
    let total = 0
    // Streaming with a per-chunk callback is what lets us stop at the limit instead of inflating a bomb completely.
    const inflater = new pako.Inflate({ chunkSize: OUTPUT_CHUNK_BYTES })
    inflater.onData = (chunk): void => {
      const data = chunk as Uint8Array
      total += data.length
      if (total > maxOutputBytes) throw new OutputLimitReached()
      chunks.push(data)
    }
    let finished: boolean
    try {
      finished = inflater.push(bytes, true)
    } catch (error) {
      if (error instanceof OutputLimitReached) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
      throw asCompressionError(NAME, error)
    }
    if (!finished || inflater.err !== 0) {
      const reason = inflater.msg !== '' ? inflater.msg : inflater.err === -5 ? 'truncated stream' : `zlib status ${inflater.err}`
      throw new CompressionError(NAME, `malformed input (${reason})`)
    }
    return Buffer.concat(chunks, total)
  },
}
