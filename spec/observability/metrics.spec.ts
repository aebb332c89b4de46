/**
 * kafka.metrics$() in virtual time (rates from the diagnostics counters, one
 * sample per interval), ratesBetween's counter-reset rule, and toPrometheus's
 * text format.
 */
import { concat, map, NEVER, take, timer } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { createKafka, OperatorOptionError, ratesBetween, toPrometheus, type KafkaDiagnostics, type KafkaRates } from '../../lib/index.js'
import { createVirtualCluster } from '../../lib/testing/index.js'

const EMPTY: KafkaDiagnostics = { cluster: undefined, producers: [], consumers: [] }

describe('kafka.metrics$', () => {
  it('emits per-second rates of the interval since the previous sample, in virtual time', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b))
    scheduler.run(({ expectObservable }) => {
      const cluster = createVirtualCluster({ topics: [{ name: 't', partitions: 1 }], scheduler })
      const kafka = createKafka({ client: cluster })
      const samples: KafkaRates[] = []
      // 20 messages, one every 100 ms from frame 0; the producer stays subscribed (a long-lived stream).
      const produced = concat(timer(0, 100).pipe(take(20)), NEVER).pipe(
        map((i) => ({ value: `m${i}` })),
        kafka.produceTo('t', { lingerMs: 0 }),
      )
      scheduler.schedule(() => {
        const subscription = produced.subscribe()
        scheduler.schedule(() => subscription.unsubscribe(), 3_500)
      }, 0)
      const rates$ = kafka.metrics$(1000)
      expectObservable(
        rates$.pipe(map((r) => (samples.push(r), { at: r.at, interval: r.intervalMs, sent: r.messagesSentPerSecond, errors: r.errorsPerSecond }))),
        '^ 3500ms !',
      ).toBe('1000ms a 999ms b 999ms c', {
        a: { at: 1000, interval: 1000, sent: 10, errors: 0 },
        b: { at: 2000, interval: 1000, sent: 10, errors: 0 },
        c: { at: 3000, interval: 1000, sent: 0, errors: 0 },
      })
      scheduler.flush()
      // Requests and bytes went to the partition's leader while producing, and stopped with the messages.
      const [first, , third] = samples
      expect(first!.requestsPerSecond).toBeGreaterThan(0)
      expect(first!.bytesSentPerSecond).toBeGreaterThan(10 * 2)
      const leader = first!.brokers.find((b) => b.requestsPerSecond > 0)
      expect(leader).toBeDefined()
      expect(leader!.bytesOutPerSecond).toBeGreaterThan(0)
      expect(third!.requestsPerSecond).toBe(0)
      expect(third!.bytesSentPerSecond).toBe(0)
    })
  })

  it('refuses an interval that is not a positive integer', () => {
    const kafka = createKafka({ client: createVirtualCluster({ topics: [] }) })
    expect(() => kafka.metrics$(0)).toThrow(OperatorOptionError)
    expect(() => kafka.metrics$(0)).toThrow(/everyMs/)
  })
})

describe('ratesBetween', () => {
  const producer = (name: string, resultsEmitted: number, failures: number) =>
    ({ name, resultsEmitted, failures }) as unknown as KafkaDiagnostics['producers'][number]

  it('counts a counter that went down (the part restarted) and a new part from zero', () => {
    const before: KafkaDiagnostics = { ...EMPTY, producers: [producer('p', 100, 2)] }
    const restarted: KafkaDiagnostics = { ...EMPTY, producers: [producer('p', 30, 0), producer('q', 0, 0)] }
    const r1 = ratesBetween(before, 0, restarted, 2000)
    expect(r1.messagesSentPerSecond).toBe(15)
    expect(r1.errorsPerSecond).toBe(0)
    const later: KafkaDiagnostics = { ...EMPTY, producers: [producer('p', 50, 1), producer('q', 40, 0)] }
    const r2 = ratesBetween(restarted, 2000, later, 3000)
    expect(r2.messagesSentPerSecond).toBe(19 + 40)
    expect(r2.errorsPerSecond).toBe(1)
  })

  it('is all zero over an empty interval', () => {
    expect(ratesBetween(EMPTY, 5, EMPTY, 5)).toMatchObject({ intervalMs: 0, messagesSentPerSecond: 0, requestsPerSecond: 0, brokers: [] })
  })
})

