/**
 * Decoding the `records` field of a fetch response: a sequence of RecordBatch v2
 * (magic 2) and legacy message-set entries (magic 0 and 1), the last of which may
 * be cut short by the broker's size limit. Batch headers are parsed (and CRCs
 * checked) up front; records are decoded only when asked for, as views of the
 * input (no copies) unless the batch is compressed.
 */
import {
  CodecUnavailableError,
  DecompressedSizeExceededError,
  getCodec,
  hasCodec,
} from '../compression/index.js'
import { crc32c } from './crc32c.js'
import { CorruptRecordError } from '../../errors/index.js'
import { decodeLegacyEntry, LEGACY_MIN_SIZE_V0, LEGACY_MIN_SIZE_V1 } from './legacy-message-set.js'
import { NO_HEADERS, RecordCursor, type RecordBatchContext } from './record-cursor.js'
import { RECORD_BATCH_CRC_START, RECORD_BATCH_HEADER_BYTES } from './record-batch-builder.js'

export type { RecordBatchContext } from './record-cursor.js'

/** A header of a consumed record. */
export interface ConsumedRecordHeader {
  /** The header's name. */
  key: string
  /** Its value as a view into the fetched bytes; null for a header without a value. */
  value: Buffer | null
}

/** A record as read from a partition. Buffers are views of the fetched bytes when the batch was not compressed. */
export interface ConsumedRecord {
  /** The record's offset in its partition. */
  offset: bigint
  /** Milliseconds since the epoch; -1 for magic-0 messages, which carry none. */
  timestamp: number
  /** The key as a view into the fetched bytes, or null. */
  key: Buffer | null
  /** The value as a view into the fetched bytes, or null (a tombstone). */
  value: Buffer | null
  /** Shared and frozen when empty (most records), so treat it as read-only. */
  headers: readonly ConsumedRecordHeader[]
}

/** Whose clock a batch's timestamps are: the producer's (`create`) or the broker's (`log-append`); `none` for magic 0. */
export type TimestampType = 'create' | 'log-append' | 'none'

/**
 * One batch (v2) or one legacy entry (a message or a compressed wrapper) from a fetch response.
 *
 * @example
 * ```ts
 * for (const batch of decodeRecordBatches(bytes, ctx).batches) {
 *   if (batch.isControl || batch.lastOffset < fetchOffset) continue
 *   for (const r of batch.records()) if (r.offset >= fetchOffset) emit(r)
 * }
 * ```
 */
export interface DecodedRecordBatch {
  /** Offset of the batch's first record. */
  readonly baseOffset: bigint
  /** Offset of the last record relative to `baseOffset`. */
  readonly lastOffsetDelta: number
  /** `baseOffset + lastOffsetDelta`: where the next fetch starts is one past this. */
  readonly lastOffset: bigint
  /** The leader epoch the batch was written in (-1 when unknown). */
  readonly partitionLeaderEpoch: number
  /** Record format version: 2 for record batches, 0 or 1 for legacy message sets. */
  readonly magic: number
  /** Kafka codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  readonly compression: number
  /** Whether timestamps are the producer's CreateTime or the broker's LogAppendTime. */
  readonly timestampType: TimestampType
  /** Written inside a transaction. */
  readonly isTransactional: boolean
  /** A control batch (transaction marker): not user data. */
  readonly isControl: boolean
  /** The idempotent or transactional producer's id, -1 for none. */
  readonly producerId: bigint
  /** That producer's epoch, -1 for none. */
  readonly producerEpoch: number
  /** Sequence number of the first record, -1 for none. */
  readonly baseSequence: number
  /** Timestamp of the first record, ms since the epoch. */
  readonly baseTimestamp: number
  /** Largest timestamp in the batch. */
  readonly maxTimestamp: number
  /** Number of records the header announces. */
  readonly recordCount: number
  /** Bytes this batch occupies in the input. */
  readonly sizeInBytes: number
  /**
   * The records, decoded (and decompressed) on first call and cached.
   *
   * @throws CorruptRecordError, DecompressedSizeExceededError or CodecUnavailableError, each naming topic, partition and offset.
   */
  records(): ConsumedRecord[]
}

/** Options for {@link decodeRecordBatches}. */
export interface DecodeRecordBatchesOptions {
  /** Check each batch's CRC (CRC-32C for v2, CRC-32 for legacy). Default true. */
  verifyCrc?: boolean
  /** Ceiling on one batch's decompressed records, against compression bombs. Default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}. */
  maxDecompressedBytes?: number
}

