/**
 * OpenTelemetry instruments fed by rxkafka's diagnostics channels (batches
 * acknowledged, fetches answered, requests, rebalances) and by the client's
 * diagnostics snapshot (consumer lag per partition, read at collection time).
 */
import diagnostics_channel from 'node:diagnostics_channel'
import type { Attributes, Meter } from '@opentelemetry/api'
import {
  CHANNELS,
  type BatchAcknowledgedEvent,
  type FetchEvent,
  type GroupRebalanceEvent,
  type RequestEvent,
} from '../observability/channels.js'
import type { KafkaDiagnostics } from '../kafka.js'
import { ATTR, errorType } from './tracing.js'

/**
 * The names of the instruments `instrumentKafka` makes. The `messaging.*` ones follow OpenTelemetry's
 * messaging semantic conventions; the `rxkafka.*` ones have no convention yet.
 *
 * @example
 * ```ts
 * import { METRICS } from 'rxkafka/otel'
 * const lag = exported.find((m) => m.descriptor.name === METRICS.consumerLag)
 * ```
 */
export const METRICS = {
  /** Counter {message}: messages the producer sent (acknowledged, or failed: with `error.type`). */
  sentMessages: 'messaging.client.sent.messages',
  /** Counter By: record-batch bytes the producer sent, after compression. */
  sentBytes: 'rxkafka.client.sent.bytes',
  /** Counter {message}: messages fetched from brokers (before the application saw them). */
  consumedMessages: 'messaging.client.consumed.messages',
  /** Counter By: record bytes fetched. */
  receivedBytes: 'rxkafka.client.received.bytes',
  /** Histogram s: a produce batch from sealed to acknowledged (retries included), `messaging.operation.name` `send`. */
  operationDuration: 'messaging.client.operation.duration',
  /** Histogram s: a consumed message from delivery to `done()` (instrumented consumers only). */
  processDuration: 'messaging.process.duration',
  /** Histogram s: one request to a broker, from written to answered, by API and broker. */
  requestDuration: 'rxkafka.request.duration',
  /** Gauge {message}: per partition, the high watermark minus the consumer's position. */
  consumerLag: 'rxkafka.consumer.lag',
  /** Counter {rebalance}: assignments a group member received. */
  rebalances: 'rxkafka.consumer.rebalances',
} as const

/** Seconds buckets of the messaging conventions for durations. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** Subscribes the instruments; the returned function unsubscribes them all. */
export function startMetrics(
  meter: Meter,
  clientId: string,
  diagnostics: () => KafkaDiagnostics,
): { stop: () => void; recordProcess: (durationMs: number, attributes: Attributes) => void } {
  const base = { [ATTR.system]: 'kafka', [ATTR.clientId]: clientId }
  const sentMessages = meter.createCounter(METRICS.sentMessages, { unit: '{message}', description: 'Messages the producer sent.' })
  const sentBytes = meter.createCounter(METRICS.sentBytes, { unit: 'By', description: 'Record-batch bytes the producer sent (after compression).' })
  const consumedMessages = meter.createCounter(METRICS.consumedMessages, { unit: '{message}', description: 'Messages fetched from brokers.' })
  const receivedBytes = meter.createCounter(METRICS.receivedBytes, { unit: 'By', description: 'Record bytes fetched from brokers.' })
  const advice = { advice: { explicitBucketBoundaries: DURATION_BUCKETS } }
  const operationDuration = meter.createHistogram(METRICS.operationDuration, { unit: 's', description: 'Produce batch from sealed to acknowledged.', ...advice })
  const processDuration = meter.createHistogram(METRICS.processDuration, { unit: 's', description: 'Consumed message from delivery to done().', ...advice })
  const requestDuration = meter.createHistogram(METRICS.requestDuration, { unit: 's', description: 'Request to a broker, written to answered.', ...advice })
  const rebalances = meter.createCounter(METRICS.rebalances, { unit: '{rebalance}', description: 'Assignments a group member received.' })
  const lag = meter.createObservableGauge(METRICS.consumerLag, { unit: '{message}', description: 'High watermark minus position, per partition.' })
  const observeLag = (result: { observe(value: number, attributes: Attributes): void }): void => {
    for (const member of diagnostics().consumers) {
      for (const p of member.partitions) {
        if (p.lag === null) continue
        result.observe(Number(p.lag), { ...base, [ATTR.consumerGroup]: member.groupId, [ATTR.destination]: p.topic, [ATTR.partition]: String(p.partition) })
      }
    }
  }
  lag.addCallback(observeLag)

  const onBatch = (message: unknown): void => {
    const e = message as BatchAcknowledgedEvent
    if (e.clientId !== clientId) return
    const attributes: Attributes = { ...base, [ATTR.operationName]: 'send', [ATTR.destination]: e.topic, [ATTR.partition]: String(e.partition) }
    if (e.error !== undefined) attributes[ATTR.errorType] = errorType(e.error)
    sentMessages.add(e.records, attributes)
    sentBytes.add(e.bytes, attributes)
    operationDuration.record(e.latencyMs / 1000, attributes)
  }
  const onFetch = (message: unknown): void => {
    const e = message as FetchEvent
    if (e.clientId !== clientId) return
    for (const p of e.partitions) {
      if (p.records === 0 && p.bytes === 0) continue
      const attributes = { ...base, [ATTR.operationName]: 'receive', [ATTR.destination]: p.topic, [ATTR.partition]: String(p.partition) }
      consumedMessages.add(p.records, attributes)
      receivedBytes.add(p.bytes, attributes)
    }
  }
  const onRebalance = (message: unknown): void => {
    const e = message as GroupRebalanceEvent
    if (e.clientId !== clientId) return
    rebalances.add(1, { ...base, [ATTR.consumerGroup]: e.groupId })
  }
  const onRequest = (message: unknown): void => {
    const e = message as RequestEvent
    if (e.clientId !== clientId || e.durationMs === undefined) return
    const attributes: Attributes = { ...base, 'rxkafka.api': e.api, 'server.address': e.broker, 'rxkafka.outcome': e.outcome ?? 'ok' }
    if (e.error !== undefined) attributes[ATTR.errorType] = errorType(e.error)
    requestDuration.record(e.durationMs / 1000, attributes)
  }
  diagnostics_channel.subscribe(CHANNELS.batchAcknowledged, onBatch)
  diagnostics_channel.subscribe(CHANNELS.fetch, onFetch)
  diagnostics_channel.subscribe(CHANNELS.groupRebalance, onRebalance)
  const requests = diagnostics_channel.tracingChannel(CHANNELS.request)
  requests.asyncEnd.subscribe(onRequest)
  return {
    stop: () => {
      diagnostics_channel.unsubscribe(CHANNELS.batchAcknowledged, onBatch)
      diagnostics_channel.unsubscribe(CHANNELS.fetch, onFetch)
      diagnostics_channel.unsubscribe(CHANNELS.groupRebalance, onRebalance)
      requests.asyncEnd.unsubscribe(onRequest)
      lag.removeCallback(observeLag)
    },
    recordProcess: (durationMs, attributes) => processDuration.record(durationMs / 1000, attributes),
  }
}
