import { CorruptRecordError } from '../../errors/index.js'
import type { ConsumedRecord, DecodedRecordBatch, RecordBatchContext } from './record-batch-decoder.js'

/** A transaction marker, read from a control batch's record. */
export interface ControlRecord {
  /** Which end of a transaction the marker is. */
  type: 'commit' | 'abort'
  /** -1 when the value is absent. */
  coordinatorEpoch: number
}

/**
 * Reads the control record of a control batch: key {version int16, type int16 (0 abort, 1 commit)},
 * value {version int16, coordinatorEpoch int32}.
 *
 * @throws CorruptRecordError when the key is not a known control record.
 * @example
 * ```ts
 * if (batch.isControl) {
 *   const marker = parseControlRecord(batch.records()[0]!, batch, { topic, partition })
 *   if (marker.type === 'abort') dropProducer(batch.producerId)
 * }
 * ```
 */
export function parseControlRecord(record: ConsumedRecord, batch: DecodedRecordBatch, context: RecordBatchContext): ControlRecord {
  const fail = (what: string): never => {
    throw new CorruptRecordError(what, { topic: context.topic, partition: context.partition, offset: record.offset })
  }
  if (!batch.isControl) fail('parseControlRecord called on a record of a batch that is not a control batch')
  const key = record.key
  if (key === null || key.length < 4) fail('control record key is shorter than 4 bytes')
  const type = key!.readInt16BE(2)
  if (type !== 0 && type !== 1) fail(`control record type ${type} is not a transaction marker (0 abort, 1 commit)`)
  const value = record.value
  const coordinatorEpoch = value !== null && value.length >= 6 ? value.readInt32BE(2) : -1
  return { type: type === 1 ? 'commit' : 'abort', coordinatorEpoch }
}