/** 64 MiB: far above Kafka's default 1 MiB message.max.bytes even at high compression ratios. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/** What {@link decodeRecordBatches} found. */
export interface DecodedRecordBatches {
  /** The whole batches found, in order. */
  batches: DecodedRecordBatch[]
  /**
   * The input ended inside a batch. Normal at the end of a fetch response (the
   * broker cuts at its size limit): fetch again from the next offset. If no batch
   * was complete, the fetch size is smaller than one batch: raise it to at least
   * {@link truncatedBatchBytes}.
   */
  truncated: boolean
  /** Full size of the truncated batch, when its length field was present. */
  truncatedBatchBytes: number | undefined
  /** Bytes of complete batches. */
  bytesConsumed: number
}

const LOG_OVERHEAD = 12
const V2_MIN_SIZE = RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD

function readTimestamp(b: Buffer, o: number): number {
  return b.readInt32BE(o) * 0x100000000 + b.readUInt32BE(o + 4)
}

class RecordBatchV2 implements DecodedRecordBatch {
  readonly baseOffset: bigint
  readonly lastOffsetDelta: number
  readonly partitionLeaderEpoch: number
  readonly magic = 2
  readonly compression: number
  readonly timestampType: TimestampType
  readonly isTransactional: boolean
  readonly isControl: boolean
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly recordCount: number
  private decoded: ConsumedRecord[] | undefined

  constructor(
    private readonly input: Buffer,
    private readonly start: number,
    readonly sizeInBytes: number,
    private readonly context: RecordBatchContext,
    private readonly maxDecompressedBytes: number,
  ) {
    const b = input
    this.baseOffset = b.readBigInt64BE(start)
    this.partitionLeaderEpoch = b.readInt32BE(start + 12)
    const attributes = b.readInt16BE(start + 21)
    this.compression = attributes & 0x07
    this.timestampType = (attributes & 0x08) !== 0 ? 'log-append' : 'create'
    this.isTransactional = (attributes & 0x10) !== 0
    this.isControl = (attributes & 0x20) !== 0
    this.lastOffsetDelta = b.readInt32BE(start + 23)
    this.baseTimestamp = readTimestamp(b, start + 27)
    this.maxTimestamp = readTimestamp(b, start + 35)
    this.producerId = b.readBigInt64BE(start + 43)
    this.producerEpoch = b.readInt16BE(start + 51)
    this.baseSequence = b.readInt32BE(start + 53)
    this.recordCount = b.readInt32BE(start + 57)
  }

  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta)
  }

  records(): ConsumedRecord[] {
    if (this.decoded === undefined) this.decoded = this.decodeRecords()
    return this.decoded
  }

  private location(): { topic: string; partition: number; offset: bigint } {
    return { topic: this.context.topic, partition: this.context.partition, offset: this.baseOffset }
  }

  private decompressed(): Buffer {
    const codec = getCodec(this.compression, this.location())
    const compressed = this.input.subarray(this.start + RECORD_BATCH_HEADER_BYTES, this.start + this.sizeInBytes)
    try {
      return codec.decompress(compressed, this.maxDecompressedBytes)
    } catch (error) {
      if (error instanceof DecompressedSizeExceededError) {
        throw new DecompressedSizeExceededError(codec.name, error.maxOutputBytes, { ...this.location(), cause: error })
      }
      if (error instanceof CodecUnavailableError) {
        throw new CodecUnavailableError(error.codecId, error.message, { ...this.location(), cause: error, hint: error.hint })
      }
      throw new CorruptRecordError(`${codec.name}-compressed records do not decompress`, {
        ...this.location(),
        byteOffset: this.start + RECORD_BATCH_HEADER_BYTES,
        cause: error,
      })
    }
  }

  private decodeRecords(): ConsumedRecord[] {
    let data = this.input
    let pos = this.start + RECORD_BATCH_HEADER_BYTES
    let end = this.start + this.sizeInBytes
    let describeAs = 'byte offset in the fetched data'
    if (this.compression !== 0) {
      data = this.decompressed()
      pos = 0
      end = data.length
      describeAs = `byte offset in the decompressed records of the batch`
    }
    const c = new RecordCursor(data, pos, end, this.context, this.baseOffset, describeAs)
    const count = this.recordCount
    const baseOffset = this.baseOffset
    const baseTimestamp = this.baseTimestamp
    const logAppendTime = this.timestampType === 'log-append' ? this.maxTimestamp : -1
    const records: ConsumedRecord[] = []
    for (let i = 0; i < count; i++) {
      const recordStart = c.pos
      const length = c.varint()
      if (length < 6 || length > end - c.pos) c.fail(`record ${i} length ${length} is impossible with ${end - c.pos} bytes left`, recordStart)
      const recordEnd = c.pos + length
      c.limit = recordEnd
      c.pos++ // record attributes: unused
      const timestampDelta = c.varlong()
      const offsetDelta = c.varint()
      const key = c.nullableBytes(c.varint(), 'key')
      const value = c.nullableBytes(c.varint(), 'value')
      const headerCount = c.varint()
      if (headerCount < 0 || headerCount > (recordEnd - c.pos) / 2) c.fail(`header count ${headerCount} is impossible`)
      let headers = NO_HEADERS
      if (headerCount > 0) {
        const decodedHeaders: ConsumedRecordHeader[] = []
        for (let h = 0; h < headerCount; h++) {
          const headerKey = c.string(c.varint(), 'header key')
          decodedHeaders.push({ key: headerKey, value: c.nullableBytes(c.varint(), 'header value') })
        }
        headers = decodedHeaders
      }
      if (c.pos !== recordEnd) c.fail(`record ${i} declares ${length} bytes but its fields end elsewhere`, recordStart)
      c.limit = end
      records.push({
        offset: baseOffset + BigInt(offsetDelta),
        timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      })
    }
    if (c.pos !== end) c.fail(`${end - c.pos} bytes left after the batch's ${count} records`)
    return records
  }
}

