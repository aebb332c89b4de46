/**
 * Spans for producing and for processing consumed messages, following
 * OpenTelemetry's messaging semantic conventions for Kafka: `send {topic}`
 * (PRODUCER) per message or per batch, `process {topic}` (CONSUMER) per
 * consumed message, from delivery to `done()`, parented by the producer's
 * context carried in the record's headers.
 */
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api'
import { defer, finalize, map, Observable, type OperatorFunction, type Subscriber } from 'rxjs'
import type { ConsumerMessage } from '../consumer/consumer-message.js'
import type { ProducerMessage, ProducerResult } from '../producer/types.js'
import { extractFromHeaders, injectIntoHeaders } from './record-headers.js'

/**
 * The attribute names the spans and instruments use (OpenTelemetry's semantic conventions for messaging, Kafka).
 *
 * @example
 * ```ts
 * import { ATTR } from 'rxkafka/otel'
 * const byTopic = spans.filter((s) => s.attributes[ATTR.destination] === 'orders')
 * ```
 */
export const ATTR = {
  /** `messaging.system`: always `kafka`. */
  system: 'messaging.system',
  /** `messaging.operation.name`: `send`, `receive` or `process`. */
  operationName: 'messaging.operation.name',
  /** `messaging.operation.type`: `send` or `process`. */
  operationType: 'messaging.operation.type',
  /** `messaging.destination.name`: the topic. */
  destination: 'messaging.destination.name',
  /** `messaging.destination.partition.id`: the partition, as a string. */
  partition: 'messaging.destination.partition.id',
  /** `messaging.kafka.offset`: the record's offset (a batch's: its first record's). */
  offset: 'messaging.kafka.offset',
  /** `messaging.kafka.message.tombstone`: set (true) on records with a null value. */
  tombstone: 'messaging.kafka.message.tombstone',
  /** `messaging.consumer.group.name`: the consumer group. */
  consumerGroup: 'messaging.consumer.group.name',
  /** `messaging.client.id`: the client's clientId. */
  clientId: 'messaging.client.id',
  /** `messaging.batch.message_count`: records in a batch span. */
  batchCount: 'messaging.batch.message_count',
  /** `messaging.message.body.size`: a consumed record's value bytes. */
  bodySize: 'messaging.message.body.size',
  /** `error.type`: the rxkafka error code (or the error's class name) of a failure. */
  errorType: 'error.type',
} as const

/** The name of an error for `error.type`: its rxkafka code, else its class name. */
export function errorType(error: Error): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error.name
}

/** What the tracing wrappers need. */
export interface TracingSettings {
  tracer: Tracer
  propagator: TextMapPropagator
  clientId: string
}

interface Carried<M> {
  span: Span | undefined
  metadata: M | undefined
}

/**
 * Wraps a producer operator: each message gets a `send {topic}` span (`perMessage`) or only the active
 * context (per batch: the batch spans come from the diagnostics channels), injected into its headers.
 */
export function traceProduce<M, K, V>(
  settings: TracingSettings,
  perMessage: boolean,
  topicOf: (message: ProducerMessage<M, K, V>) => string,
  operator: OperatorFunction<ProducerMessage<Carried<M>, K, V>, ProducerResult<Carried<M>>>,
): OperatorFunction<ProducerMessage<M, K, V>, ProducerResult<M>> {
  return (source) =>
    defer(() => {
      // Spans of messages whose result has not come: ended (as failed) if the stream ends first.
      const open = new Set<Span>()
      return source.pipe(
        map((message) => {
          const parent = otelContext.active()
          const topic = topicOf(message)
          const span = perMessage
            ? settings.tracer.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: sendAttributes(settings.clientId, topic, message) }, parent)
            : undefined
          if (span !== undefined) open.add(span)
          const carried = span === undefined ? parent : trace.setSpan(parent, span)
          return {
            ...message,
            headers: injectIntoHeaders(settings.propagator, carried, message.headers),
            metadata: { span, metadata: message.metadata },
          }
        }),
        operator,
        map((result) => {
          const { span, metadata } = result.metadata ?? { span: undefined, metadata: undefined }
          if (span !== undefined) {
            open.delete(span)
            endSendSpan(span, result)
          }
          return { ...result, metadata }
        }),
        finalize(() => {
          for (const span of open) {
            span.setAttribute(ATTR.errorType, 'NOT_DELIVERED')
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'the stream ended before the message had a result' })
            span.end()
          }
          open.clear()
        }),
      )
    })
}

/** The attributes every span of `operation` carries (OpenTelemetry's messaging conventions); the partition where it is known. */
export function messagingAttributes(operation: 'send' | 'process', topic: string, clientId: string, partition?: number): Attributes {
  return {
    [ATTR.system]: 'kafka',
    [ATTR.operationName]: operation,
    [ATTR.operationType]: operation,
    [ATTR.destination]: topic,
    ...(partition === undefined ? {} : { [ATTR.partition]: String(partition) }),
    [ATTR.clientId]: clientId,
  }
}

