/**
 * RecordBatch v2 (magic 2) encoder. Records are encoded into one growing buffer
 * as they are appended, behind 61 bytes left free for the batch header, so an
 * uncompressed batch is sealed without copying a byte of record data and the
 * CRC-32C is computed once, at seal time.
 *
 * Batch layout (big-endian):
 * ```
 *  0 baseOffset int64          27 baseTimestamp int64
 *  8 batchLength int32         35 maxTimestamp int64
 * 12 partitionLeaderEpoch int32 43 producerId int64
 * 16 magic int8 (2)            51 producerEpoch int16
 * 17 crc uint32 (CRC-32C of bytes 21..end)  53 baseSequence int32
 * 21 attributes int16          57 recordCount int32
 * 23 lastOffsetDelta int32     61 records
 * ```
 * Record: length varint, attributes int8, timestampDelta varlong, offsetDelta
 * varint, key (varint length, -1 = null), value (likewise), header count
 * varint, headers (varint key length + UTF-8 key, varint value length + value).
 */
import { ProtocolEncodeError } from '../../errors/index.js'
import { codecIdOf, getCodec, type CompressionCodecName } from '../compression/index.js'
import { crc32c, crc32cCombine } from './crc32c.js'

/** Bytes before the first record of a v2 batch. */
export const RECORD_BATCH_HEADER_BYTES = 61
/** Start of the CRC-covered part of a v2 batch (the attributes field). */
export const RECORD_BATCH_CRC_START = 21

// Where the fields of a v2 batch header are, from the start of the batch; the
// virtual brokers read and rewrite them as a broker does (lib/testing/virtual-log.ts).
const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
const LAST_OFFSET_DELTA_OFFSET = 23
const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
const BASE_SEQUENCE_OFFSET = 53
const RECORD_COUNT_OFFSET = 57

export const ATTRIBUTE_LOG_APPEND_TIME = 0x08
export const ATTRIBUTE_TRANSACTIONAL = 0x10
const ATTRIBUTE_CONTROL = 0x20

const MAX_BATCH_BYTES = 0x7fffffff
/**
 * Below these lengths a JS byte loop beats the native calls (measured on Node 20:
 * TypedArray#set costs ~40 ns whatever the size, a loop ~3-5 ns per byte).
 */
const SHORT_STRING = 16
const SHORT_BYTES = 8

/** A header of a record being produced. */
export interface ProducerRecordHeader {
  /** The header's name. */
  key: string
  /** Its value; a string is written as UTF-8, null is a header without a value. */
  value: Buffer | string | null
}

/** A record to append to a batch. Strings are encoded as UTF-8. */
export interface ProducerRecord {
  /** The record key (a string is written as UTF-8); absent or null for none. */
  key?: Buffer | string | null
  /** The record value (a string is written as UTF-8); null is a tombstone. */
  value: Buffer | string | null
  /** Headers in order; repeated keys are kept. */
  headers?: ReadonlyArray<ProducerRecordHeader>
  /** Milliseconds since the epoch; defaults to `Date.now()` at append time. */
  timestamp?: number
}

/** Options for {@link RecordBatchBuilder.seal}. */
export interface SealOptions {
  /** Codec for the records section: a name or Kafka codec id. Default `none`. */
  compression?: CompressionCodecName | number
  /** `create` (default): record timestamps are the producer's; `log-append`: the broker stamps them. */
  timestampType?: 'create' | 'log-append'
  /** Part of a transaction. */
  transactional?: boolean
  /** A control batch (transaction marker). {@link buildControlBatch} sets this; users rarely should. */
  control?: boolean
  /** Default -1n (not idempotent). Can be stamped later with {@link stampProducerState}. */
  producerId?: bigint
  /** Default -1. */
  producerEpoch?: number
  /** Default -1. */
  baseSequence?: number
  /** Default -1 (the broker fills it in). */
  partitionLeaderEpoch?: number
}

/** Options for a new {@link RecordBatchBuilder}. */
export interface RecordBatchBuilderOptions {
  /** Initial buffer size in bytes (it grows by doubling). Default 16 KiB; set it near the expected batch size. */
  initialCapacity?: number
}

function uvarintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5
}

/** Size of a zigzag varint length field (-1 for null, else a non-negative length). */
function lengthFieldSize(length: number): number {
  return length < 0 ? 1 : uvarintSize(length * 2)
}

/** Writes an unsigned varint of a value in [0, 2^32). */
function writeUvarint(b: Buffer, o: number, value: number): number {
  while (value >= 0x80) {
    b[o++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  b[o++] = value
  return o
}

function varlongSize(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1
  let size = 1
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 128)
    size++
  }
  return size
}

