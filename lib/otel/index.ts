/**
 * OpenTelemetry for rxkafka (`rxkafka/otel`): `instrumentKafka(kafka)` gives
 * back the same client with spans for producing and for processing consumed
 * messages (trace context in the records' headers, W3C `traceparent` by
 * default, so one trace crosses producer and consumer) and with metrics
 * instruments. Needs `@opentelemetry/api` (an optional peer dependency);
 * the main `rxkafka` entry never loads it.
 *
 * @example
 * ```ts
 * import { createKafka } from 'rxkafka'
 * import { instrumentKafka } from 'rxkafka/otel'
 * const kafka = instrumentKafka(createKafka({ brokers: ['localhost:9092'], clientId: 'billing' }))
 * ```
 *
 * @module rxkafka/otel
 */
import diagnostics_channel from 'node:diagnostics_channel'
import { context, metrics, SpanKind, SpanStatusCode, trace, type MeterProvider, type TextMapPropagator, type TracerProvider } from '@opentelemetry/api'
import { Observable } from 'rxjs'
import type { PartitionStream } from '../consumer/partition-stream.js'
import type { Kafka } from '../kafka.js'
import { CHANNELS, type BatchAcknowledgedEvent } from '../observability/channels.js'
import type { ProducerMessage, ProducerResult, TopicProducerMessage } from '../producer/types.js'
import { startMetrics } from './metrics.js'
import { injectIntoHeaders, W3C_TRACE_CONTEXT } from './record-headers.js'
import { ATTR, endSendSpanWith, errorType, messagingAttributes, startSendSpan, traceProcessing, traceProduce, type ProcessEnded, type TracingSettings } from './tracing.js'

export { METRICS } from './metrics.js'
export { W3C_TRACE_CONTEXT } from './record-headers.js'
export { ATTR, messageContext } from './tracing.js'

/** The instrumentation scope name of the tracer and meter. */
export const INSTRUMENTATION_NAME = 'rxkafka'

/**
 * What `instrumentKafka` records and where.
 *
 * @example
 * ```ts
 * instrumentKafka(kafka, { produceSpans: 'batch', tracerProvider, meterProvider })
 * ```
 */
export interface KafkaInstrumentationOptions {
  /** Where spans go. Default: the global tracer provider. */
  tracerProvider?: TracerProvider
  /** Where metrics go. Default: the global meter provider. */
  meterProvider?: MeterProvider
  /** How trace context goes into and out of record headers. Default: {@link W3C_TRACE_CONTEXT}. */
  propagator?: TextMapPropagator
  /**
   * `message` (default): a `send {topic}` span per message, from entering the producer to its result,
   * carried in its headers. `batch`: a `send {topic}` span per record batch (from sealed to acknowledged),
   * and each message carries the context active when it was produced. `none`: no produce spans; messages
   * still carry the active context.
   */
  produceSpans?: 'message' | 'batch' | 'none'
  /** A `process {topic}` span per consumed message, from delivery to `done()`. Default true. */
  processSpans?: boolean
  /** The instruments of {@link METRICS}. Default true. */
  metrics?: boolean
}

/**
 * A client whose streams are traced and measured. `close()` also stops its instruments.
 *
 * @example
 * ```ts
 * const kafka: InstrumentedKafka = instrumentKafka(createKafka({ brokers }))
 * await kafka.close()
 * ```
 */
export interface InstrumentedKafka extends Kafka {
  /** The client it instruments. */
  readonly uninstrumented: Kafka
}

/**
 * Instruments a client with OpenTelemetry: spans (`send {topic}`, `process {topic}`, following the messaging
 * semantic conventions for Kafka), trace context in record headers, and the instruments of {@link METRICS}.
 *
 * @example
 * ```ts
 * import { createKafka } from 'rxkafka'
 * import { instrumentKafka, messageContext } from 'rxkafka/otel'
 * import { context } from '@opentelemetry/api'
 *
 * const kafka = instrumentKafka(createKafka({ brokers: ['localhost:9092'], clientId: 'billing' }))
 * orders$.pipe(kafka.produceTo('orders')).subscribe()           // a send span per message, traceparent in its headers
 * kafka.consumeGroup({ groupId: 'billing', topics: ['orders'] }).pipe(
 *   mergeMap((partition$) => partition$.pipe(
 *     concatMap((msg) => context.with(messageContext(msg)!, () => handle(msg)).then(() => msg.done())),
 *   )),
 * ).subscribe()                                                   // a process span per message, child of its send span
 * ```
 */
