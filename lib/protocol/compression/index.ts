/**
 * Compression codecs for record batches, registered by Kafka codec id.
 * Importing this module registers the built-in codecs.
 */
import { registerCodec } from './codec.js'
import { gzipCodec } from './gzip.js'
import { lz4Codec } from './lz4.js'
import { noCompressionCodec } from './none.js'
import { snappyCodec } from './snappy.js'
import { zstdCodec } from './zstd.js'

export { CompressionCodecId, codecIdOf, getCodec, hasCodec, registerCodec } from './codec.js'
export { CodecUnavailableError, CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'
export type { CompressionCodec, CompressionCodecName } from './codec.js'
export { gzipCodec } from './gzip.js'
export { lz4Codec, LZ4_BLOCK_BYTES } from './lz4.js'
export { noCompressionCodec } from './none.js'
export { snappyCodec, XERIAL_BLOCK_BYTES } from './snappy.js'
export { zstdAvailable, zstdCodec } from './zstd.js'

for (const codec of [noCompressionCodec, gzipCodec, snappyCodec, lz4Codec, zstdCodec]) registerCodec(codec)