/** Zigzag varlong of a safe integer, without BigInt. */
function writeVarlong(b: Buffer, o: number, value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1
  while (zigzag >= 0x80) {
    b[o++] = (zigzag % 128) | 0x80
    zigzag = Math.floor(zigzag / 128)
  }
  b[o++] = zigzag
  return o
}

function utf8Length(s: string): number {
  const n = s.length
  if (n < SHORT_STRING) {
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8')
    return n
  }
  return Buffer.byteLength(s, 'utf8')
}

function byteLengthOf(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return -1
  return typeof data === 'string' ? utf8Length(data) : data.length
}

/** Writes a zigzag length and the bytes of `data` whose byte length is `length` (-1 for null). */
function writeLengthAndData(b: Buffer, o: number, data: Buffer | string | null | undefined, length: number): number {
  if (length < 0) {
    b[o++] = 1 // zigzag(-1)
    return o
  }
  o = writeUvarint(b, o, length * 2)
  if (typeof data === 'string') {
    if (length === data.length && length < SHORT_STRING) {
      for (let i = 0; i < length; i++) b[o + i] = data.charCodeAt(i)
    } else {
      b.write(data, o, length, 'utf8')
    }
  } else if (length < SHORT_BYTES) {
    const bytes = data as Buffer
    for (let i = 0; i < length; i++) b[o + i] = bytes[i]!
  } else {
    b.set(data as Buffer, o)
  }
  return o + length
}

/**
 * Stamps producer id, epoch and base sequence into a sealed v2 batch, in place,
 * and recomputes its CRC. The idempotent producer calls this when it sends a
 * batch (sequence numbers are assigned at send time, not at append time).
 * Given `recordsCrc` (the CRC-32C of the records section, which stamping does
 * not change; {@link SealedRecordBatch.recordsCrc}) only the 40 header bytes are
 * checksummed again instead of the whole batch.
 *
 * @example
 * ```ts
 * const sealed = builder.seal({ compression: 'lz4' })
 * stampProducerState(sealed.bytes, 4000n, 0, nextSequence)
 * ```
 */
export function stampProducerState(batchBytes: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number, recordsCrc?: number): void {
  if (batchBytes.length < RECORD_BATCH_HEADER_BYTES || batchBytes[MAGIC_OFFSET] !== 2) {
    throw new ProtocolEncodeError('stampProducerState needs a sealed RecordBatch v2 (magic 2)')
  }
  batchBytes.writeBigInt64BE(producerId, PRODUCER_ID_OFFSET)
  batchBytes.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET)
  batchBytes.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET)
  writeCrc(batchBytes, recordsCrc)
}

/** The batch CRC: over the header from the attributes on, then the records (from `recordsCrc` when known). */
function writeCrc(bytes: Buffer, recordsCrc: number | undefined): void {
  const crc =
    recordsCrc === undefined
      ? crc32c(bytes, RECORD_BATCH_CRC_START)
      : crc32cCombine(crc32c(bytes, RECORD_BATCH_CRC_START, RECORD_BATCH_HEADER_BYTES), recordsCrc, bytes.length - RECORD_BATCH_HEADER_BYTES)
  bytes.writeUInt32BE(crc, CRC_OFFSET)
}

function writeTimestamp(b: Buffer, o: number, timestamp: number): void {
  b.writeInt32BE(Math.floor(timestamp / 0x100000000), o)
  b.writeUInt32BE(timestamp >>> 0, o + 4)
}

/**
 * A finished v2 batch, ready to go into a Produce request.
 *
 * @example
 * ```ts
 * const sealed = builder.seal({ compression: 'snappy' })
 * metrics.record(sealed.recordCount, sealed.uncompressedBytes, sealed.compressedBytes)
 * sealed.stampProducerState(producerId, epoch, sequence)
 * produceRequest.partitions.push({ index: partition, records: sealed.bytes })
 * ```
 */
export class SealedRecordBatch {
  constructor(
    /** The whole batch, header included. */
    readonly bytes: Buffer,
    /** Number of records in the batch. */
    readonly recordCount: number,
    /** Size the batch would have without compression (header included). */
    readonly uncompressedBytes: number,
    /** Size of `bytes`. */
    readonly compressedBytes: number,
    /** Kafka codec id of the records section. */
    readonly codec: number,
    /** Timestamp of the first record, ms since the epoch (the batch header's base timestamp). */
    readonly baseTimestamp: number,
    /** Largest timestamp of its records. */
    readonly maxTimestamp: number,
    /** CRC-32C of the records section (after the 61-byte header), which lets a re-stamp checksum only the header. */
    readonly recordsCrc?: number,
  ) {}

