/**
 * `npm run broker`: one librdkafka mock cluster in the foreground, for trying
 * clients by hand. `npm run build:native` (this script with --build) only
 * compiles the host program.
 *
 *   npm run broker -- --brokers 3 --topic orders:6 --topic audit:1 --port 9092 --rebalance-delay-ms 0
 *
 * It prints what the consumer groups do as it happens, so an app that waits
 * for a rebalance is seen waiting, and why. It stops the mock and exits on
 * Ctrl-C, SIGTERM, SIGHUP, and when the process that started it (npm) goes
 * away without a signal, so stopping `npm run broker` leaves no process behind.
 */
import { parseArgs } from 'node:util'
import { buildMockClusterBinary, startMockCluster } from '../lib/testing/index.js'
import type { MockTopicSpec } from '../lib/testing/index.js'

const usage = `usage: npm run broker -- [--brokers N] [--topic name:partitions[:replication]]... [--port BASE]
                         [--rebalance-delay-ms MS] [--quiet] [--build]
  --brokers N               number of brokers (1..64, default 3)
  --topic T:P[:R]           create topic T with P partitions (and replication factor R); repeatable
  --port BASE               broker i listens on port BASE+i-1 (default: free ports, new on every start)
  --rebalance-delay-ms MS   group.initial.rebalance.delay.ms: how long a new group waits for more members
                            before its first rebalance (default 3000, as in Kafka; 0 for quick restarts)
  --quiet                   do not print what the consumer groups do
  --build                   only build the native host program, then exit`

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

function parse() {
  return parseArgs({
    options: {
      brokers: { type: 'string' },
      topic: { type: 'string', multiple: true },
      port: { type: 'string' },
      'rebalance-delay-ms': { type: 'string' },
      quiet: { type: 'boolean' },
      build: { type: 'boolean' },
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

if (values.build === true) {
  const info = await buildMockClusterBinary()
  process.stdout.write(`mock cluster host: ${info.binaryPath} (librdkafka ${info.librdkafkaVersion})\n`)
  process.exit(0)
}

function integer(name: string, text: string | undefined, fallback: number | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}, got '${text}'`)
  return n
}

const brokers = integer('brokers', values.brokers, 3, 1, 64)!
const port = integer('port', values.port, undefined, 1, 65536 - brokers)
const rebalanceDelayMs = integer('rebalance-delay-ms', values['rebalance-delay-ms'], undefined, 0, 600_000)

const topics: MockTopicSpec[] = (values.topic ?? []).map((spec) => {
  const match = /^([^:]+):(\d+)(?::(\d+))?$/.exec(spec)
  if (match === null) fail(`--topic must look like name:partitions or name:partitions:replication, got '${spec}'`)
  const [, name, partitions, replication] = match
  return { name: name!, partitions: Number(partitions), ...(replication === undefined ? {} : { replicationFactor: Number(replication) }) }
})

const time = (): string => new Date().toISOString().slice(11, 23)
const print = (line: string): void => void process.stdout.write(`${line}\n`)

/** Groups in the middle of a rebalance, and since when: a wait is reported every few seconds until it ends. */
const joining = new Map<string, number>()

/** One line of the mock's group log, with what it means for an app that waits; undefined for noise. */
function explainGroupLine(line: string): string | undefined {
  const text = line.replace(/^Mock consumer group /, 'group ').replace(/^Consumer group /, 'group ')
  const group = /^group (\S+)/.exec(text)?.[1]
  if (/FSM timeout in state (Up|Empty)/.test(text)) return undefined // the mock's periodic session check
  if (group !== undefined && /-> Joining/.test(text)) {
    joining.set(group, Date.now())
    if (/with 1 member\(s\) changing state Empty/.test(text)) {
      return `${text} (a new group waits group.initial.rebalance.delay.ms for more members before it rebalances)`
    }
    return `${text}\n      (the rebalance waits until every member has rejoined: a member of an earlier run that did not leave the ` +
      'group, killed or stopped without unsubscribing, is waited for until its session times out, at most the session timeout minus 1 s)'
  }
  if (group !== undefined && /Joining -> /.test(text)) joining.delete(group)
  if (/session timed out/.test(text)) return `${text} (it stopped heartbeating and is dropped; the rebalance goes on without it)`
  if (/FSM timeout in state Joining/.test(text)) return `${text} (the join wait is over: the group rebalances with the members it has)`
  return text
}

function onGroupLog(line: string): void {
  const shown = explainGroupLine(line)
  if (shown !== undefined) print(`${time()}  ${shown}`)
}

setInterval(() => {
  for (const [group, since] of joining) {
    print(`${time()}  group ${group}: still rebalancing after ${Math.round((Date.now() - since) / 1000)} s, waiting for members to rejoin`)
  }
}, 5_000).unref()

let cluster: Awaited<ReturnType<typeof startMockCluster>>
try {
  cluster = await startMockCluster({
    brokers,
    topics,
    ...(port === undefined ? {} : { port }),
    ...(values.quiet === true ? {} : { onGroupLog }),
  })
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
if (rebalanceDelayMs !== undefined) await cluster.setGroupInitialRebalanceDelay(rebalanceDelayMs)

const exampleTopic = topics[0]?.name ?? 'test'
print(
  [
    `mock cluster up: ${brokers} broker(s), pid ${cluster.pid} (this script: pid ${process.pid})`,
    ...cluster.brokers.map((b) => `  broker ${b.id}: ${b.host}:${b.port}`),
    ...topics.map((t) => `  topic ${t.name}: ${t.partitions} partition(s)`),
    `  group.initial.rebalance.delay.ms: ${rebalanceDelayMs ?? 3000}${rebalanceDelayMs === undefined ? ' (--rebalance-delay-ms 0 for quick restarts)' : ''}`,
    `  ports: ${port === undefined ? 'free ones, new on every start (--port BASE to fix them)' : `fixed from ${port}`}`,
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
    values.quiet === true ? 'Ctrl-C to stop.' : 'What consumer groups do is printed below as it happens. Ctrl-C to stop.',
    '',
  ].join('\n'),
)

let stopping = false
const shutdown = (why: string): void => {
  if (stopping) return
  stopping = true
  print(`\n${why}: stopping the mock cluster`)
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
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal))

// npm forwards SIGINT and SIGTERM, but a parent killed outright sends nothing: when this process is
// orphaned (its parent id changes), it stops too. The interval also holds the event loop, which the
// cluster's handles do not (so tests never hang on a forgotten cluster).
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) shutdown(`the parent process ${parent} is gone`)
}, 500)
