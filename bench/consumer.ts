/**
 * Consumer throughput: messages/s through `consumeGroup` -> `done()` against
 * librdkafka's mock cluster, with 100-byte values produced beforehand by kcat.
 * Optionally the same data through KafkaJS (eachBatch) in the same run.
 *
 *   npx tsx bench/consumer.ts [--messages 1500000] [--partitions 48] [--kafkajs] [--kcat] [--rounds 2]
 *   node --cpu-prof --import tsx bench/consumer.ts     (profile: open the .cpuprofile in Chrome devtools)
 */
import { spawn } from 'node:child_process'
import { mergeMap, tap } from 'rxjs'
import { KafkaCluster } from '../lib/cluster/kafka-cluster.js'
import { consumeGroup } from '../lib/consume-group.js'
import { consoleLogger } from '../lib/logger.js'
import { startMockCluster } from '../lib/testing/index.js'

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const MESSAGES = option('messages', 1_500_000)
const PARTITIONS = option('partitions', 48)
const ROUNDS = option('rounds', 2)
const WITH_KAFKAJS = process.argv.includes('--kafkajs')
const WITH_KCAT = process.argv.includes('--kcat')
const TOPIC = 'bench'

/**
 * The mock keeps at most 5 MB of log per partition (older batches are dropped),
 * so the data is spread over enough partitions to stay below that: about
 * 40 000 messages of 100 bytes each.
 */
async function produce(bootstrap: string): Promise<void> {
  const value = 'x'.repeat(100)
  const perPartition = Math.ceil(MESSAGES / PARTITIONS)
  if (perPartition > 40_000) throw new Error(`${perPartition} messages per partition would overflow the mock's 5 MB log per partition: use more --partitions`)
  let left = MESSAGES
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const count = Math.min(perPartition, left)
    left -= count
    await new Promise<void>((resolve, reject) => {
      const kcat = spawn('kcat', ['-P', '-b', bootstrap, '-t', TOPIC, '-p', String(partition), '-X', 'linger.ms=50', '-X', 'batch.num.messages=10000'], { stdio: ['pipe', 'ignore', 'inherit'] })
      kcat.on('error', reject)
      kcat.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited with ${code}`))))
      kcat.stdin.end(`${value}\n`.repeat(count))
    })
  }
}

async function rxkafkaRound(bootstrap: string, round: number): Promise<number> {
  const client = new KafkaCluster({ brokers: bootstrap.split(','), clientId: 'bench', logger: consoleLogger('silent') })
  const group = consumeGroup({ client, groupId: `bench-rx-${round}`, topics: [TOPIC], fromBeginning: true, commitIntervalMs: 1_000 })
  let count = 0
  let started = 0
  const elapsed = await new Promise<number>((resolve, reject) => {
    const subscription = group
      .pipe(
        mergeMap((partition$) =>
          partition$.pipe(
            tap((msg) => {
              if (count === 0) started = performance.now()
              msg.done()
              if (++count === MESSAGES) {
                resolve(performance.now() - started)
                subscription.unsubscribe()
              }
            }),
          ),
        ),
      )
      .subscribe({ error: reject })
  })
  await new Promise((r) => setTimeout(r, 200))
  await client.close()
  return elapsed
}

async function kafkajsRound(bootstrap: string, round: number): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ brokers: bootstrap.split(','), clientId: 'bench', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `bench-kjs-${round}`, maxBytesPerPartition: 1_048_576 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  let count = 0
  let started = 0
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (count === 0) started = performance.now()
        count += batch.messages.length
        if (count >= MESSAGES) resolve(performance.now() - started)
      },
    })
  })
  await consumer.disconnect()
  return elapsed
}

/** kcat (native librdkafka) reading everything to the end: the practical ceiling of this mock and machine. */
async function kcatRound(bootstrap: string): Promise<number> {
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const kcat = spawn('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '.'], { stdio: ['ignore', 'ignore', 'inherit'] })
    kcat.on('error', reject)
    kcat.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited with ${code}`))))
  })
  return performance.now() - started
}

const cluster = await startMockCluster({ brokers: 3, topics: [{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 }] })
try {
  await cluster.setGroupInitialRebalanceDelay(0)
  const t0 = performance.now()
  await produce(cluster.bootstrap)
  console.log(`produced ${MESSAGES} x 100-byte messages to ${PARTITIONS} partitions with kcat in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  for (let round = 1; round <= ROUNDS; round++) {
    const ms = await rxkafkaRound(cluster.bootstrap, round)
    console.log(`rxkafka consumeGroup -> done(), round ${round}: ${MESSAGES} in ${(ms / 1000).toFixed(2)} s = ${Math.round((MESSAGES / ms) * 1000).toLocaleString('en')} msg/s (heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB)`)
  }
  if (WITH_KCAT) {
    const ms = await kcatRound(cluster.bootstrap)
    console.log(`kcat -C (native librdkafka, process start included): ${MESSAGES} in ${(ms / 1000).toFixed(2)} s = ${Math.round((MESSAGES / ms) * 1000).toLocaleString('en')} msg/s`)
  }
  if (WITH_KAFKAJS) {
    const ms = await kafkajsRound(cluster.bootstrap, 1)
    console.log(`KafkaJS eachBatch: ${MESSAGES} in ${(ms / 1000).toFixed(2)} s = ${Math.round((MESSAGES / ms) * 1000).toLocaleString('en')} msg/s`)
  }
} finally {
  await cluster.stop()
}
