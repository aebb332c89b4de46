/**
 * `npm run bench:transactions`: consume-transform-produce throughput against
 * one Apache Kafka node (lib/testing's startKafkaCluster), in three lanes on
 * the same pre-filled input topic, each with its own group and output topic:
 *
 * - `rxkafka exactly-once`: consumeGroup + transactionalWindow (count --window, default 500; timeMs 20);
 * - `rxkafka at-least-once`: consumeGroup + produceTo, done() on each acknowledged write;
 * - `kafkajs exactly-once`: eachBatch, one producer.transaction() per batch with sendOffsets (KafkaJS 2.x).
 *
 * Each lane runs in this process, one after the other, timed from subscribe
 * to the last input's output committed (exactly-once) or acknowledged (at
 * least once). Options: --messages N (default 100 000), --partitions N
 * (default 6), --bytes N value size (default 100), --runs N (default 1),
 * --window N messages per transaction of the rxkafka lane (default 500).
 * Figures depend on the machine and what else runs on it: compare lanes of
 * one run, not runs.
 */
import { lastValueFrom, map, mergeMap, range, toArray, type Subscription } from 'rxjs'
import { Kafka as KafkaJs, logLevel } from 'kafkajs'
import { KafkaCluster } from '../lib/cluster/kafka-cluster.js'
import { createKafka } from '../lib/kafka.js'
import { consoleLogger } from '../lib/logger.js'
import { startKafkaCluster } from '../lib/testing/index.js'

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}

const MESSAGES = option('messages', 100_000)
const PARTITIONS = option('partitions', 6)
const BYTES = option('bytes', 100)
const RUNS = option('runs', 1)
const WINDOW = option('window', 500)

interface Lane {
  name: string
  run(bootstrap: string, input: string, output: string, id: string): Promise<void>
}

function newClient(bootstrap: string): KafkaCluster {
  return new KafkaCluster({ brokers: [bootstrap], clientId: 'bench-transactions', logger: consoleLogger('silent') })
}

const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, fromBeginning: true }

const LANES: Lane[] = [
  {
    name: 'rxkafka exactly-once',
    async run(bootstrap, input, output, id) {
      const client = newClient(bootstrap)
      const kafka = createKafka({ client })
      let committed = 0
      await new Promise<void>((resolve, reject) => {
        const sub: Subscription = kafka.consumeGroup({ groupId: id, topics: [input], ...GROUP, commitIntervalMs: 0 }).pipe(
          kafka.transactionalWindow({ transactionalId: id, count: WINDOW, timeMs: 20 }, (messages) => messages.map((m) => ({ topic: output, key: m.key, value: m.value }))),
        ).subscribe({
          next: (w) => {
            if (w.outcome === 'committed') committed += w.messages
            if (committed >= MESSAGES) {
              sub.unsubscribe()
              resolve()
            }
          },
          error: reject,
        })
      })
      await client.close()
    },
  },
  {
    name: 'rxkafka at-least-once',
    async run(bootstrap, input, output, id) {
      const client = newClient(bootstrap)
      const kafka = createKafka({ client })
      let written = 0
      await new Promise<void>((resolve, reject) => {
        const sub: Subscription = kafka.consumeGroup({ groupId: id, topics: [input], ...GROUP }).pipe(
          mergeMap((partition$) => partition$),
          map((m) => ({ key: m.key, value: m.value, metadata: m })),
          kafka.produceTo(output, { acks: 'all', lingerMs: 5 }),
        ).subscribe({
          next: (r) => {
            if (r.error !== undefined) {
              reject(r.error)
              return
            }
            r.metadata!.done()
            if (++written >= MESSAGES) {
              sub.unsubscribe()
              resolve()
            }
          },
          error: reject,
        })
      })
      await client.close()
    },
  },
  {
    name: 'kafkajs exactly-once',
    async run(bootstrap, input, output, id) {
      const kafka = new KafkaJs({ brokers: [bootstrap], clientId: 'bench-transactions', logLevel: logLevel.NOTHING })
      const producer = kafka.producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true })
      const consumer = kafka.consumer({ groupId: id, readUncommitted: false, sessionTimeout: 10_000 })
      await producer.connect()
      await consumer.connect()
      await consumer.subscribe({ topic: input, fromBeginning: true })
      let committed = 0
      await new Promise<void>((resolve, reject) => {
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch }) => {
            if (batch.messages.length === 0) return
            const tx = await producer.transaction()
            try {
              await tx.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) })
              await tx.sendOffsets({ consumerGroupId: id, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }] })
              await tx.commit()
            } catch (error) {
              await tx.abort()
              reject(error)
              throw error
            }
            committed += batch.messages.length
            if (committed >= MESSAGES) resolve()
          },
        }).catch(reject)
      })
      await consumer.disconnect()
      await producer.disconnect()
    },
  },
]

async function main(): Promise<void> {
  const input = 'bench-tx-in'
  const outputs = LANES.flatMap((_, l) => Array.from({ length: RUNS }, (_, r) => `bench-tx-out-${l}-${r}`))
  const cluster = await startKafkaCluster({ brokers: 1, topics: [input, ...outputs].map((name) => ({ name, partitions: PARTITIONS, replicationFactor: 1 })) })
  try {
    const fill = newClient(cluster.bootstrap)
    const value = Buffer.alloc(BYTES, 'x')
    await lastValueFrom(range(0, MESSAGES).pipe(map((i) => ({ key: String(i), value })), createKafka({ client: fill }).produceTo(input, { acks: 'all', lingerMs: 5 }), toArray()))
    await fill.close()
    console.log(`Apache Kafka ${cluster.kafkaVersion}, 1 node; ${MESSAGES} messages of ${BYTES} bytes in ${PARTITIONS} partitions; ${RUNS} run(s) per lane; rxkafka windows of ${WINDOW}`)
    console.log('lane                      | msg/s    | seconds')
    for (let l = 0; l < LANES.length; l++) {
      const lane = LANES[l]!
      for (let r = 0; r < RUNS; r++) {
        const started = process.hrtime.bigint()
        try {
          await lane.run(cluster.bootstrap, input, `bench-tx-out-${l}-${r}`, `bench-tx-${l}-${r}`)
          const seconds = Number(process.hrtime.bigint() - started) / 1e9
          console.log(`${lane.name.padEnd(25)} | ${Math.round(MESSAGES / seconds).toString().padStart(8)} | ${seconds.toFixed(2)}`)
        } catch (error) {
          console.log(`${lane.name.padEnd(25)} | did not run: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
    }
  } finally {
    await cluster.stop()
  }
}

await main()
