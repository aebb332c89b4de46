import { RxKafkaError, type RxKafkaErrorOptions } from '../errors.js'

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
