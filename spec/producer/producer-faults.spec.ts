/**
 * Broker restarts and kills during an idempotent produce with DEFAULT options,
 * on the 3-node real Kafka cluster (SIGTERM: controlled shutdown; SIGKILL) and
 * on librdkafka's mock (a broker down for some seconds, its leaderships kept):
 * nothing lost, duplicated, reordered or failed. Each run is bounded and
 * prints its counts and the time from the broker's return to the first
 * acknowledged retry.
 */
import { lastValueFrom, mergeMap, Observable, take, tap, timeout, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster, type ClusterConfig } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceTo, type ProducerMessage, type ProducerResult } from '../../lib/producer/index.js'
import { metadata } from '../../lib/testing/apache-kafka-wire.js'
import { startKafkaCluster, startMockCluster, type KafkaCluster as RealKafka, type MockCluster } from '../../lib/testing/index.js'

const PARTITIONS = 3
/** Messages per 10 ms tick: 5 000 messages/s, so the produce spans the whole outage. */
const PER_TICK = 50
const TOTAL = 40_000
/** The fault starts once this many messages went in (about 1 s). */
const FAULT_AT = 5_000

interface FaultTimes {
  /** Date.now() when the broker went away, and when it was back (its start resolved). */
  downAt: number
  upAt: number
}

interface FaultFigures {
  sent: number
  failed: number
  lost: number
  duplicated: number
  reordered: number
  /** Attempts that failed and were retried. */
  failedAttempts: number
  /** ms from the broker's return to the first acknowledged retry after it; undefined when every retry was acknowledged before. */
  returnToFirstRetryAckMs: number | undefined
  /** ms from the fault to the first acknowledged retry (a new leader took over, or the broker came back). */
  faultToFirstRetryAckMs: number | undefined
  durationMs: number
}

/** Produces TOTAL keyed messages with default options while `fault` runs, reads the topic back and counts. */
async function produceThrough(config: ClusterConfig, topic: string, fault: () => Promise<FaultTimes>): Promise<FaultFigures> {
  const clients: KafkaCluster[] = []
  const newClient = (): KafkaCluster => {
    const client = new KafkaCluster({ ...config, clientId: 'producer-faults', logger: consoleLogger('silent') })
    clients.push(client)
    return client
  }
  try {
    const started = Date.now()
    let faultDone: Promise<FaultTimes> | undefined
    const source = new Observable<ProducerMessage<number>>((subscriber) => {
      let i = 0
      let stopped = false
      let timer: NodeJS.Timeout | undefined
      const pump = (): void => {
        if (stopped) return
        for (const end = Math.min(TOTAL, i + PER_TICK); i < end; i++) subscriber.next({ key: `k${i % 64}`, value: String(i), metadata: i })
        if (i === FAULT_AT) faultDone = fault()
        if (i >= TOTAL) subscriber.complete()
        else timer = setTimeout(pump, 10)
      }
      pump()
      return () => {
        stopped = true
        clearTimeout(timer)
      }
    })
    // DEFAULT options: only the client.
    const results: ProducerResult<number>[] = await lastValueFrom(source.pipe(produceTo<number>(topic, { client: newClient() }), toArray()))
    const times = await faultDone!
    const durationMs = Date.now() - started

    const read = await lastValueFrom(consumePartitions({ client: newClient(), topic, from: 'earliest' }).pipe(
      mergeMap((partition$) => partition$),
      tap((m) => m.done()),
      take(TOTAL),
      toArray(),
      timeout(40_000),
    ))
    const values = read.map((m) => Number(m.value!.toString()))
    const distinct = new Set(values)
    let reordered = 0
    const last = new Map<number, number>()
    for (const m of read) {
      const i = Number(m.value!.toString())
      if (i < (last.get(m.partition) ?? -1)) reordered++
      last.set(m.partition, Math.max(i, last.get(m.partition) ?? -1))
    }
    // The exchanges of the batches that were retried: the first acknowledged one after a failed one.
    const retryAcks: number[] = []
    let failedAttempts = 0
    const batches = new Set(results.map((r) => r.batch))
    for (const batch of batches) {
      let failedBefore = false
      for (const exchange of batch.exchanges) {
        if (exchange.error !== undefined) {
          failedBefore = true
          failedAttempts++
        } else if (failedBefore) retryAcks.push(exchange.answeredAt)
      }
    }
    const afterReturn = retryAcks.filter((at) => at >= times.upAt)
    const figures: FaultFigures = {
      sent: results.length,
      failed: results.filter((r) => r.error !== undefined).length,
      lost: TOTAL - [...distinct].filter((v) => v >= 0 && v < TOTAL).length,
      duplicated: values.length - distinct.size,
      reordered,
      failedAttempts,
      returnToFirstRetryAckMs: afterReturn.length === 0 ? undefined : Math.min(...afterReturn) - times.upAt,
      faultToFirstRetryAckMs: retryAcks.length === 0 ? undefined : Math.min(...retryAcks) - times.downAt,
      durationMs,
    }
    return figures
  } finally {
    for (const client of clients) await client.close()
  }
}

