/**
 * Publishers for the producer's channels: a batch sealed, a batch finished.
 * The engine calls them with what it has at hand; the payload is built only
 * when someone subscribes.
 */
import diagnostics_channel from 'node:diagnostics_channel'
import { CHANNELS, type BatchAcknowledgedEvent, type BatchEventSource, type BatchSealedEvent } from './channels.js'

const sealedChannel = diagnostics_channel.channel(CHANNELS.batchSealed)
const acknowledgedChannel = diagnostics_channel.channel(CHANNELS.batchAcknowledged)

/** What the publishers read of a batch (ProducerBatch has these). */
export interface ObservedBatch {
  readonly recordCount: number
  readonly uncompressedBytes: number
  readonly sealed: { readonly compressedBytes: number } | undefined
  readonly openedAt: number
  readonly sealedAt: number
  readonly attempts: number
}

/** The fields both events tell of the batch. */
function eventSource(clientId: string, producer: string, topic: string, partition: number, batch: ObservedBatch): BatchEventSource {
  return {
    clientId,
    producer,
    topic,
    partition,
    records: batch.recordCount,
    uncompressedBytes: batch.uncompressedBytes,
    bytes: batch.sealed?.compressedBytes ?? 0,
  }
}

/** @internal A batch was sealed and queued. */
export function batchSealed(clientId: string, producer: string, topic: string, partition: number, batch: ObservedBatch): void {
  if (!sealedChannel.hasSubscribers) return
  const event: BatchSealedEvent = {
    ...eventSource(clientId, producer, topic, partition, batch),
    lingerMs: batch.sealedAt - batch.openedAt,
  }
  sealedChannel.publish(event)
}

/** @internal A batch finished: acknowledged (`error` undefined) or failed for good. */
export function batchFinished(
  clientId: string,
  producer: string,
  topic: string,
  partition: number,
  batch: ObservedBatch,
  baseOffset: bigint | undefined,
  error: Error | undefined,
  now: number,
): void {
  if (!acknowledgedChannel.hasSubscribers) return
  const event: BatchAcknowledgedEvent = {
    ...eventSource(clientId, producer, topic, partition, batch),
    attempts: batch.attempts,
    latencyMs: now - batch.sealedAt,
    totalMs: now - batch.openedAt,
    baseOffset: baseOffset ?? -1n,
  }
  if (error !== undefined) event.error = error
  acknowledgedChannel.publish(event)
}
