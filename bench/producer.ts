/**
 * Producer throughput against the mock cluster: 100-byte values, acks=1,
 * lingerMs 5, keyless (sticky partitioner). Run by hand:
 *
 *   npx tsx bench/producer.ts [messages=2000000] [partitions=8] [compression=none]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/producer.ts
 *
 * The source is paced by the results (at most `window` messages outstanding),
 * which is how a real application keeps memory flat; see docs/producer.md.
 */
import { KafkaCluster } from '../lib/cluster/kafka-cluster.js'
import { produceTo } from '../lib/producer/index.js'
import { startMockCluster } from '../lib/testing/index.js'
import { pacedSource } from './paced-source.js'

const messages = Number(process.argv[2] ?? 2_000_000)
const partitions = Number(process.argv[3] ?? 8)
const compression = (process.argv[4] ?? 'none') as 'none' | 'lz4' | 'gzip' | 'snappy' | 'zstd'
const window = 400_000
const value = Buffer.alloc(100, 'x')

const mock = await startMockCluster({ brokers: 3, topics: [{ name: 'bench', partitions }] })
const client = new KafkaCluster({ ...mock.clientConfig, clientId: 'bench' })
try {
  // Connect and learn metadata first, so the timed part is producing only.
  await new Promise<void>((resolve, reject) => client.ensureTopics(['bench']).subscribe({ complete: resolve, error: reject }))

  let done = 0
  let failed = 0
  const { source, resultsSeen } = pacedSource(messages, window, value)
  const started = process.hrtime.bigint()
  const heapBefore = process.memoryUsage().rss
  let heapMax = heapBefore
  await new Promise<void>((resolve, reject) => {
    source.pipe(produceTo('bench', { client, acks: 1, lingerMs: 5, compression })).subscribe({
      next: (r) => {
        done++
        if (r.error !== undefined) failed++
        if ((done & 0xffff) === 0) {
          heapMax = Math.max(heapMax, process.memoryUsage().rss)
        }
        resultsSeen()
      },
      error: reject,
      complete: resolve,
    })
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(JSON.stringify({
    messages, partitions, compression, failed,
    seconds: Number(seconds.toFixed(3)),
    messagesPerSecond: Math.round(messages / seconds),
    mbPerSecond: Number((messages * value.length / seconds / 1e6).toFixed(1)),
    rssMaxMb: Math.round(heapMax / 1e6),
  }))
} finally {
  await client.close()
  await mock.stop()
}
