/**
 * rxkafka/otel with the OpenTelemetry SDK's in-memory exporters, on both
 * peers: one trace crosses a produce and a consume (the consumer's process
 * span is the child of the producer's send span, through the `traceparent`
 * header), batch spans count their records, and the instruments count what
 * was sent and received, request latency, lag per partition and rebalances.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { firstValueFrom, from, mergeMap, tap, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafka, silentLogger, type ConsumerMessage } from '../../lib/index.js'
import { instrumentKafka, messageContext, METRICS, W3C_TRACE_CONTEXT } from '../../lib/otel/index.js'
import { PEERS, startPeer, uniqueName, type Peer } from '../support/peers.js'

function telemetry() {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  const metricsOut = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metricsOut, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const collect = async (): Promise<MetricData[]> => {
    await reader.forceFlush()
    return metricsOut.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? []
  }
  return { spans, tracerProvider, meterProvider, collect, shutdown: () => Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]) }
}

const sum = (metric: MetricData | undefined, match: (attributes: Record<string, unknown>) => boolean = () => true): number =>
  (metric?.dataPoints ?? []).filter((p) => match(p.attributes)).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0)

describe.each(PEERS)('rxkafka/otel on %s', (peerName) => {
  let peer: Peer
  beforeAll(async () => {
    peer = await startPeer(peerName)
  })
  afterAll(async () => {
    await peer?.stop()
  })

  it('one trace crosses a produce and a consume, and the instruments count both sides', async () => {
    const topic = uniqueName('otel')
    const groupId = uniqueName('otel-group')
    await peer.createTopic(topic, 2)
    const t = telemetry()
    const kafka = instrumentKafka(createKafka({ ...peer.clientConfig, clientId: `otel-${peerName}`, logger: silentLogger }), {
      tracerProvider: t.tracerProvider,
      meterProvider: t.meterProvider,
    })
    const consumed: ConsumerMessage[] = []
    try {
      const messages = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { app: 'spec' }, metadata: i }))
      const results = await firstValueFrom(from(messages).pipe(kafka.produceTo(topic, { lingerMs: 0 }), toArray()))
      // The user's metadata comes back as it went in (the instrumentation's own rides beside it).
      expect(results.map((r) => r.metadata).sort()).toEqual([0, 1, 2, 3, 4, 5])
      const group = kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true })
      const assignments: number[] = []
      group.assignments$.subscribe((a) => assignments.push(a.generationId))
      const running = group
        .pipe(mergeMap((partition$) => partition$.pipe(tap((m) => m.done()))))
        .subscribe((m) => consumed.push(m))
      const deadline = Date.now() + 30_000
      while (consumed.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(consumed).toHaveLength(6)
      // The instrumented group is the group in everything else: its side streams, diagnostics and commit().
      expect(assignments).toHaveLength(1)
      expect(group.diagnostics().map((d) => d.groupId)).toEqual([groupId])
      await group.commit()
      expect(group.diagnostics()[0]!.partitions.every((p) => p.lastCommitted === p.commitPoint)).toBe(true)
      const metricsNow = await t.collect()
      const byName = new Map(metricsNow.map((m) => [m.descriptor.name, m]))
      expect(sum(byName.get(METRICS.sentMessages), (a) => a['messaging.destination.name'] === topic && a['error.type'] === undefined)).toBe(6)
      expect(sum(byName.get(METRICS.sentBytes))).toBeGreaterThan(6 * 2)
      expect(sum(byName.get(METRICS.consumedMessages), (a) => a['messaging.destination.name'] === topic)).toBeGreaterThanOrEqual(6)
      expect(sum(byName.get(METRICS.receivedBytes))).toBeGreaterThan(0)
      expect(sum(byName.get(METRICS.operationDuration))).toBeGreaterThanOrEqual(1)
      expect(sum(byName.get(METRICS.processDuration), (a) => a['messaging.consumer.group.name'] === groupId)).toBe(6)
      expect(sum(byName.get(METRICS.requestDuration), (a) => a['rxkafka.api'] === 'Produce')).toBeGreaterThanOrEqual(1)
      expect(sum(byName.get(METRICS.rebalances), (a) => a['messaging.consumer.group.name'] === groupId)).toBe(1)
      // Lag per partition while the member still runs: it has read everything, so 0 on both partitions.
      const lag = (byName.get(METRICS.consumerLag)?.dataPoints ?? []).filter((p) => p.attributes['messaging.consumer.group.name'] === groupId)
      expect(lag.map((p) => p.attributes['messaging.destination.partition.id']).sort()).toEqual(['0', '1'])
      expect(lag.map((p) => p.value)).toEqual([0, 0])
      running.unsubscribe()
    } finally {
      await kafka.close()
    }
    const spans = t.spans.getFinishedSpans()
    const sends = spans.filter((s) => s.kind === SpanKind.PRODUCER)
    const processes = spans.filter((s) => s.kind === SpanKind.CONSUMER)
    expect(sends).toHaveLength(6)
    expect(processes).toHaveLength(6)
    for (const send of sends) {
      expect(send.name).toBe(`send ${topic}`)
      expect(send.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.name': 'send', 'messaging.destination.name': topic })
      expect(['0', '1']).toContain(send.attributes['messaging.destination.partition.id'])
      // The process span of the same record is the send span's child, in the same trace.
      const child = processes.filter((p) => p.parentSpanContext?.spanId === send.spanContext().spanId)
      expect(child).toHaveLength(1)
      expect(child[0]!.spanContext().traceId).toBe(send.spanContext().traceId)
      expect(child[0]!.name).toBe(`process ${topic}`)
      expect(child[0]!.attributes).toMatchObject({
        'messaging.operation.name': 'process',
        'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': send.attributes['messaging.destination.partition.id'],
        'messaging.kafka.offset': send.attributes['messaging.kafka.offset'],
      })
    }
    // The headers the user gave are kept beside traceparent; each consumed message has its process span's context.
    for (const m of consumed) {
      expect(m.headers.map((h) => h.key)).toEqual(['app', 'traceparent'])
      expect(messageContext(m)).toBeDefined()
    }
    await t.shutdown()
  })

  it('per-batch spans count the records of each batch, and messages carry the context they were produced in', async () => {
    const topic = uniqueName('otel-batch')
    await peer.createTopic(topic, 1)
    const t = telemetry()
    const kafka = instrumentKafka(createKafka({ ...peer.clientConfig, clientId: `otel-batch-${peerName}`, logger: silentLogger }), {
      tracerProvider: t.tracerProvider,
      meterProvider: t.meterProvider,
      produceSpans: 'batch',
      processSpans: false,
    })
    try {
      const results = await firstValueFrom(from(Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` }))).pipe(kafka.produceTo(topic, { lingerMs: 20 }), toArray()))
      expect(results.every((r) => r.error === undefined)).toBe(true)
    } finally {
      await kafka.close()
    }
    const sends = t.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER)
    expect(sends.length).toBeGreaterThanOrEqual(1)
    expect(sends.reduce((n, s) => n + (s.attributes['messaging.batch.message_count'] as number), 0)).toBe(20)
    expect(sends.every((s) => s.name === `send ${topic}` && s.attributes['rxkafka.producer.attempts'] === 1)).toBe(true)
    await t.shutdown()
  })
})

describe('produce spans of messages without a result', () => {
  it('end as failed when the stream is unsubscribed first, so none is left open', async () => {
    const t = telemetry()
    // Port 1 on loopback: nothing listens, so no result can come before the unsubscribe.
    const kafka = instrumentKafka(createKafka({ brokers: ['127.0.0.1:1'], clientId: 'otel-unsubscribed', logger: silentLogger }), {
      tracerProvider: t.tracerProvider,
      meterProvider: t.meterProvider,
    })
    const subscription = from([{ value: 'a' }, { value: 'b' }]).pipe(kafka.produceTo('nowhere')).subscribe({ error: () => undefined })
    subscription.unsubscribe()
    await kafka.close()
    const spans = t.spans.getFinishedSpans()
    expect(spans).toHaveLength(2)
    expect(spans.every((s) => s.status.code === SpanStatusCode.ERROR && s.attributes['error.type'] === 'NOT_DELIVERED')).toBe(true)
    await t.shutdown()
  })
})

describe('W3C_TRACE_CONTEXT', () => {
  const get = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) }
  const set = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) }
  it('round-trips traceparent and tracestate, and ignores malformed or all-zero ids', async () => {
    const { ROOT_CONTEXT, trace } = await import('@opentelemetry/api')
    const carrier = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'congo=t61rcWkgMzE' }
    const extracted = W3C_TRACE_CONTEXT.extract(ROOT_CONTEXT, carrier, get)
    expect(trace.getSpanContext(extracted)).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true })
    const out: Record<string, string> = {}
    W3C_TRACE_CONTEXT.inject(extracted, out, set)
    expect(out).toEqual(carrier)
    for (const bad of ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'junk']) {
      expect(trace.getSpanContext(W3C_TRACE_CONTEXT.extract(ROOT_CONTEXT, { traceparent: bad }, get))).toBeUndefined()
    }
  })
})
