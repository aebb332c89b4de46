/**
 * `npm run kafka`: a real Apache Kafka cluster (KRaft) in the foreground, on
 * fixed ports that it prints, for trying clients and tools by hand.
 * `--install` only resolves Kafka with Maven (what .ci/run does).
 *
 *   npm run kafka -- --brokers 3 --topic orders:6
 */
import { parseArgs } from 'node:util'
import { installKafka, startKafkaCluster } from '../lib/testing/index.js'
import type { KafkaTopicSpec } from '../lib/testing/index.js'

const usage = `usage: npm run kafka -- [--brokers N] [--port P] [--topic name:partitions[:replication]]... [--install]
  --brokers N     number of KRaft nodes, each broker and controller (1..5, default 1)
  --port P        PLAINTEXT port of node 1; node i listens on P+i-1, its controller on P+100+i-1 (default 9092)
  --topic T:P[:R] create topic T with P partitions (and replication factor R); repeatable
  --install       only install Kafka (Maven resolve into test-brokers/kafka/target), then exit`

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

function parse() {
  return parseArgs({
    options: {
      brokers: { type: 'string' },
      port: { type: 'string' },
      topic: { type: 'string', multiple: true },
      install: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
}
let parsed: ReturnType<typeof parse>
try {
  parsed = parse()
} catch (error) {
  fail((error as Error).message)
}
const { values } = parsed
if (values.help === true) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

if (values.install === true) {
  const started = Date.now()
  const install = await installKafka()
  process.stdout.write(`Kafka ${install.kafkaVersion} installed in ${install.projectDir}/target (${Date.now() - started} ms)\n`)
  process.exit(0)
}

const brokers = values.brokers === undefined ? 1 : Number(values.brokers)
if (!Number.isInteger(brokers) || brokers < 1 || brokers > 5) fail(`--brokers must be an integer in 1..5, got ${values.brokers}`)
const basePort = values.port === undefined ? 9092 : Number(values.port)
if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65_000) fail(`--port must be an integer in 1024..65000, got ${values.port}`)
const topics: KafkaTopicSpec[] = (values.topic ?? []).map((spec) => {
  const match = /^([^:]+):(\d+)(?::(\d+))?$/.exec(spec)
  if (match === null) fail(`--topic must look like name:partitions or name:partitions:replication, got '${spec}'`)
  const [, name, partitions, replication] = match
  return { name: name!, partitions: Number(partitions), ...(replication === undefined ? {} : { replicationFactor: Number(replication) }) }
})

const started = Date.now()
const cluster = await startKafkaCluster({ brokers, basePort, topics })
const exampleTopic = topics[0]?.name ?? 'test'
process.stdout.write(
  [
    `Kafka ${cluster.kafkaVersion} up in ${Date.now() - started} ms: ${brokers} node(s), cluster id ${cluster.clusterId}`,
    ...cluster.nodes.map((n) => `  node ${n.id}: ${n.host}:${n.port} (controller ${n.controllerPort}), pid ${n.pid}, log ${n.logPath}`),
    ...topics.map((t) => `  topic ${t.name}: ${t.partitions} partition(s)`),
    '',
    `bootstrap: ${cluster.bootstrap}`,
    '',
    'try:',
    `  echo 'key:hello' | kcat -P -b ${cluster.bootstrap} -t ${exampleTopic} -K :`,
    `  kcat -C -b ${cluster.bootstrap} -t ${exampleTopic} -K : -e -o beginning`,
    '',
    'Ctrl-C to stop (the data is deleted).',
    '',
  ].join('\n'),
)

let stopping = false
const shutdown = (signal: string, code = 0): void => {
  if (stopping) return
  stopping = true
  process.stdout.write(`\n${signal}: stopping Kafka\n`)
  cluster.stop().then(
    () => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
// Nodes are not restarted here: one that dies ends the session, with its last log lines.
setInterval(() => {
  const dead = cluster.nodes.find((n) => !n.running)
  if (dead === undefined || stopping) return
  process.stderr.write(`node ${dead.id} exited on its own; its last log lines:\n  ${cluster.logTail(dead.id).join('\n  ')}\n`)
  shutdown('node exit', 1)
}, 1_000)