/**
 * Decodes the `records` bytes of one partition in a fetch response: RecordBatch
 * v2 and legacy magic 0/1 entries, in any mix. A batch cut short at the end of
 * the input is reported in `truncated`, not thrown.
 *
 * @throws CorruptRecordError for a corrupt batch (bad CRC, impossible length, unknown magic or codec), naming topic, partition and offset.
 * @example
 * ```ts
 * const { batches, truncated } = decodeRecordBatches(partitionData.records, { topic: 'orders', partition: 0 })
 * for (const batch of batches) {
 *   if (batch.isControl) continue
 *   for (const record of batch.records()) handle(record.offset, record.key, record.value)
 * }
 * ```
 */
export function decodeRecordBatches(
  bytes: Buffer,
  context: RecordBatchContext,
  options: DecodeRecordBatchesOptions = {},
): DecodedRecordBatches {
  const verifyCrc = options.verifyCrc ?? true
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  const batches: DecodedRecordBatch[] = []
  const length = bytes.length
  let pos = 0
  while (pos < length) {
    const remaining = length - pos
    if (remaining < LOG_OVERHEAD) return { batches, truncated: true, truncatedBatchBytes: undefined, bytesConsumed: pos }
    const baseOffset = bytes.readBigInt64BE(pos)
    const size = bytes.readInt32BE(pos + 8)
    const fail = (what: string, at: number): never => {
      throw new CorruptRecordError(what, { topic: context.topic, partition: context.partition, offset: baseOffset, byteOffset: at })
    }
    if (size < 0) fail(`negative batch length ${size}`, pos + 8)
    if (remaining < 17 || LOG_OVERHEAD + size > remaining) {
      return { batches, truncated: true, truncatedBatchBytes: LOG_OVERHEAD + size, bytesConsumed: pos }
    }
    const magic = bytes[pos + 16]!
    if (magic === 2) {
      if (size < V2_MIN_SIZE) fail(`batch length ${size} is shorter than a v2 batch header`, pos + 8)
      if (verifyCrc) {
        const stored = bytes.readUInt32BE(pos + 17)
        const computed = crc32c(bytes, pos + RECORD_BATCH_CRC_START, pos + LOG_OVERHEAD + size)
        if (stored !== computed) {
          fail(`CRC-32C mismatch: batch says 0x${stored.toString(16)}, bytes give 0x${computed.toString(16)}`, pos + 17)
        }
      }
      const codec = bytes[pos + 22]! & 0x07
      if (!hasCodec(codec)) fail(`unknown compression codec id ${codec}`, pos + 21)
      const recordCount = bytes.readInt32BE(pos + 57)
      if (recordCount < 0) fail(`negative record count ${recordCount}`, pos + 57)
      batches.push(new RecordBatchV2(bytes, pos, LOG_OVERHEAD + size, context, maxDecompressedBytes))
    } else if (magic === 0 || magic === 1) {
      const minimum = magic === 0 ? LEGACY_MIN_SIZE_V0 : LEGACY_MIN_SIZE_V1
      if (size < minimum) fail(`message length ${size} is shorter than a magic ${magic} message`, pos + 8)
      batches.push(decodeLegacyEntry(bytes, pos, LOG_OVERHEAD + size, context, verifyCrc, maxDecompressedBytes))
    } else {
      fail(`unknown magic byte ${magic} (expected 0, 1 or 2)`, pos + 16)
    }
    pos += LOG_OVERHEAD + size
  }
  return { batches, truncated: false, truncatedBatchBytes: undefined, bytesConsumed: pos }
}
