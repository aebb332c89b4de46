/**
 * zstd (Kafka codec 4) through node:zlib, which has it from Node 22.15 / 23.8
 * (`zstdCompressSync`, `zstdDecompressSync`). On an older Node the codec stays
 * registered but throws {@link CodecUnavailableError}, so the failure names the
 * fix (upgrade Node or register another zstd codec) instead of "unknown codec 4".
 */
import * as zlib from 'node:zlib'
import { CodecUnavailableError, DecompressedSizeExceededError, asCompressionError, type CompressionCodec } from './codec.js'

const NAME = 'zstd'

/** The zstd part of node:zlib; @types/node 20 does not declare it. */
interface ZlibZstd {
  zstdCompressSync?: (input: Uint8Array) => Buffer
  zstdDecompressSync?: (input: Uint8Array, options?: { maxOutputLength?: number }) => Buffer
}

const nativeZstd = zlib as unknown as ZlibZstd

/**
 * Whether the running Node provides zstd in node:zlib (Node >= 22.15 or >= 23.8).
 *
 * @example
 * ```ts
 * const codec = zstdAvailable() ? 'zstd' : 'lz4'
 * ```
 */
export function zstdAvailable(): boolean {
  return typeof nativeZstd.zstdCompressSync === 'function' && typeof nativeZstd.zstdDecompressSync === 'function'
}

function unavailable(): CodecUnavailableError {
  return new CodecUnavailableError(4, `zstd needs Node >= 22.15 (node:zlib zstd); this is Node ${process.versions.node}`, {
    hint: 'Upgrade Node, choose another compression codec, or register a zstd implementation with registerCodec({ id: 4, name: "zstd", compress, decompress })',
  })
}

/**
 * The zstd codec backed by node:zlib.
 *
 * @example
 * ```ts
 * if (zstdAvailable()) zstdCodec.decompress(zstdCodec.compress(Buffer.from('hi')), 1024)
 * ```
 */
export const zstdCodec: CompressionCodec = {
  id: 4,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    const compress = nativeZstd.zstdCompressSync
    if (compress === undefined) throw unavailable()
    try {
      return compress(bytes)
    } catch (error) {
      throw asCompressionError(NAME, error)
    }
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    const decompress = nativeZstd.zstdDecompressSync
    if (decompress === undefined) throw unavailable()
    try {
      return decompress(bytes, { maxOutputLength: Math.max(1, maxOutputBytes) })
    } catch (error) {
      // node:zlib reports the limit as a RangeError with this code.
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
      throw asCompressionError(NAME, error)
    }
  },
}