  /** Offset delta of the last record (`recordCount - 1`). */
  get lastOffsetDelta(): number {
    return this.recordCount - 1
  }

  /**
   * Stamps producer id, epoch and base sequence, and recomputes the CRC.
   *
   * @example
   * ```ts
   * sealed.stampProducerState(4000n, 0, 42)
   * ```
   */
  stampProducerState(producerId: bigint, producerEpoch: number, baseSequence: number): void {
    stampProducerState(this.bytes, producerId, producerEpoch, baseSequence, this.recordsCrc)
  }
}

/**
 * Accumulates records into a RecordBatch v2, encoding each as it is appended.
 *
 * @example
 * ```ts
 * const builder = new RecordBatchBuilder({ initialCapacity: 16384 })
 * builder.append({ key: 'user-1', value: JSON.stringify(event), headers: [{ key: 'type', value: 'click' }] })
 * if (builder.sizeInBytes >= batchBytes) {
 *   const sealed = builder.seal({ compression: 'lz4' })
 *   sealed.stampProducerState(producerId, epoch, sequence)
 *   send(sealed.bytes)
 * }
 * ```
 */
export class RecordBatchBuilder {
  private buffer: Buffer
  private writeOffset = RECORD_BATCH_HEADER_BYTES
  private recordCount = 0
  private firstTimestamp = 0
  private latestTimestamp = 0
  private sealed = false

