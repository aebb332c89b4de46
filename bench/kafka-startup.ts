/**
 * Start-up time and memory of startKafkaCluster (docs/kafka-cluster.md):
 * `npx tsx bench/kafka-startup.ts [runs] [brokers]`. Prints, per run, the time
 * until every node answered Metadata (install check, format and JVM start
 * included) and each node's RSS then and after 10 000 messages went through.
 */
import { execFileSync } from 'node:child_process'
import { lastValueFrom, map, mergeMap, range, take, tap, toArray } from 'rxjs'
import { KafkaCluster } from '../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../lib/consumer/index.js'
import { produceTo } from '../lib/producer/index.js'
import { startKafkaCluster } from '../lib/testing/index.js'

const runs = Number(process.argv[2] ?? 3)
const brokers = Number(process.argv[3] ?? 1)
const rssMb = (pid: number): number => Math.round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024)

for (let run = 1; run <= runs; run++) {
  const started = Date.now()
  const cluster = await startKafkaCluster({ brokers })
  const readyMs = Date.now() - started
  try {
    const atReady = cluster.nodes.map((n) => rssMb(n.pid!))
    await cluster.createTopic('bench', 3)
    const client = new KafkaCluster({ ...cluster.clientConfig, clientId: 'kafka-startup' })
    await lastValueFrom(range(0, 10_000).pipe(map((i) => ({ value: `message ${i}`.padEnd(100, '.') })), produceTo('bench', { client }), toArray()))
    await lastValueFrom(consumePartitions({ client, topic: 'bench', from: 'earliest' }).pipe(mergeMap((p) => p), tap((m) => m.done()), take(10_000), toArray()))
    await client.close()
    const afterWork = cluster.nodes.map((n) => rssMb(n.pid!))
    console.log(`run ${run}: ${brokers} node(s) ready in ${readyMs} ms; RSS MB at ready ${atReady.join('/')}, after 10 000 messages ${afterWork.join('/')}`)
  } finally {
    await cluster.stop()
  }
}
