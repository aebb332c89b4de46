/**
 * Legacy message sets (magic 0 and 1), read so that old data stays readable.
 *
 * Entry: offset int64, message size int32, then the message:
 * crc uint32 (CRC-32 of the rest of the message), magic int8, attributes int8
 * (bits 0-2 codec, bit 3 timestamp type in magic 1), timestamp int64 (magic 1
 * only), key (int32 length, -1 = null), value (likewise).
 *
 * A compressed message is a wrapper: its value is a compressed message set of
 * uncompressed inner messages. In a magic-1 wrapper the inner offsets are
 * relative (0, 1, ...) and the wrapper's own offset is that of the last inner
 * message; in a magic-0 wrapper the inner offsets are absolute. A magic-1
 * wrapper with log-append time gives every inner message its own timestamp.
 *
 * Each top-level entry becomes one {@link DecodedRecordBatch}, as Kafka's own
 * clients present them. Records are decoded eagerly: legacy data is rare and a
 * wrapper's record count is only known after decompressing it.
 */
import * as bufferCrc32Module from 'buffer-crc32'
import { CodecUnavailableError, DecompressedSizeExceededError, getCodec } from '../compression/index.js'
import { CorruptRecordError } from '../../errors/index.js'
import type { ConsumedRecord, DecodedRecordBatch, TimestampType } from './record-batch-decoder.js'
import { NO_HEADERS, type RecordBatchContext } from './record-cursor.js'

/** crc + magic + attributes + key length + value length. */
export const LEGACY_MIN_SIZE_V0 = 14
/** As magic 0 plus the timestamp. */
export const LEGACY_MIN_SIZE_V1 = 22

const LOG_OVERHEAD = 12

/**
 * buffer-crc32's ESM build has a default export, but its bundled types declare
 * `export =`, which TypeScript will not default-import from ESM; this takes the
 * function from whichever shape the runtime module has.
 */
const crc32 = ((bufferCrc32Module as unknown as { default?: typeof bufferCrc32Module }).default ?? bufferCrc32Module)

interface LegacyMessage {
  magic: number
  attributes: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

class LegacyRecordBatch implements DecodedRecordBatch {
  readonly partitionLeaderEpoch = -1
  readonly isTransactional = false
  readonly isControl = false
  readonly producerId = -1n
  readonly producerEpoch = -1
  readonly baseSequence = -1
  readonly baseOffset: bigint
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly recordCount: number

  constructor(
    readonly magic: number,
    readonly compression: number,
    readonly timestampType: TimestampType,
    readonly sizeInBytes: number,
    private readonly decoded: ConsumedRecord[],
  ) {
    const first = decoded[0]!
    this.baseOffset = first.offset
    this.lastOffsetDelta = Number(decoded[decoded.length - 1]!.offset - first.offset)
    this.baseTimestamp = first.timestamp
    let max = first.timestamp
    for (const record of decoded) if (record.timestamp > max) max = record.timestamp
    this.maxTimestamp = max
    this.recordCount = decoded.length
  }

  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta)
  }

  records(): ConsumedRecord[] {
    return this.decoded
  }
}

/** Reads one message occupying `bytes[start, end)` (from its crc field on). */
function readMessage(
  bytes: Buffer,
  start: number,
  end: number,
  verifyCrc: boolean,
  fail: (what: string, at: number) => never,
): LegacyMessage {
  const magic = bytes[start + 4]!
  if (magic > 1) fail(`magic ${magic} message inside a legacy message set`, start + 4)
  const minimum = magic === 0 ? LEGACY_MIN_SIZE_V0 : LEGACY_MIN_SIZE_V1
  if (end - start < minimum) fail(`message of ${end - start} bytes is shorter than a magic ${magic} message`, start)
  if (verifyCrc) {
    const stored = bytes.readUInt32BE(start)
    const computed = crc32.unsigned(bytes.subarray(start + 4, end))
    if (stored !== computed) fail(`CRC-32 mismatch: message says 0x${stored.toString(16)}, bytes give 0x${computed.toString(16)}`, start)
  }
  const attributes = bytes[start + 5]!
  let pos = start + 6
  let timestamp = -1
  if (magic === 1) {
    timestamp = bytes.readInt32BE(pos) * 0x100000000 + bytes.readUInt32BE(pos + 4)
    pos += 8
  }
  const readBytes = (what: string): Buffer | null => {
    if (end - pos < 4) fail(`truncated ${what} length`, pos)
    const length = bytes.readInt32BE(pos)
    pos += 4
    if (length === -1) return null
    if (length < -1 || length > end - pos) fail(`${what} length ${length} exceeds the ${end - pos} bytes left`, pos - 4)
    const view = bytes.subarray(pos, pos + length)
    pos += length
    return view
  }
  const key = readBytes('key')
  const value = readBytes('value')
  if (pos !== end) fail(`${end - pos} bytes left after the message's value`, pos)
  return { magic, attributes, timestamp, key, value }
}