export function instrumentKafka(kafka: Kafka, options: KafkaInstrumentationOptions = {}): InstrumentedKafka {
  const clientId = kafka.cluster.clientId
  const settings: TracingSettings = {
    tracer: (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME),
    propagator: options.propagator ?? W3C_TRACE_CONTEXT,
    clientId,
  }
  const produceSpans = options.produceSpans ?? 'message'
  const processSpans = options.processSpans ?? true
  const instruments =
    options.metrics === false ? undefined : startMetrics((options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME), clientId, () => kafka.diagnostics())
  const onProcessEnded: ProcessEnded = (durationMs, attributes) => instruments?.recordProcess(durationMs, attributes)
  const stopBatchSpans = produceSpans === 'batch' ? startBatchSpans(settings) : () => undefined

  const perMessage = produceSpans === 'message'
  type AnyOperator = (source: Observable<unknown>) => Observable<unknown>
  const produceTo = ((topic: string, produceOptions?: object) =>
    traceProduce(settings, perMessage, () => topic, (kafka.produceTo as (t: string, o?: object) => AnyOperator)(topic, produceOptions) as never)) as Kafka['produceTo']
  const produce = ((produceOptions?: object) =>
    traceProduce(
      settings,
      perMessage,
      (m) => (m as TopicProducerMessage).topic,
      (kafka.produce as (o?: object) => AnyOperator)(produceOptions) as never,
    )) as Kafka['produce']
  const send = (async (topic: string, message: ProducerMessage, sendOptions?: object) => {
    const send = kafka.send as (t: string, m: ProducerMessage, o?: object) => Promise<ProducerResult>
    if (!perMessage) return send(topic, { ...message, headers: injectIntoHeaders(settings.propagator, context.active(), message.headers) }, sendOptions)
    const { span, context: carried } = startSendSpan(settings, topic, message)
    try {
      const result = await send(topic, { ...message, headers: injectIntoHeaders(settings.propagator, carried, message.headers) }, sendOptions)
      endSendSpanWith(span, result)
      return result
    } catch (error) {
      endSendSpanWith(span, undefined, error)
      throw error
    }
  }) as Kafka['send']

  const tracedStream = (stream: PartitionStream, groupId: string | undefined): PartitionStream =>
    processSpans ? withSource(stream, traceProcessing(settings, groupId, stream, onProcessEnded)) : stream

  return {
    ...kafka,
    uninstrumented: kafka,
    produceTo,
    produce,
    send,
    consumeGroup: (groupOptions) => {
      const group = kafka.consumeGroup(groupOptions)
      return withSource(group, mapStreams(group, (s) => tracedStream(s, groupOptions.groupId)))
    },
    consumePartitions: (partitionOptions) => {
      const reader = kafka.consumePartitions(partitionOptions)
      return withSource(reader, mapStreams(reader, (s) => tracedStream(s, undefined)))
    },
    close: async (closeOptions) => {
      instruments?.stop()
      stopBatchSpans()
      await kafka.close(closeOptions)
    },
  }
}

/** The streams of `source`, each passed through `wrap`. */
function mapStreams(source: Observable<PartitionStream>, wrap: (stream: PartitionStream) => PartitionStream): Observable<PartitionStream> {
  return new Observable<PartitionStream>((subscriber) => source.subscribe({
    next: (stream) => subscriber.next(wrap(stream)),
    error: (error: unknown) => subscriber.error(error),
    complete: () => subscriber.complete(),
  }))
}

/**
 * An object that is `original` in everything (its fields and methods, such as a ConsumerGroup's
 * `assignments$` and `commit()`, or a PartitionStream's `topic`), except that subscribing to it
 * subscribes to `replacement`.
 */
function withSource<T extends Observable<unknown>>(original: T, replacement: Observable<unknown>): T {
  const view = Object.create(original) as T & { _subscribe: (subscriber: unknown) => unknown }
  view._subscribe = (subscriber: unknown) => replacement.subscribe(subscriber as never)
  return view
}

/** Per-batch spans: one `send {topic}` span per acknowledged (or failed) batch of this client. */
function startBatchSpans(settings: TracingSettings): () => void {
  const onBatch = (message: unknown): void => {
    const e = message as BatchAcknowledgedEvent
    if (e.clientId !== settings.clientId) return
    const now = Date.now()
    const span = settings.tracer.startSpan(`send ${e.topic}`, {
      kind: SpanKind.PRODUCER,
      startTime: now - e.latencyMs,
      attributes: {
        ...messagingAttributes('send', e.topic, settings.clientId, e.partition),
        [ATTR.batchCount]: e.records,
        'rxkafka.producer.attempts': e.attempts,
      },
    })
    if (e.error !== undefined) {
      span.setAttribute(ATTR.errorType, errorType(e.error))
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.error.message })
    } else if (e.baseOffset >= 0n) span.setAttribute(ATTR.offset, Number(e.baseOffset))
    span.end(now)
  }
  diagnostics_channel.subscribe(CHANNELS.batchAcknowledged, onBatch)
  return () => diagnostics_channel.unsubscribe(CHANNELS.batchAcknowledged, onBatch)
}