function sendAttributes(clientId: string, topic: string, message: { value: unknown }): Attributes {
  const attributes = messagingAttributes('send', topic, clientId)
  if (message.value === null) attributes[ATTR.tombstone] = true
  return attributes
}

function endSendSpan(span: Span, result: ProducerResult<unknown>): void {
  if (result.partition >= 0) span.setAttribute(ATTR.partition, String(result.partition))
  if (result.error !== undefined) {
    span.setAttribute(ATTR.errorType, errorType(result.error))
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message })
  } else if (result.offset >= 0n) span.setAttribute(ATTR.offset, Number(result.offset))
  span.end()
}

/** A message's process span for `send`-style use: started now, ended by `end`. */
export function startSendSpan(settings: TracingSettings, topic: string, message: { value: unknown }): { span: Span; context: Context } {
  const parent = otelContext.active()
  const span = settings.tracer.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: sendAttributes(settings.clientId, topic, message) }, parent)
  return { span, context: trace.setSpan(parent, span) }
}

/** Ends a span of {@link startSendSpan} with its result or error. */
export function endSendSpanWith(span: Span, result: ProducerResult<unknown> | undefined, error?: unknown): void {
  if (result !== undefined) {
    endSendSpan(span, result)
    return
  }
  const failure = error instanceof Error ? error : new Error(String(error))
  span.setAttribute(ATTR.errorType, errorType(failure))
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
  span.end()
}

/** The contexts of the process spans of messages delivered by an instrumented client, for handlers' own spans. */
const messageContexts = new WeakMap<object, Context>()

/**
 * The context of a consumed message's `process {topic}` span, to parent the handler's own spans; undefined
 * for a message that did not come from an instrumented client.
 *
 * @example
 * ```ts
 * import { context } from '@opentelemetry/api'
 * import { messageContext } from 'rxkafka/otel'
 * partition$.pipe(mergeMap((msg) => context.with(messageContext(msg) ?? context.active(), () => handle(msg)))).subscribe()
 * ```
 */
export function messageContext(message: ConsumerMessage): Context | undefined {
  return messageContexts.get(message)
}

/** What a process span records when it ends. */
export type ProcessEnded = (durationMs: number, attributes: Attributes) => void

/**
 * Wraps a partition substream: each message gets a `process {topic}` span, parented by the context in its
 * headers, ended by `done()` (or, for messages never done, when the substream ends). The messages are copies
 * whose `done()` ends the span and then marks the original done.
 */
export function traceProcessing(
  settings: TracingSettings,
  groupId: string | undefined,
  stream: Observable<ConsumerMessage>,
  onEnded: ProcessEnded,
): Observable<ConsumerMessage> {
  return new Observable<ConsumerMessage>((subscriber: Subscriber<ConsumerMessage>) => {
    const open = new Set<Span>()
    const subscription = stream.subscribe({
      next: (message) => subscriber.next(traced(settings, groupId, message, open, onEnded)),
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    })
    return () => {
      subscription.unsubscribe()
      // Not done when the substream ended (revoked, unsubscribed): the span ends here, marked so.
      for (const span of open) {
        span.setAttribute('rxkafka.message.done', false)
        span.end()
      }
      open.clear()
    }
  })
}

function traced(settings: TracingSettings, groupId: string | undefined, message: ConsumerMessage, open: Set<Span>, onEnded: ProcessEnded): ConsumerMessage {
  const parent = extractFromHeaders(settings.propagator, otelContext.active(), message.headers)
  const attributes = messagingAttributes('process', message.topic, settings.clientId, message.partition)
  if (groupId !== undefined) attributes[ATTR.consumerGroup] = groupId
  const metricAttributes = { ...attributes }
  attributes[ATTR.offset] = Number(message.offset)
  if (message.value === null) attributes[ATTR.tombstone] = true
  else attributes[ATTR.bodySize] = message.value.length
  const startedAt = performance.now()
  const span = settings.tracer.startSpan(`process ${message.topic}`, { kind: SpanKind.CONSUMER, attributes }, parent)
  open.add(span)
  let ended = false
  const copy: ConsumerMessage = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: message.headers,
    timestamp: message.timestamp,
    leaderEpoch: message.leaderEpoch,
    done: () => {
      if (!ended) {
        ended = true
        open.delete(span)
        span.end()
        onEnded(performance.now() - startedAt, metricAttributes)
      }
      message.done()
    },
  }
  messageContexts.set(copy, trace.setSpan(parent, span))
  return copy
}
