/**
 * Errors of the protocol layer: bytes that do not decode, messages that
 * cannot be encoded, versions nobody shares, corrupt record batches and
 * compressed data that does not decompress (or whose codec worker died).
 * Never retriable: the same bytes fail the same way.
 */
import { RxKafkaError, type RxKafkaErrorOptions } from './rxkafka-error.js'

/**
 * Bytes that do not decode as the message they claim to be: truncated, a length
 * out of range, an invalid varint, a bad CRC. Never retriable: the same bytes
 * fail the same way.
 */
export class ProtocolDecodeError extends RxKafkaError {
  /** Byte offset in the buffer being decoded where the problem was found. */
  readonly byteOffset: number | undefined

  constructor(what: string, options: RxKafkaErrorOptions & { byteOffset?: number } = {}) {
    super('PROTOCOL_DECODE', options.byteOffset === undefined ? what : `${what} at byte ${options.byteOffset}`, options)
    this.byteOffset = options.byteOffset
  }
}

/** A message that cannot be encoded as asked: a field the chosen version lacks, a value out of range. */
export class ProtocolEncodeError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('PROTOCOL_ENCODE', what, options)
  }
}

/** No version of an API is supported by both this client and the broker. */
export class UnsupportedVersionError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('UNSUPPORTED_VERSION', what, options)
  }
}

/**
 * A record batch (or legacy message) whose bytes are not what they claim to be:
 * CRC mismatch, impossible length, malformed varint, unknown magic or codec,
 * undecompressable records. Names topic, partition and the batch's base offset.
 * Not retriable: fetching the same offset returns the same bytes. The consumer
 * can only stop, or skip past the batch deliberately.
 *
 * @example
 * ```ts
 * try { decodeRecordBatches(bytes, { topic, partition }) }
 * catch (e) { if (e instanceof CorruptRecordError) console.error(e.topic, e.partition, e.offset, e.byteOffset) }
 * ```
 */
export class CorruptRecordError extends RxKafkaError {
  /** Byte offset in the decoded input (or decompressed records) where the problem was found. */
  readonly byteOffset: number | undefined

  constructor(what: string, options: RxKafkaErrorOptions & { byteOffset?: number } = {}) {
    super('CORRUPT_RECORD', options.byteOffset === undefined ? what : `${what} at byte ${options.byteOffset}`, {
      hint: 'The data on the broker or on the wire is corrupt; it will not decode on a retry. Stop, or seek past this batch deliberately',
      ...options,
    })
    this.byteOffset = options.byteOffset
  }
}

/**
 * Compressed bytes that do not decompress: corrupt, truncated, or not in the codec's format.
 *
 * @example
 * ```ts
 * try { lz4Codec.decompress(bytes, 1 << 20) } catch (e) { if (e instanceof CompressionError) console.error(e.codec, e.message) }
 * ```
 */
export class CompressionError extends RxKafkaError {
  /** The codec that failed, such as `lz4`. */
  readonly codec: string

  constructor(codec: string, what: string, options: RxKafkaErrorOptions = {}, code: 'COMPRESSION_CORRUPT' | 'DECOMPRESSED_SIZE_EXCEEDED' = 'COMPRESSION_CORRUPT') {
    super(code, `${codec}: ${what}`, options)
    this.codec = codec
  }
}

/**
 * Decompression stopped because the output would exceed the allowed maximum.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof DecompressedSizeExceededError) decodeAgainWith({ maxDecompressedBytes: e.maxOutputBytes * 4 }) }
 * ```
 */
export class DecompressedSizeExceededError extends CompressionError {
  /** The limit that was hit, in bytes. */
  readonly maxOutputBytes: number

  constructor(codec: string, maxOutputBytes: number, options: RxKafkaErrorOptions = {}) {
    super(
      codec,
      `decompressed data exceeds the limit of ${maxOutputBytes} bytes`,
      {
        hint:
          'The batch is either a compression bomb or larger than expected; raise maxDecompressedBytes if such batches are legitimate',
        ...options,
      },
      'DECOMPRESSED_SIZE_EXCEEDED',
    )
    this.maxOutputBytes = maxOutputBytes
  }
}

/**
 * A codec id with no registered implementation, or a codec the running platform cannot provide.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof CodecUnavailableError && e.codecId === 4) registerCodec(myZstd) }
 * ```
 */
export class CodecUnavailableError extends RxKafkaError {
  /** Kafka's id of the codec that is missing. */
  readonly codecId: number

  constructor(codecId: number, what: string, options: RxKafkaErrorOptions = {}) {
    super('CODEC_UNAVAILABLE', what, {
      hint: 'Register an implementation with registerCodec({ id, name, compress, decompress })',
      ...options,
    })
    this.codecId = codecId
  }
}

/**
 * A compress task's worker died with the task's records transferred to it: the
 * batch's bytes are gone and the batch must be failed (or rebuilt) by its owner.
 *
 * @example
 * ```ts
 * pool.compress(3, records).catch((e) => { if (e instanceof CodecWorkerError) failBatch(batch, e) })
 * ```
 */
export class CodecWorkerError extends RxKafkaError {
  constructor(what: string, cause?: unknown) {
    super('CODEC_WORKER_FAILED', what, {
      cause,
      retriable: false,
      hint: 'The pool now runs this work on the calling thread; see CodecPool.stats().lastError for why the worker stopped',
    })
  }
}
