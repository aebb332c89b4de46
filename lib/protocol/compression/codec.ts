/**
 * The compression codec registry. Kafka names a batch's codec by a small integer
 * in its attributes (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd); the registry maps
 * that id to an implementation. Users may replace a built-in codec (say, a native
 * zstd on an older Node) with {@link registerCodec}.
 */
import { CodecUnavailableError, CompressionError, RxKafkaError, type RxKafkaErrorOptions } from '../../errors/index.js'

/** Kafka's codec ids, as stored in the low three bits of a batch's attributes. */
export const CompressionCodecId = {
  /** No compression. */
  none: 0,
  /** gzip (node:zlib). */
  gzip: 1,
  /** Snappy, in the xerial framing Kafka uses. */
  snappy: 2,
  /** LZ4 frame format (lz4js). */
  lz4: 3,
  /** Zstandard (node:zlib from Node 22.15). */
  zstd: 4,
} as const

/** The name of a built-in codec. */
export type CompressionCodecName = keyof typeof CompressionCodecId

/**
 * A compression codec. `decompress` must never produce more than
 * `maxOutputBytes` bytes: it throws {@link DecompressedSizeExceededError}
 * instead, so a hostile batch cannot exhaust memory. On malformed input it throws
 * {@link CompressionError}.
 *
 * @example
 * ```ts
 * import { registerCodec, type CompressionCodec } from 'rxkafka'
 * const identityLz4: CompressionCodec = {
 *   id: 3, name: 'lz4',
 *   compress: bytes => myNativeLz4.compressFrame(bytes),
 *   decompress: (bytes, max) => myNativeLz4.decompressFrame(bytes, max),
 * }
 * registerCodec(identityLz4)
 * ```
 */
export interface CompressionCodec {
  /** Kafka's codec id (0 to 7: three attribute bits). */
  readonly id: number
  /** The codec's name, such as `lz4`. */
  readonly name: string
  /** Compresses one record batch's records. */
  compress(bytes: Uint8Array): Buffer
  /**
   * Optional: like {@link compress}, but the result starts with `headroom`
   * bytes (contents unspecified) that the caller fills, so a batch header can be
   * written in front of the compressed records without another copy.
   */
  compressWithHeadroom?(bytes: Uint8Array, headroom: number): Buffer
  /** Decompresses; throws DecompressedSizeExceededError rather than produce more than `maxOutputBytes`, CompressionError on bad input. */
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer
}

const registry = new Map<number, CompressionCodec>()

/**
 * Registers (or replaces) the codec for `codec.id`.
 *
 * @example
 * ```ts
 * registerCodec({ id: 4, name: 'zstd', compress: b => zstd.compress(b), decompress: (b, max) => zstd.decompress(b, max) })
 * ```
 */
export function registerCodec(codec: CompressionCodec): void {
  if (!Number.isInteger(codec.id) || codec.id < 0 || codec.id > 7) {
    throw new RangeError(`codec id must be an integer in [0, 7] (three attribute bits), got ${codec.id}`)
  }
  registry.set(codec.id, codec)
}

/**
 * The codec registered for `id`.
 *
 * @throws CodecUnavailableError when nothing is registered for `id`.
 * @example
 * ```ts
 * const gzip = getCodec(CompressionCodecId.gzip)
 * const packed = gzip.compress(Buffer.from('hello'))
 * ```
 */
export function getCodec(id: number, location: RxKafkaErrorOptions = {}): CompressionCodec {
  const codec = registry.get(id)
  if (codec === undefined) {
    throw new CodecUnavailableError(id, `unknown compression codec id ${id}`, location)
  }
  return codec
}

/**
 * Whether a codec is registered for `id` (registered does not mean usable:
 * zstd on Node < 22.15 is registered and throws {@link CodecUnavailableError}).
 *
 * @example
 * ```ts
 * hasCodec(5) // false unless a user registered one
 * ```
 */
export function hasCodec(id: number): boolean {
  return registry.has(id)
}

/**
 * The id of a codec given by name or id.
 *
 * @example
 * ```ts
 * codecIdOf('lz4') // 3
 * ```
 */
export function codecIdOf(codec: CompressionCodecName | number): number {
  if (typeof codec === 'number') return codec
  const id = CompressionCodecId[codec]
  if (id === undefined) throw new CodecUnavailableError(-1, `unknown compression codec name '${String(codec)}'`)
  return id
}

/**
 * Turns anything a third-party decoder throws into a {@link CompressionError}, keeping our own errors as they are.
 *
 * @example
 * ```ts
 * try { return thirdParty.decode(bytes) } catch (e) { throw asCompressionError('brotli', e) }
 * ```
 */
export function asCompressionError(codec: string, error: unknown): RxKafkaError {
  if (error instanceof RxKafkaError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new CompressionError(codec, `malformed input (${message})`, { cause: error })
}
