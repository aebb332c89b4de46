/** Shared helpers of the virtual cluster specs. */
import { expect } from 'vitest'
import type { Observable, SchedulerLike } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { decodeRecordBatches } from '../../lib/protocol/records/record-batch-decoder.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'

export function createTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

/** What an Observable did, and at which frame. */
export type Event<T> = { at: number; next: T } | { at: number; error: unknown } | { at: number; complete: true }

/** Subscribes now and records every notification with the scheduler's time. */
export function recordEvents<T>(source: Observable<T>, scheduler: SchedulerLike): Event<T>[] {
  const events: Event<T>[] = []
  source.subscribe({
    next: (next) => events.push({ at: scheduler.now(), next }),
    error: (error: unknown) => events.push({ at: scheduler.now(), error }),
    complete: () => events.push({ at: scheduler.now(), complete: true }),
  })
  return events
}

/** The single value a recorded request produced (fails the test otherwise). */
export function onlyValue<T>(events: Event<T>[]): T {
  const values = events.filter((e): e is { at: number; next: T } => 'next' in e)
  const errors = events.filter((e): e is { at: number; error: unknown } => 'error' in e)
  if (errors.length > 0) throw errors[0]!.error
  expect(values).toHaveLength(1)
  return values[0]!.next
}

export interface BatchOptions {
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  timestamp?: number
  timestampType?: 'create' | 'log-append'
}

/** A RecordBatch v2 of string values, as a producer would send it. */
export function batchOf(values: readonly string[], options: BatchOptions = {}): Buffer {
  const builder = new RecordBatchBuilder({ initialCapacity: 256 })
  values.forEach((value, i) => builder.append({ key: `k${i}`, value, timestamp: (options.timestamp ?? 1_000) + i }))
  const sealed = builder.seal({ ...(options.timestampType !== undefined ? { timestampType: options.timestampType } : {}) })
  if (options.producerId !== undefined) {
    sealed.stampProducerState(options.producerId, options.producerEpoch ?? 0, options.baseSequence ?? 0)
  }
  return Buffer.from(sealed.bytes)
}

/** Offsets and values of fetched record bytes. */
export function decodeValues(records: Buffer | null | undefined): { offset: bigint; value: string | undefined }[] {
  if (records === null || records === undefined) return []
  const { batches } = decodeRecordBatches(records, { topic: 't', partition: 0 })
  return batches.flatMap((b) => b.records().map((r) => ({ offset: r.offset, value: r.value?.toString() })))
}