/** Decodes the legacy entry at `bytes[pos, pos + total)`, which the caller has checked is complete. */
export function decodeLegacyEntry(
  bytes: Buffer,
  pos: number,
  total: number,
  context: RecordBatchContext,
  verifyCrc: boolean,
  maxDecompressedBytes: number,
): DecodedRecordBatch {
  const offset = bytes.readBigInt64BE(pos)
  const location = { topic: context.topic, partition: context.partition, offset }
  const fail = (what: string, at: number): never => {
    throw new CorruptRecordError(what, { ...location, byteOffset: at })
  }
  const message = readMessage(bytes, pos + LOG_OVERHEAD, pos + total, verifyCrc, fail)
  const codecId = message.attributes & 0x07
  const timestampType: TimestampType = message.magic === 0 ? 'none' : (message.attributes & 0x08) !== 0 ? 'log-append' : 'create'
  if (codecId === 0) {
    const record: ConsumedRecord = { offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: NO_HEADERS }
    return new LegacyRecordBatch(message.magic, 0, timestampType, total, [record])
  }
  if (codecId > 3) fail(`compression codec ${codecId} is not valid in a magic ${message.magic} message`, pos + 17)
  if (message.value === null) fail('compressed wrapper message has a null value', pos + 12)
  const codec = getCodec(codecId, location)
  let inner: Buffer
  try {
    inner = codec.decompress(message.value!, maxDecompressedBytes)
  } catch (error) {
    if (error instanceof DecompressedSizeExceededError) {
      throw new DecompressedSizeExceededError(codec.name, error.maxOutputBytes, { ...location, cause: error })
    }
    if (error instanceof CodecUnavailableError) throw error
    throw new CorruptRecordError(`${codec.name}-compressed wrapper message does not decompress`, { ...location, cause: error })
  }
  const failInner = (what: string, at: number): never => {
    throw new CorruptRecordError(`${what} (byte offset in the decompressed wrapper)`, { ...location, byteOffset: at })
  }
  const innerOffsets: bigint[] = []
  const innerMessages: LegacyMessage[] = []
  let p = 0
  while (p < inner.length) {
    if (inner.length - p < LOG_OVERHEAD) failInner('truncated inner message header', p)
    const innerOffset = inner.readBigInt64BE(p)
    const innerSize = inner.readInt32BE(p + 8)
    if (innerSize < LEGACY_MIN_SIZE_V0 || innerSize > inner.length - p - LOG_OVERHEAD) {
      failInner(`inner message length ${innerSize} is impossible with ${inner.length - p - LOG_OVERHEAD} bytes left`, p + 8)
    }
    const innerMessage = readMessage(inner, p + LOG_OVERHEAD, p + LOG_OVERHEAD + innerSize, verifyCrc, failInner)
    if ((innerMessage.attributes & 0x07) !== 0) failInner('compressed message nested inside a compressed wrapper', p + 17)
    innerOffsets.push(innerOffset)
    innerMessages.push(innerMessage)
    p += LOG_OVERHEAD + innerSize
  }
  if (innerMessages.length === 0) fail('compressed wrapper message holds no messages', pos)
  const relativeBase = message.magic === 1 ? offset - innerOffsets[innerOffsets.length - 1]! : 0n
  const logAppendTime = timestampType === 'log-append'
  const records: ConsumedRecord[] = innerMessages.map((m, i) => ({
    offset: relativeBase + innerOffsets[i]!,
    timestamp: logAppendTime ? message.timestamp : m.timestamp,
    key: m.key,
    value: m.value,
    headers: NO_HEADERS,
  }))
  return new LegacyRecordBatch(message.magic, codecId, timestampType, total, records)
}
