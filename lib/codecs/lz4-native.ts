/**
 * `rxkafka/codecs/lz4-native`: lz4 compression through the `lz4-napi` package
 * (napi-rs bindings to the Rust lz4_flex crate; prebuilt for each platform as
 * npm packages, nothing downloaded or compiled at install). Optional: install
 * `lz4-napi` yourself, then register it once at start-up. The built-in
 * pure-JavaScript lz4 stays the default.
 *
 * Only compression is native. lz4-napi's frame decoder has no output limit
 * (a compression bomb would be inflated whole) and measured slower than the
 * built-in decoder here, so decompression stays the built-in bounded one.
 * Frames it writes: version 1, independent blocks, 4 MiB maximum block size
 * (BD 0x70), no checksums, a correct header checksum: what KIP-57 readers
 * (Kafka >= 0.10, librdkafka) accept; larger blocks also compress better than
 * the built-in codec's 64 KiB blocks.
 *
 * @example
 * ```ts
 * import { registerLz4Native } from 'rxkafka/codecs/lz4-native'
 * registerLz4Native() // lz4 batches now compress natively
 * ```
 *
 * @module rxkafka/codecs/lz4-native
 */
import { registerCodec, asCompressionError, type CompressionCodec } from '../protocol/compression/codec.js'
import { lz4Codec } from '../protocol/compression/lz4.js'
import { loadOptional } from './load-optional.js'

const NAME = 'lz4'
const ENTRY = 'rxkafka/codecs/lz4-native'

interface Lz4Library {
  compressFrameSync(input: Buffer): Buffer
}

let library: Lz4Library | undefined
function lz4(): Lz4Library {
  library ??= loadOptional<Lz4Library>('lz4-napi', 3, ENTRY)
  return library
}

function compressFrame(bytes: Uint8Array): Buffer {
  try {
    return lz4().compressFrameSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (error) {
    throw asCompressionError(NAME, error)
  }
}

/**
 * The lz4 codec with native compression (see the module comment).
 *
 * @example
 * ```ts
 * registerCodec(lz4NativeCodec)
 * ```
 */
export const lz4NativeCodec: CompressionCodec = {
  id: 3,
  name: NAME,
  compress: compressFrame,
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    return lz4Codec.decompress(bytes, maxOutputBytes)
  },
}

/**
 * Registers {@link lz4NativeCodec} for Kafka codec 3, replacing the built-in
 * pure-JavaScript lz4 compressor (decompression stays built-in).
 *
 * @throws CodecUnavailableError when the `lz4-napi` package is not installed or does not load on this platform.
 * @example
 * ```ts
 * registerLz4Native()
 * ```
 */
export function registerLz4Native(): void {
  lz4()
  registerCodec(lz4NativeCodec)
}
