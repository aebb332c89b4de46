/**
 * The producer's memory over a long run (issue 19's memory goal): produce
 * 10 million 100-byte messages into the mock, the source paced by the results
 * (at most `window` messages outstanding, as docs/producer.md advises), and
 * sample this process's RSS after every million results.
 *
 *   npm run bench:memory                     # 10 000 000 messages
 *   npx tsx bench/memory.ts 2000000 8 lz4    # messages, partitions, compression
 *
 * The floor is this process's RSS before the mock starts and before any
 * client exists: Node, tsx and rxkafka's modules loaded, nothing running. The
 * mock cluster is a child process, so its memory is not counted here. The
 * output is one JSON line: the floor, the samples, the peak above the floor,
 * and the growth from the first million to the last.
 */
import { KafkaCluster } from '../lib/cluster/kafka-cluster.js'
import { produceTo } from '../lib/producer/index.js'
import { startMockCluster } from '../lib/testing/index.js'
import { pacedSource } from './paced-source.js'

const messages = Number(process.argv[2] ?? 10_000_000)
const partitions = Number(process.argv[3] ?? 8)
const compression = (process.argv[4] ?? 'none') as 'none' | 'lz4' | 'gzip' | 'snappy' | 'zstd'
/** Messages emitted ahead of their results: bounded, so memory is bounded by it and by maxBufferedBytes. */
const window = Number(process.env.BENCH_WINDOW ?? 200_000)
const sampleEvery = 1_000_000
const value = Buffer.alloc(100, 'x')
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10

globalThis.gc?.()
const floorRss = process.memoryUsage().rss
const mock = await startMockCluster({ brokers: 3, topics: [{ name: 'memory', partitions }] })
const client = new KafkaCluster({ ...mock.clientConfig, clientId: 'bench-memory' })
try {
  await new Promise<void>((resolve, reject) => client.ensureTopics(['memory']).subscribe({ complete: resolve, error: reject }))

  let done = 0
  let failed = 0
  let peakRss = process.memoryUsage().rss
  const samples: Array<{ results: number; rssMB: number; heapTotalMB: number; heapUsedMB: number; externalMB: number; arrayBuffersMB: number }> = []
  const { source, resultsSeen } = pacedSource(messages, window, value)
  const started = process.hrtime.bigint()
  await new Promise<void>((resolve, reject) => {
    source.pipe(produceTo('memory', { client, acks: 1, lingerMs: 5, compression })).subscribe({
      next: (r) => {
        done++
        if (r.error !== undefined) failed++
        if ((done & 0x3fff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
        if (done % sampleEvery === 0) {
          const m = process.memoryUsage()
          samples.push({ results: done, rssMB: mb(m.rss), heapTotalMB: mb(m.heapTotal), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) })
        }
        resultsSeen()
      },
      error: reject,
      complete: resolve,
    })
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const first = samples[0]
  const last = samples[samples.length - 1]
  console.log(JSON.stringify({
    messages, partitions, compression, failed, window,
    seconds: Number(seconds.toFixed(1)),
    messagesPerSecond: Math.round(messages / seconds),
    floorRssMB: mb(floorRss),
    peakRssMB: mb(peakRss),
    peakAboveFloorMB: mb(peakRss - floorRss),
    firstToLastMillionMB: first !== undefined && last !== undefined ? Math.round((last.rssMB - first.rssMB) * 10) / 10 : null,
    samples,
  }))
} finally {
  await client.close()
  await mock.stop()
}
