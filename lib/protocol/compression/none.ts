import { type CompressionCodec } from './codec.js'
import { DecompressedSizeExceededError } from '../../errors/index.js'

/**
 * Codec 0: the bytes as they are. Kept in the registry so every id a batch can carry has an entry.
 *
 * @example
 * ```ts
 * noCompressionCodec.compress(bytes) // the same bytes
 * ```
 */
export const noCompressionCodec: CompressionCodec = {
  id: 0,
  name: 'none',
  compress(bytes: Uint8Array): Buffer {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    if (bytes.byteLength > maxOutputBytes) throw new DecompressedSizeExceededError('none', maxOutputBytes)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  },
}
