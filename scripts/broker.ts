/**
 * `npm run broker`: one librdkafka mock cluster in the foreground, for trying
 * clients by hand. `npm run build:native` (this script with --build) only
 * compiles the host program.
 *
 *   npm run broker -- --brokers 3 --topic orders:6 --topic audit:1
 */
import { parseArgs } from 'node:util'
import { buildMockClusterBinary, startMockCluster } from '../lib/testing/index.js'
import type { MockTopicSpec } from '../lib/testing/index.js'

const usage = `usage: npm run broker -- [--brokers N] [--topic name:partitions[:replication]]... [--build]
  --brokers N     number of brokers (1..64, default 3)
  --topic T:P[:R] create topic T with P partitions (and replication factor R); repeatable
  --build         only build the native host program, then exit`

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

let parsed: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    options: {
      brokers: { type: 'string' },
      topic: { type: 'string', multiple: true },
      build: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
}
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

if (values.build === true) {
  const info = await buildMockClusterBinary()
  process.stdout.write(`mock cluster host: ${info.binaryPath} (librdkafka ${info.librdkafkaVersion})\n`)
  process.exit(0)
}

const brokers = values.brokers === undefined ? 3 : Number(values.brokers)
if (!Number.isInteger(brokers) || brokers < 1 || brokers > 64) fail(`--brokers must be an integer in 1..64, got ${values.brokers}`)

const topics: MockTopicSpec[] = (values.topic ?? []).map((spec) => {
  const match = /^([^:]+):(\d+)(?::(\d+))?$/.exec(spec)
  if (match === null) fail(`--topic must look like name:partitions or name:partitions:replication, got '${spec}'`)
  const [, name, partitions, replication] = match
  return { name: name!, partitions: Number(partitions), ...(replication === undefined ? {} : { replicationFactor: Number(replication) }) }
})

const cluster = await startMockCluster({ brokers, topics })
const exampleTopic = topics[0]?.name ?? 'test'
process.stdout.write(
  [
    `mock cluster up: ${brokers} broker(s), pid ${cluster.pid}`,
    ...cluster.brokers.map((b) => `  broker ${b.id}: ${b.host}:${b.port}`),
    ...topics.map((t) => `  topic ${t.name}: ${t.partitions} partition(s)`),
    '',
    `bootstrap: ${cluster.bootstrap}`,
    '',
    'rxkafka clients need the mock\'s compatibility setting (createKafka({ ...cluster.clientConfig }) in code):',
    `  npm run cli -- metadata --brokers ${cluster.bootstrap} --compatibility '${JSON.stringify(cluster.clientConfig.compatibility)}'`,
    '',
    'try:',
    `  echo 'key:hello' | kcat -P -b ${cluster.bootstrap} -t ${exampleTopic} -K :`,
    `  kcat -C -b ${cluster.bootstrap} -t ${exampleTopic} -K : -e -o beginning`,
    '',
    'Ctrl-C to stop.',
    '',
  ].join('\n'),
)

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  process.stdout.write(`\n${signal}: stopping the mock cluster\n`)
  cluster.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
void cluster.exited.then(() => {
  if (stopping) return
  process.stderr.write('the mock cluster process exited on its own\n')
  process.exit(1)
})
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
// The cluster's handles do not hold the event loop (so tests never hang on a forgotten cluster); this does.
const keepAlive = setInterval(() => undefined, 1 << 30)
void keepAlive