function expectClean(figures: FaultFigures): void {
  expect(figures).toMatchObject({ sent: TOTAL, failed: 0, lost: 0, duplicated: 0, reordered: 0 })
  // The fault really hit the producer: attempts failed and were retried.
  expect(figures.failedAttempts).toBeGreaterThan(0)
  expect(figures.faultToFirstRetryAckMs).toBeDefined()
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('producer faults on the 3-node Kafka cluster, default options', () => {
  let cluster: RealKafka
  beforeAll(async () => {
    cluster = await startKafkaCluster({ brokers: 3 })
  }, 180_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  const leaderOf = async (topic: string, partition: number): Promise<number> => {
    const node = cluster.nodes.find((n) => n.running)!
    const answer = await metadata(node.host, node.port, [topic])
    return answer.topics[0]!.partitions.find((p) => p.partitionIndex === partition)!.leaderId
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal} the leader of partition 0 for ~3 s: 0 lost, 0 duplicated, 0 reordered, 0 failed`, async () => {
      const topic = `faults-${signal.toLowerCase()}`
      await cluster.createTopic(topic, PARTITIONS, 3)
      const victim = await leaderOf(topic, 0)
      const figures = await produceThrough(cluster.clientConfig, topic, async () => {
        const downAt = Date.now()
        if (signal === 'SIGTERM') await cluster.stopBroker(victim)
        else await cluster.killBroker(victim)
        await sleep(3_000)
        await cluster.startBroker(victim)
        return { downAt, upAt: Date.now() }
      })
      console.log(`[producer-faults] kafka ${signal}`, JSON.stringify(figures))
      expectClean(figures)
    }, 60_000)
  }
})

describe('producer faults on the mock cluster, default options', () => {
  let mock: MockCluster
  beforeAll(async () => {
    mock = await startMockCluster({ brokers: 3 })
  }, 60_000)
  afterAll(async () => {
    await mock?.stop()
  })

  for (const seconds of [3, 5]) {
    it(`the leader of partitions 0..2 is down for ${seconds} s (its leaderships stay): 0 lost, 0 duplicated, 0 reordered, 0 failed`, async () => {
      const topic = `faults-down-${seconds}`
      await mock.createTopic(topic, PARTITIONS, 3)
      for (let p = 0; p < PARTITIONS; p++) await mock.setPartitionLeader(topic, p, 2)
      const figures = await produceThrough(mock.clientConfig, topic, async () => {
        const downAt = Date.now()
        await mock.brokerDown(2)
        await sleep(seconds * 1_000)
        await mock.brokerUp(2)
        return { downAt, upAt: Date.now() }
      })
      console.log(`[producer-faults] mock down ${seconds} s`, JSON.stringify(figures))
      expectClean(figures)
      // Nothing could be acknowledged while the only leader was away: the retries waited for its return.
      expect(figures.returnToFirstRetryAckMs).toBeDefined()
      expect(figures.returnToFirstRetryAckMs!).toBeLessThan(2_000)
    }, 60_000)
  }
})
