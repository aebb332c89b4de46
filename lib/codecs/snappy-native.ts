/**
 * `rxkafka/codecs/snappy-native`: snappy through the `snappy` package (napi-rs
 * bindings to the Rust snap crate; prebuilt for each platform as npm packages,
 * nothing downloaded or compiled at install). Optional: install `snappy`
 * yourself, then register it once at start-up. The built-in pure-JavaScript
 * snappy stays the default.
 *
 * Same formats as the built-in codec: writes xerial framing with 32 KiB blocks
 * (as Kafka's Java client does), reads xerial or raw snappy. Decompression stays
 * bounded: every block's declared length is read and checked against the limit
 * before the library allocates anything.
 *
 * @example
 * ```ts
 * import { registerSnappyNative } from 'rxkafka/codecs/snappy-native'
 * registerSnappyNative() // snappy batches now compress and decompress natively
 * ```
 *
 * @module rxkafka/codecs/snappy-native
 */
import { registerCodec, type CompressionCodec } from '../protocol/compression/codec.js'
import { asCompressionError } from '../protocol/compression/codec.js'
import { CompressionError } from '../errors/index.js'
import { isXerial, rawSnappyLength, xerialBlocks, xerialFrame } from '../protocol/compression/snappy.js'
import { loadOptional } from './load-optional.js'

const NAME = 'snappy'
const ENTRY = 'rxkafka/codecs/snappy-native'

interface SnappyLibrary {
  compressSync(input: Uint8Array): Buffer
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer
}

let library: SnappyLibrary | undefined
function snappy(): SnappyLibrary {
  library ??= loadOptional<SnappyLibrary>('snappy', 2, ENTRY)
  return library
}

function decodeBlock(bytes: Uint8Array, start: number, end: number, length: number): Buffer {
  let out: Buffer
  try {
    out = snappy().uncompressSync(bytes.subarray(start, end), { asBuffer: true })
  } catch (error) {
    throw asCompressionError(NAME, error)
  }
  if (out.length !== length) throw new CompressionError(NAME, `block decodes to ${out.length} bytes but declares ${length}`)
  return out
}

/**
 * The snappy codec backed by the native `snappy` package (see the module comment).
 *
 * @example
 * ```ts
 * registerCodec(snappyNativeCodec)
 * ```
 */
export const snappyNativeCodec: CompressionCodec = {
  id: 2,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    return xerialFrame(bytes, 0, (block) => snappy().compressSync(block))
  },
  compressWithHeadroom(bytes: Uint8Array, headroom: number): Buffer {
    return xerialFrame(bytes, headroom, (block) => snappy().compressSync(block))
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    if (bytes.length === 0) return Buffer.alloc(0)
    if (!isXerial(bytes)) return decodeBlock(bytes, 0, bytes.length, rawSnappyLength(bytes, 0, bytes.length, maxOutputBytes))
    const blocks = xerialBlocks(bytes, maxOutputBytes)
    if (blocks.length === 1) return decodeBlock(bytes, blocks[0]!.start, blocks[0]!.end, blocks[0]!.length)
    let total = 0
    for (const block of blocks) total += block.length
    const out = Buffer.allocUnsafe(total)
    let at = 0
    for (const block of blocks) {
      decodeBlock(bytes, block.start, block.end, block.length).copy(out, at)
      at += block.length
    }
    return out
  },
}

/**
 * Registers {@link snappyNativeCodec} for Kafka codec 2, replacing the built-in
 * pure-JavaScript snappy.
 *
 * @throws CodecUnavailableError when the `snappy` package is not installed or does not load on this platform.
 * @example
 * ```ts
 * registerSnappyNative()
 * ```
 */
export function registerSnappyNative(): void {
  snappy() // fail here, at start-up, not on the first batch
  registerCodec(snappyNativeCodec)
}