describe('toPrometheus', () => {
  const diagnostics = {
    cluster: {
      users: 1,
      closed: false,
      metadata: { ageMs: 1500, refreshInFlight: false, refreshes: 3, followedTopics: ['orders'], brokers: 1, topics: 1, lastError: undefined },
      coordinators: [],
      connections: [
        { broker: '127.0.0.1:9092', nodeId: 1, role: 'produce', state: 'ready', inFlight: 1, queued: 0, bytesIn: 300, bytesOut: 1200, requests: 7, connects: 1, lastError: undefined },
      ],
    },
    producers: [{ name: 'orders "main"', resultsEmitted: 10, failures: 1, requestsSent: 4, batchesSent: 5, bufferedBytes: 64, maxBufferedBytes: 1024, waitingMessages: 0 }],
    consumers: [
      {
        groupId: 'billing',
        memberId: 'm-1',
        state: 'stable',
        messages: 8,
        fetches: 2,
        rebalances: 1,
        partitions: [{ topic: 'orders', partition: 0, lag: 5n, undoneMessages: 2, pausedByDemand: false }],
      },
    ],
  } as unknown as KafkaDiagnostics

  it('writes the snapshot in the text exposition format, with every label escaped', () => {
    expect(toPrometheus(diagnostics, 'app\\1')).toBe(
      [
        '# HELP rxkafka_connection_requests_total Requests written on the connection.',
        '# TYPE rxkafka_connection_requests_total counter',
        'rxkafka_connection_requests_total{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 7',
        '# HELP rxkafka_connection_sent_bytes_total Bytes sent on the connection.',
        '# TYPE rxkafka_connection_sent_bytes_total counter',
        'rxkafka_connection_sent_bytes_total{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 1200',
        '# HELP rxkafka_connection_received_bytes_total Bytes received on the connection.',
        '# TYPE rxkafka_connection_received_bytes_total counter',
        'rxkafka_connection_received_bytes_total{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 300',
        '# HELP rxkafka_connection_connects_total Connect attempts of the connection.',
        '# TYPE rxkafka_connection_connects_total counter',
        'rxkafka_connection_connects_total{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 1',
        '# HELP rxkafka_connection_in_flight_requests Requests written and not yet answered.',
        '# TYPE rxkafka_connection_in_flight_requests gauge',
        'rxkafka_connection_in_flight_requests{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 1',
        '# HELP rxkafka_connection_queued_requests Requests waiting to be written.',
        '# TYPE rxkafka_connection_queued_requests gauge',
        'rxkafka_connection_queued_requests{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 0',
        '# HELP rxkafka_connection_ready 1 when the connection is ready, else 0.',
        '# TYPE rxkafka_connection_ready gauge',
        'rxkafka_connection_ready{client_id="app\\\\1",broker="127.0.0.1:9092",node_id="1",role="produce"} 1',
        '# HELP rxkafka_metadata_refreshes_total Metadata answers received.',
        '# TYPE rxkafka_metadata_refreshes_total counter',
        'rxkafka_metadata_refreshes_total{client_id="app\\\\1"} 3',
        '# HELP rxkafka_metadata_age_seconds Age of the cluster view.',
        '# TYPE rxkafka_metadata_age_seconds gauge',
        'rxkafka_metadata_age_seconds{client_id="app\\\\1"} 1.5',
        '# HELP rxkafka_metadata_failing 1 when the last metadata refresh failed, else 0.',
        '# TYPE rxkafka_metadata_failing gauge',
        'rxkafka_metadata_failing{client_id="app\\\\1"} 0',
        '# HELP rxkafka_producer_messages_sent_total Messages produced and acknowledged.',
        '# TYPE rxkafka_producer_messages_sent_total counter',
        'rxkafka_producer_messages_sent_total{client_id="app\\\\1",producer="orders \\"main\\""} 9',
        '# HELP rxkafka_producer_messages_failed_total Messages that finally failed.',
        '# TYPE rxkafka_producer_messages_failed_total counter',
        'rxkafka_producer_messages_failed_total{client_id="app\\\\1",producer="orders \\"main\\""} 1',
        '# HELP rxkafka_producer_requests_total Produce requests sent.',
        '# TYPE rxkafka_producer_requests_total counter',
        'rxkafka_producer_requests_total{client_id="app\\\\1",producer="orders \\"main\\""} 4',
        '# HELP rxkafka_producer_batches_total Record batches sent.',
        '# TYPE rxkafka_producer_batches_total counter',
        'rxkafka_producer_batches_total{client_id="app\\\\1",producer="orders \\"main\\""} 5',
        '# HELP rxkafka_producer_buffered_bytes Encoded records held, not yet acknowledged.',
        '# TYPE rxkafka_producer_buffered_bytes gauge',
        'rxkafka_producer_buffered_bytes{client_id="app\\\\1",producer="orders \\"main\\""} 64',
        '# HELP rxkafka_producer_buffer_limit_bytes The maxBufferedBytes bound.',
        '# TYPE rxkafka_producer_buffer_limit_bytes gauge',
        'rxkafka_producer_buffer_limit_bytes{client_id="app\\\\1",producer="orders \\"main\\""} 1024',
        '# HELP rxkafka_producer_waiting_messages Messages waiting for buffer space or metadata.',
        '# TYPE rxkafka_producer_waiting_messages gauge',
        'rxkafka_producer_waiting_messages{client_id="app\\\\1",producer="orders \\"main\\""} 0',
        '# HELP rxkafka_consumer_messages_total Messages delivered to the application.',
        '# TYPE rxkafka_consumer_messages_total counter',
        'rxkafka_consumer_messages_total{client_id="app\\\\1",group="billing",member_id="m-1"} 8',
        '# HELP rxkafka_consumer_fetches_total Fetch requests sent.',
        '# TYPE rxkafka_consumer_fetches_total counter',
        'rxkafka_consumer_fetches_total{client_id="app\\\\1",group="billing",member_id="m-1"} 2',
        '# HELP rxkafka_consumer_rebalances_total Assignments received.',
        '# TYPE rxkafka_consumer_rebalances_total counter',
        'rxkafka_consumer_rebalances_total{client_id="app\\\\1",group="billing",member_id="m-1"} 1',
        '# HELP rxkafka_consumer_stable 1 when the member is stable (consuming), else 0.',
        '# TYPE rxkafka_consumer_stable gauge',
        'rxkafka_consumer_stable{client_id="app\\\\1",group="billing",member_id="m-1"} 1',
        '# HELP rxkafka_consumer_lag High watermark minus position, per partition.',
        '# TYPE rxkafka_consumer_lag gauge',
        'rxkafka_consumer_lag{client_id="app\\\\1",group="billing",topic="orders",partition="0"} 5',
        '# HELP rxkafka_consumer_undone_messages Messages delivered and not yet done, per partition.',
        '# TYPE rxkafka_consumer_undone_messages gauge',
        'rxkafka_consumer_undone_messages{client_id="app\\\\1",group="billing",topic="orders",partition="0"} 2',
        '# HELP rxkafka_consumer_paused_by_demand 1 while a partition waits for done() before fetching more.',
        '# TYPE rxkafka_consumer_paused_by_demand gauge',
        'rxkafka_consumer_paused_by_demand{client_id="app\\\\1",group="billing",topic="orders",partition="0"} 0',
        '',
      ].join('\n'),
    )
  })

  it('every line is a comment or a sample of the text format, each family typed once before its samples', () => {
    const text = toPrometheus(diagnostics, 'x\ny')
    const typed = new Set<string>()
    for (const line of text.trimEnd().split('\n')) {
      const type = /^# TYPE ([a-z_:][a-z0-9_:]*) (counter|gauge)$/.exec(line)
      if (type !== null) {
        expect(typed.has(type[1]!)).toBe(false)
        typed.add(type[1]!)
        continue
      }
      if (line.startsWith('# HELP ')) continue
      const sample = /^([a-z_:][a-z0-9_:]*)\{((?:[a-z_][a-z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\} (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line)
      expect(sample, line).not.toBeNull()
      expect(typed.has(sample![1]!), line).toBe(true)
    }
    expect(text).toContain('client_id="x\\ny"')
  })

  it('is empty for a client with nothing running', () => {
    expect(toPrometheus(EMPTY, 'idle')).toBe('')
  })

  it('kafka.toPrometheus() renders the client’s own snapshot', () => {
    const kafka = createKafka({ client: createVirtualCluster({ topics: [] }) })
    expect(kafka.toPrometheus()).toBe(toPrometheus(kafka.diagnostics(), kafka.cluster.clientId))
  })
})