  constructor(options: RecordBatchBuilderOptions = {}) {
    const capacity = Math.max(options.initialCapacity ?? 16384, RECORD_BATCH_HEADER_BYTES + 64)
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  /** Records appended so far. */
  get count(): number {
    return this.recordCount
  }

  /** Size of the batch if sealed now without compression, header included. */
  get sizeInBytes(): number {
    return this.writeOffset
  }

  /** Timestamp of the first record (the batch's base timestamp); undefined while empty. */
  get firstTimestampMs(): number | undefined {
    return this.recordCount === 0 ? undefined : this.firstTimestamp
  }

  /** Largest record timestamp so far; undefined while empty. */
  get maxTimestampMs(): number | undefined {
    return this.recordCount === 0 ? undefined : this.latestTimestamp
  }

  /**
   * Encodes `record` into the batch.
   *
   * @returns the record's offset delta within the batch (0 for the first).
   */
  append(record: ProducerRecord): number {
    if (this.sealed) throw new ProtocolEncodeError('cannot append to a sealed RecordBatchBuilder; start a new one')
    const timestamp = record.timestamp === undefined ? Date.now() : record.timestamp
    let timestampDelta: number
    if (this.recordCount === 0) {
      if (!Number.isSafeInteger(timestamp)) throw new ProtocolEncodeError(`record timestamp must be an integer of milliseconds, got ${timestamp}`)
      this.firstTimestamp = timestamp
      this.latestTimestamp = timestamp
      timestampDelta = 0
    } else {
      timestampDelta = timestamp - this.firstTimestamp
      if (timestamp > this.latestTimestamp) this.latestTimestamp = timestamp
    }
    let timestampZigzag = -1
    let timestampSize: number
    if ((timestampDelta | 0) === timestampDelta) {
      timestampZigzag = ((timestampDelta << 1) ^ (timestampDelta >> 31)) >>> 0
      timestampSize = uvarintSize(timestampZigzag)
    } else {
      if (!Number.isSafeInteger(timestampDelta)) throw new ProtocolEncodeError(`record timestamp must be an integer of milliseconds, got ${timestamp}`)
      timestampSize = varlongSize(timestampDelta)
    }

    const key = record.key
    const value = record.value
    const keyLength = byteLengthOf(key)
    const valueLength = byteLengthOf(value)
    const headers = record.headers
    const headerCount = headers === undefined ? 0 : headers.length
    let headersSize = uvarintSize(headerCount * 2)
    for (let i = 0; i < headerCount; i++) {
      const header = headers![i]!
      const headerKeyLength = utf8Length(header.key)
      const headerValueLength = byteLengthOf(header.value)
      headersSize += uvarintSize(headerKeyLength * 2) + headerKeyLength + lengthFieldSize(headerValueLength) + Math.max(headerValueLength, 0)
    }
    const offsetDeltaZigzag = this.recordCount * 2
    const bodySize =
      1 +
      timestampSize +
      uvarintSize(offsetDeltaZigzag) +
      lengthFieldSize(keyLength) +
      (keyLength > 0 ? keyLength : 0) +
      lengthFieldSize(valueLength) +
      (valueLength > 0 ? valueLength : 0) +
      headersSize
    const recordSize = uvarintSize(bodySize * 2) + bodySize
    if (this.writeOffset + recordSize > this.buffer.length) this.grow(recordSize)

    const b = this.buffer
    let o = writeUvarint(b, this.writeOffset, bodySize * 2)
    b[o++] = 0 // record attributes: unused
    o = timestampZigzag >= 0 ? writeUvarint(b, o, timestampZigzag) : writeVarlong(b, o, timestampDelta)
    o = writeUvarint(b, o, offsetDeltaZigzag)
    o = writeLengthAndData(b, o, key, keyLength)
    o = writeLengthAndData(b, o, value, valueLength)
    o = writeUvarint(b, o, headerCount * 2)
    for (let i = 0; i < headerCount; i++) {
      const header = headers![i]!
      o = writeLengthAndData(b, o, header.key, utf8Length(header.key))
      o = writeLengthAndData(b, o, header.value, byteLengthOf(header.value))
    }
    this.writeOffset = o
    return this.recordCount++
  }

  private grow(recordSize: number): void {
    const needed = this.writeOffset + recordSize
    if (needed > MAX_BATCH_BYTES) throw new ProtocolEncodeError(`record batch would exceed ${MAX_BATCH_BYTES} bytes`)
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    const grown = Buffer.allocUnsafe(Math.min(capacity, MAX_BATCH_BYTES))
    this.buffer.copy(grown, 0, 0, this.writeOffset)
    this.buffer = grown
  }

  /**
   * Compresses the records (if asked), writes the header, computes the CRC.
   * The builder cannot be appended to afterwards.
   *
   * @throws ProtocolEncodeError when the batch is empty.
   */
  seal(options: SealOptions = {}): SealedRecordBatch {
    const codecId = codecIdOf(options.compression ?? 0)
    const records = this.takeRecords()
    return sealRecords(records, compressRecords(codecId, records.buffer, records.end), options)
  }

  /**
   * Ends the batch and hands over its encoded records, to be compressed
   * elsewhere (a worker: {@link compressRecords} is a pure function of the
   * bytes) and finished with {@link sealRecords}. `seal()` is exactly these
   * three steps on one thread. The builder cannot be appended to afterwards.
   *
   * @throws ProtocolEncodeError when the batch is empty or already sealed.
   * @example
   * ```ts
   * const records = builder.takeRecords()
   * const compressed = await pool.compress(3, records.buffer, records.end)
   * const sealed = sealRecords(records, compressed, { producerId, producerEpoch, baseSequence })
   * ```
   */
  takeRecords(): UnsealedRecords {
    if (this.sealed) throw new ProtocolEncodeError('RecordBatchBuilder is already sealed')
    if (this.recordCount === 0) throw new ProtocolEncodeError('cannot seal an empty record batch')
    this.sealed = true
    const records: UnsealedRecords = {
      buffer: this.buffer,
      end: this.writeOffset,
      recordCount: this.recordCount,
      firstTimestamp: this.firstTimestamp,
      maxTimestamp: this.latestTimestamp,
    }
    this.buffer = Buffer.alloc(0)
    return records
  }
}

/**
 * A batch's encoded records, taken from its builder by
 * {@link RecordBatchBuilder.takeRecords}: what {@link sealRecords} needs besides
 * the compressed bytes.
 */
export interface UnsealedRecords {
  /** The builder's buffer: 61 bytes kept for the header, then the records up to {@link end}. */
  readonly buffer: Buffer
  /** Where the records end in `buffer`. */
  readonly end: number
  /** Number of records. */
  readonly recordCount: number
  /** Timestamp of the first record (the batch's base timestamp). */
  readonly firstTimestamp: number
  /** Largest timestamp of the records. */
  readonly maxTimestamp: number
}

/** The records section of a batch as it will be sent, with room for the header in front. */
export interface CompressedRecords {
  /** {@link RECORD_BATCH_HEADER_BYTES} bytes for the header, then the (compressed) records. */
  readonly bytes: Buffer
  /** CRC-32C of the records section (`bytes` after the header room). */
  readonly recordsCrc: number
  /** Kafka codec id the records are compressed with. */
  readonly codec: number
}

/**
 * Compresses the records `buffer[RECORD_BATCH_HEADER_BYTES, end)` with the codec
 * registered for `codecId` and checksums the result: a pure function of the
 * bytes, so it can run on a worker thread. With codec 0 the bytes are not copied
 * (the result shares `buffer`).
 *
 * @example
 * ```ts
 * const { bytes, recordsCrc } = compressRecords(3, records.buffer, records.end)
 * ```
 */
export function compressRecords(codecId: number, buffer: Buffer, end: number): CompressedRecords {
  let bytes: Buffer
  if (codecId === 0) {
    bytes = buffer.subarray(0, end)
  } else {
    const codec = getCodec(codecId)
    const records = buffer.subarray(RECORD_BATCH_HEADER_BYTES, end)
    if (codec.compressWithHeadroom !== undefined) {
      bytes = codec.compressWithHeadroom(records, RECORD_BATCH_HEADER_BYTES)
    } else {
      const compressed = codec.compress(records)
      bytes = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + compressed.length)
      bytes.set(compressed, RECORD_BATCH_HEADER_BYTES)
    }
  }
  if (bytes.length - 12 > MAX_BATCH_BYTES) throw new ProtocolEncodeError(`record batch would exceed ${MAX_BATCH_BYTES} bytes`)
  return { bytes, recordsCrc: crc32c(bytes, RECORD_BATCH_HEADER_BYTES), codec: codecId }
}

