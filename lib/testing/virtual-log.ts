/**
 * The log of one partition of the virtual cluster: whole RecordBatch v2
 * batches as producers sent them, each copied and stamped with its offsets,
 * plus the idempotent-producer state a broker keeps per producer id.
 */
import { ErrorCode } from '../protocol/error-codes.js'
import { crc32c } from '../protocol/records/crc32c.js'
import { decodeRecordBatches, type DecodedRecordBatch } from '../protocol/records/record-batch-decoder.js'
import {
  ATTRIBUTE_LOG_APPEND_TIME,
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_CRC_START,
} from '../protocol/records/record-batch-builder.js'

/** A broker remembers this many recent batches per producer to recognise retried duplicates. */
const DUPLICATE_WINDOW = 5
const MAX_SEQUENCE = 0x7fffffff

/** A batch stored in the log: its bytes (baseOffset already rewritten) and the header facts reads need. */
export interface StoredBatch {
  readonly bytes: Buffer
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly maxTimestamp: number
  readonly decoded: DecodedRecordBatch
}

interface ProducerBatchMetadata {
  firstSequence: number
  lastSequence: number
  baseOffset: bigint
  logAppendTimeMs: bigint
}

interface ProducerPartitionState {
  epoch: number
  /** Last sequence appended (-1 before the first batch of an epoch). */
  lastSequence: number
  recent: ProducerBatchMetadata[]
}

/** What appending one batch produced: an error code, or where it went. */
export type AppendOutcome =
  | { errorCode: 0; baseOffset: bigint; logAppendTimeMs: bigint }
  | { errorCode: number; errorMessage: string }

function readTimestamp(b: Buffer, o: number): number {
  return b.readInt32BE(o) * 0x100000000 + b.readUInt32BE(o + 4)
}

function writeTimestamp(b: Buffer, o: number, timestamp: number): void {
  b.writeInt32BE(Math.floor(timestamp / 0x100000000), o)
  b.writeUInt32BE(timestamp >>> 0, o + 4)
}

function nextSequence(sequence: number, count: number): number {
  const next = sequence + count
  return next > MAX_SEQUENCE ? next - MAX_SEQUENCE - 1 : next
}

