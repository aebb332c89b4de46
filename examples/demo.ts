/**
 * `npm start`: the whole toolkit in one small stream app.
 *
 * Starts an embedded mock cluster (or uses KAFKA_BROKERS), joins a consumer
 * group with two members, produces a burst of lz4-compressed messages through
 * `produceTo`, lets one member leave mid-way (a rebalance), and ends with a
 * summary: messages, throughput and end-to-end latency percentiles.
 *
 * Options (environment): KAFKA_BROKERS=host:port,... to use a real cluster;
 * DEMO_MESSAGES (default 200000); DEMO_TOPIC (default rxkafka-demo).
 */
import { filter, finalize, interval, map, mergeMap, range, Subject, takeUntil, tap } from 'rxjs'
import { createKafka, type ConsumerMessage, type Kafka } from '../lib/index.js'
import { startMockCluster, type MockCluster } from '../lib/testing/mock-cluster.js'

const MESSAGES = Number(process.env.DEMO_MESSAGES ?? 200_000)
const TOPIC = process.env.DEMO_TOPIC ?? 'rxkafka-demo'
const PARTITIONS = 6
const GROUP = `rxkafka-demo-${process.pid}`
const tty = process.stdout.isTTY === true

function say(line: string): void {
  if (tty) process.stdout.write('\r\x1b[K')
  console.log(line)
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function main(): Promise<void> {
  let mock: MockCluster | undefined
  let brokers = process.env.KAFKA_BROKERS?.split(',')
  if (brokers === undefined) {
    say('starting an embedded mock cluster (librdkafka) with 3 brokers...')
    mock = await startMockCluster({ brokers: 3, topics: [{ name: TOPIC, partitions: PARTITIONS }] })
    await mock.setGroupInitialRebalanceDelay(0) // the mock waits 3 s for a first join by default
    brokers = mock.bootstrap.split(',')
  }
  say(`brokers: ${brokers.join(', ')}   topic: ${TOPIC}   group: ${GROUP}`)
  // The mock's clientConfig carries the compatibility setting it needs; a real cluster needs none.
  const kafka = createKafka({ ...(mock?.clientConfig ?? {}), brokers, clientId: 'rxkafka-demo' })
  const stop = new Subject<void>()
  process.once('SIGINT', () => stop.next())
  try {
    // The mock holds a rebalance open for the session timeout minus 1 s when a member joins a running group;
    // a short session keeps the demo brisk there. Against a real cluster, the consumer's default (30 s) is used.
    await run(kafka, stop, mock === undefined ? {} : { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 })
  } finally {
    stop.next()
    await kafka.close()
    await mock?.stop()
  }
}

async function run(kafka: Kafka, stop: Subject<void>, session: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number }): Promise<void> {
  const seen = new Set<string>() // partition:offset, so redeliveries after the rebalance count once
  const latencies: number[] = []
  let produced = 0
  let redelivered = 0
  let producedAt = 0
  const started = Date.now()
  const allConsumed = new Subject<void>()

  const member = (name: string, leave$: Subject<void>) => {
    const group = kafka.consumeGroup({ groupId: GROUP, topics: [TOPIC], fromBeginning: true, commitIntervalMs: 500, ...session })
    group.assignments$.subscribe((a) => {
      const held = a.assigned.flatMap((t) => t.partitions).sort((x, y) => x - y)
      say(`${name}: generation ${a.generationId} holds partitions [${held.join(', ')}]` + (a.revoked.length > 0 ? ` (gave up ${a.revoked.flatMap((t) => t.partitions).join(', ')})` : ''))
    })
    return group.pipe(
      // one substream per assigned partition; it completes when the partition is revoked
      mergeMap((partition$) =>
        partition$.pipe(
          tap((msg: ConsumerMessage) => {
            const id = `${msg.partition}:${msg.offset}`
            if (seen.has(id)) redelivered++
            else {
              seen.add(id)
              latencies.push(Date.now() - msg.timestamp)
            }
            msg.done()
            if (seen.size === MESSAGES) allConsumed.next()
          }),
        ),
      ),
      takeUntil(leave$),
      takeUntil(allConsumed),
      takeUntil(stop),
      finalize(() => say(`${name}: left the group`)),
    )
  }

  const aLeaves = new Subject<void>()
  const bLeaves = new Subject<void>()
  const a = member('member A', aLeaves).subscribe({ error: (e: unknown) => say(`member A failed: ${String(e)}`) })
  const b = member('member B', bLeaves).subscribe({ error: (e: unknown) => say(`member B failed: ${String(e)}`) })

  // Member B leaves once half of the burst is consumed: A takes over its partitions.
  const halfway = interval(20).pipe(filter(() => seen.size >= MESSAGES / 2)).subscribe(() => {
    halfway.unsubscribe()
    say('member B leaves: the group rebalances')
    bLeaves.next()
  })

  const progress = interval(tty ? 100 : 1000).subscribe(() => {
    const line = `produced ${produced}/${MESSAGES}   consumed ${seen.size}/${MESSAGES}   ${Math.round(seen.size / ((Date.now() - started) / 1000))} msg/s`
    if (tty) process.stdout.write(`\r\x1b[K${line}`)
    else console.log(line)
  })

  const produceStarted = Date.now()
  await new Promise<void>((resolve, reject) => {
    range(0, MESSAGES)
      .pipe(
        map((i) => ({ key: `customer-${i % 1000}`, value: JSON.stringify({ order: i, amount: (i * 7) % 500 }) })),
        kafka.produceTo(TOPIC, { compression: 'lz4', lingerMs: 5, acks: 'all' }),
        tap(() => produced++),
        takeUntil(stop),
      )
      .subscribe({ error: reject, complete: resolve })
  })
  producedAt = Date.now()

  await new Promise<void>((resolve) => {
    if (seen.size >= MESSAGES) resolve()
    allConsumed.subscribe(() => resolve())
    stop.subscribe(() => resolve())
  })
  const finished = Date.now()
  progress.unsubscribe()
  halfway.unsubscribe()
  a.unsubscribe()
  b.unsubscribe()

  latencies.sort((x, y) => x - y)
  const seconds = (ms: number) => ms / 1000
  say('')
  say('summary')
  say(`  messages      ${produced} produced, ${seen.size} consumed (${redelivered} redelivered after the rebalance: at-least-once)`)
  say(`  produce       ${Math.round(produced / seconds(producedAt - produceStarted))} msg/s (lz4, acks=all, idempotent)`)
  say(`  consume       ${Math.round(seen.size / seconds(finished - started))} msg/s through two members and a rebalance`)
  say(`  end to end    p50 ${percentile(latencies, 50)} ms   p95 ${percentile(latencies, 95)} ms   p99 ${percentile(latencies, 99)} ms`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  },
)