/**
 * Writes the header in front of compressed records and computes the batch CRC
 * from the header bytes and `compressed.recordsCrc` (the records are not read
 * again). The compression named in `options`, if any, must be the one used.
 *
 * @example
 * ```ts
 * const sealed = sealRecords(builder.takeRecords(), compressed, { producerId: 4000n, producerEpoch: 0, baseSequence: 0 })
 * ```
 */
export function sealRecords(records: UnsealedRecords, compressed: CompressedRecords, options: SealOptions = {}): SealedRecordBatch {
  if (options.compression !== undefined && codecIdOf(options.compression) !== compressed.codec) {
    throw new ProtocolEncodeError(`records were compressed with codec ${compressed.codec}, not ${String(options.compression)}`)
  }
  const bytes = compressed.bytes
  const codecId = compressed.codec
  let attributes = codecId
  if (options.timestampType === 'log-append') attributes |= ATTRIBUTE_LOG_APPEND_TIME
  if (options.transactional === true || options.control === true) attributes |= ATTRIBUTE_TRANSACTIONAL
  if (options.control === true) attributes |= ATTRIBUTE_CONTROL
  bytes.writeBigInt64BE(0n, 0)
  bytes.writeInt32BE(bytes.length - 12, BATCH_LENGTH_OFFSET)
  bytes.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET)
  bytes[MAGIC_OFFSET] = 2
  bytes.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  bytes.writeInt32BE(records.recordCount - 1, LAST_OFFSET_DELTA_OFFSET)
  writeTimestamp(bytes, BASE_TIMESTAMP_OFFSET, records.firstTimestamp)
  writeTimestamp(bytes, MAX_TIMESTAMP_OFFSET, records.maxTimestamp)
  bytes.writeBigInt64BE(options.producerId ?? -1n, PRODUCER_ID_OFFSET)
  bytes.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET)
  bytes.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_OFFSET)
  bytes.writeInt32BE(records.recordCount, RECORD_COUNT_OFFSET)
  writeCrc(bytes, compressed.recordsCrc)
  return new SealedRecordBatch(bytes, records.recordCount, records.end, bytes.length, codecId, records.firstTimestamp, records.maxTimestamp, compressed.recordsCrc)
}

/** Options for {@link buildControlBatch}. */
export interface ControlBatchOptions {
  /** `commit` (type 1) or `abort` (type 0). */
  type: 'commit' | 'abort'
  /** The transaction coordinator's epoch, written into the marker. */
  coordinatorEpoch: number
  /** The transactional producer the marker ends a transaction of. */
  producerId: bigint
  /** That producer's epoch. */
  producerEpoch: number
  /** Default `Date.now()`. */
  timestamp?: number
  /** Default -1. */
  partitionLeaderEpoch?: number
}

/**
 * A transaction marker: a control batch with one control record whose key is
 * {version int16 = 0, type int16 (0 abort, 1 commit)} and whose value is
 * {version int16 = 0, coordinatorEpoch int32}.
 *
 * @example
 * ```ts
 * const marker = buildControlBatch({ type: 'commit', coordinatorEpoch: 3, producerId: 4000n, producerEpoch: 1 })
 * ```
 */
export function buildControlBatch(options: ControlBatchOptions): SealedRecordBatch {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(options.type === 'commit' ? 1 : 0, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(options.coordinatorEpoch, 2)
  const builder = new RecordBatchBuilder({ initialCapacity: 128 })
  builder.append({ key, value, timestamp: options.timestamp ?? Date.now() })
  return builder.seal({
    control: true,
    transactional: true,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
  })
}