/** One partition's log. */
export class PartitionLog {
  readonly batches: StoredBatch[] = []
  /** The next offset to assign (log end offset; also the high watermark, since every replica has every batch at once). */
  endOffset = 0n
  logStartOffset = 0n
  private readonly producers = new Map<bigint, ProducerPartitionState>()
  /** Producer id -> first offset of its open transaction here: what holds the last stable offset back. */
  readonly openTransactions = new Map<bigint, bigint>()
  /** Aborted transactions, for read_committed fetches (Fetch's abortedTransactions). */
  readonly abortedTransactions: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }[] = []

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /**
   * Validates and appends the `records` of a Produce request: exactly one v2
   * batch, whose sequence numbers fit the producer's state as a broker checks them.
   */
  append(records: Buffer | null, leaderEpoch: number, nowMs: number): AppendOutcome {
    if (records === null || records.length === 0) {
      return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: 'the request carries no record batch for this partition' }
    }
    let decoded: DecodedRecordBatch[]
    try {
      const result = decodeRecordBatches(records, { topic: this.topic, partition: this.partition })
      if (result.truncated) {
        return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'the record batch is cut short' }
      }
      decoded = result.batches
    } catch (error) {
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: error instanceof Error ? error.message : String(error) }
    }
    if (decoded.length !== 1 || decoded[0]!.magic !== 2) {
      return {
        errorCode: ErrorCode.INVALID_RECORD,
        errorMessage: `Produce v3+ takes exactly one RecordBatch v2 per partition, got ${decoded.length} entries`,
      }
    }
    const incoming = decoded[0]!
    if (incoming.isControl) {
      return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: 'producers may not write control batches; the coordinator writes the markers' }
    }

    const count = incoming.lastOffsetDelta + 1
    const logAppend = incoming.timestampType === 'log-append'
    const logAppendTimeMs = logAppend ? BigInt(nowMs) : -1n

    let producer: ProducerPartitionState | undefined
    if (incoming.producerId >= 0n) {
      const checked = this.checkSequence(incoming, count)
      if ('errorCode' in checked) return checked
      producer = checked.state
      if (checked.duplicateOf !== undefined) {
        return { errorCode: 0, baseOffset: checked.duplicateOf.baseOffset, logAppendTimeMs: checked.duplicateOf.logAppendTimeMs }
      }
    }

    // The base offset and leader epoch sit outside the CRC, so stamping them keeps the producer's CRC valid.
    const bytes = Buffer.from(records.subarray(0, incoming.sizeInBytes))
    const baseOffset = this.endOffset
    bytes.writeBigInt64BE(baseOffset, 0)
    bytes.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
    if (logAppend) {
      writeTimestamp(bytes, MAX_TIMESTAMP_OFFSET, nowMs)
      bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_OFFSET) | ATTRIBUTE_LOG_APPEND_TIME, ATTRIBUTES_OFFSET)
      bytes.writeUInt32BE(crc32c(bytes, RECORD_BATCH_CRC_START), CRC_OFFSET)
    }
    // A transactional batch opens (or continues) its producer's transaction here; the coordinator checked its epoch.
    if (incoming.isTransactional && !this.openTransactions.has(incoming.producerId)) this.openTransactions.set(incoming.producerId, baseOffset)
    this.store(bytes)
    if (producer !== undefined) {
      producer.lastSequence = nextSequence(incoming.baseSequence, count - 1)
      producer.recent.push({ firstSequence: incoming.baseSequence, lastSequence: producer.lastSequence, baseOffset, logAppendTimeMs })
      if (producer.recent.length > DUPLICATE_WINDOW) producer.recent.shift()
    }
    return { errorCode: 0, baseOffset, logAppendTimeMs }
  }

  /** The end of what read_committed readers may see: the first offset of the oldest open transaction, or the log end. */
  get lastStableOffset(): bigint {
    let lso = this.endOffset
    for (const first of this.openTransactions.values()) if (first < lso) lso = first
    return lso
  }

  /**
   * Ends the producer's transaction here with a control batch (the marker): a commit makes its records visible to
   * read_committed readers, an abort hides them (they stay in the log, listed in abortedTransactions).
   */
  writeMarker(marker: Buffer, producerId: bigint, commit: boolean, leaderEpoch: number): void {
    const first = this.openTransactions.get(producerId)
    if (first === undefined) return
    const bytes = Buffer.from(marker)
    const markerOffset = this.endOffset
    bytes.writeBigInt64BE(markerOffset, 0)
    bytes.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
    this.store(bytes)
    this.openTransactions.delete(producerId)
    if (!commit) this.abortedTransactions.push({ producerId, firstOffset: first, lastOffset: markerOffset })
  }

  /** The aborted transactions a read_committed fetch of [from, to) must be told about. */
  abortedIn(from: bigint, to: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.abortedTransactions.filter((t) => t.lastOffset >= from && t.firstOffset < to).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
  }

  private store(bytes: Buffer): void {
    const decoded = decodeRecordBatches(bytes, { topic: this.topic, partition: this.partition }).batches[0]!
    this.batches.push({
      bytes,
      baseOffset: decoded.baseOffset,
      lastOffset: decoded.lastOffset,
      maxTimestamp: readTimestamp(bytes, MAX_TIMESTAMP_OFFSET),
      decoded,
    })
    this.endOffset = decoded.lastOffset + 1n
  }

  private checkSequence(
    incoming: DecodedRecordBatch,
    count: number,
  ):
    | { state: ProducerPartitionState; duplicateOf?: ProducerBatchMetadata }
    | { errorCode: number; errorMessage: string } {
    const firstSequence = incoming.baseSequence
    const lastSequence = nextSequence(firstSequence, count - 1)
    const known = this.producers.get(incoming.producerId)
    if (known === undefined || incoming.producerEpoch > known.epoch) {
      // A producer's first batch on this partition in an epoch must start the sequence at 0.
      if (firstSequence !== 0) {
        return {
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          errorMessage: `producer ${incoming.producerId} epoch ${incoming.producerEpoch} starts at sequence ${firstSequence}, expected 0`,
        }
      }
      const state: ProducerPartitionState = { epoch: incoming.producerEpoch, lastSequence: -1, recent: [] }
      this.producers.set(incoming.producerId, state)
      return { state }
    }
    if (incoming.producerEpoch < known.epoch) {
      return {
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        errorMessage: `producer ${incoming.producerId} epoch ${incoming.producerEpoch} is older than the current epoch ${known.epoch}`,
      }
    }
    const duplicate = known.recent.find((b) => b.firstSequence === firstSequence && b.lastSequence === lastSequence)
    if (duplicate !== undefined) return { state: known, duplicateOf: duplicate }
    const expected = nextSequence(known.lastSequence, 1)
    if (firstSequence === expected) return { state: known }
    const behind = known.lastSequence >= 0 && firstSequence <= known.lastSequence && firstSequence > known.lastSequence - 0x40000000
    if (behind) {
      return {
        errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
        errorMessage: `producer ${incoming.producerId} sequence ${firstSequence}..${lastSequence} was already written (last is ${known.lastSequence})`,
      }
    }
    return {
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      errorMessage: `producer ${incoming.producerId} sent sequence ${firstSequence}, expected ${expected}`,
    }
  }

  /** Batches from the one holding `offset`, whole, until `maxBytes` (at least one when `atLeastOne`). */
  read(offset: bigint, maxBytes: number, atLeastOne: boolean): StoredBatch[] {
    const out: StoredBatch[] = []
    let index = this.indexOf(offset)
    let bytes = 0
    for (; index < this.batches.length; index++) {
      const batch = this.batches[index]!
      if (bytes + batch.bytes.length > maxBytes && !(atLeastOne && out.length === 0)) break
      out.push(batch)
      bytes += batch.bytes.length
    }
    return out
  }

  /** Index of the first batch whose last offset is at or after `offset`. */
  private indexOf(offset: bigint): number {
    let low = 0
    let high = this.batches.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.batches[mid]!.lastOffset < offset) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The first offset whose record timestamp is at or after `timestamp`, with that timestamp; undefined when none is. */
  offsetForTimestamp(timestamp: number): { offset: bigint; timestamp: number } | undefined {
    for (const batch of this.batches) {
      if (batch.maxTimestamp < timestamp) continue
      for (const record of batch.decoded.records()) {
        if (record.offset >= this.logStartOffset && record.timestamp >= timestamp) return { offset: record.offset, timestamp: record.timestamp }
      }
    }
    return undefined
  }

  /** The offset and timestamp of the record with the largest timestamp (the first of equals). */
  maxTimestampRecord(): { offset: bigint; timestamp: number } | undefined {
    let best: { offset: bigint; timestamp: number } | undefined
    for (const batch of this.batches) {
      if (best !== undefined && batch.maxTimestamp <= best.timestamp) continue
      for (const record of batch.decoded.records()) {
        if (best === undefined || record.timestamp > best.timestamp) best = { offset: record.offset, timestamp: record.timestamp }
      }
    }
    return best
  }

  /** Drops whole batches that end before `offset`, as retention would. */
  truncateBefore(offset: bigint): void {
    while (this.batches.length > 0 && this.batches[0]!.lastOffset < offset) this.batches.shift()
    this.logStartOffset = offset > this.endOffset ? this.endOffset : offset
  }
}
