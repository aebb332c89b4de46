/**
 * The admin commands of the CLI against Apache Kafka, with Kafka's own tools
 * (TopicCommand, ConsumerGroupCommand, run from the Maven classpath of
 * test-brokers/kafka) as the reference: the same facts (partitions, leaders,
 * offsets, lag, reset targets), whatever the formatting. And the read-only
 * commands never create a topic.
 */
import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../lib/cli/main.js'
import { createKafka, type Kafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { sharedKafka, startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
let kafka: Kafka

beforeAll(async () => {
  peer = await startPeer('kafka')
  kafka = createKafka({ ...peer.clientConfig, clientId: 'admin-cli-spec', logger: consoleLogger('silent') })
})
afterAll(async () => {
  await kafka?.close()
  await peer?.stop()
})

async function cli(args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli([...args, '--brokers', peer.bootstrap], { out: (l) => out.push(l), err: (l) => err.push(l), input: Readable.from(['']) })
  return { code, out, err }
}

/** Runs one of Kafka's tool classes; the JVM is killed by its PID if it outlives 60 s. */
async function kafkaTool(className: string, args: string[]): Promise<{ code: number | null; out: string[] }> {
  const shared = sharedKafka()
  const child = spawn(shared.java, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=error', '-cp', shared.classpath, className, '--bootstrap-server', shared.bootstrap, ...args])
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-4_000) })
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000)
  try {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    if (code !== 0) throw new Error(`${className} ${args.join(' ')} exited with ${code}: ${stderr}`)
    return { code, out: stdout.split('\n').filter((l) => l.trim() !== '') }
  } finally {
    clearTimeout(timeout)
    if (child.exitCode === null) child.kill('SIGKILL')
  }
}

/** Polls until the broker's metadata shows the topic (it lags a moment behind CreateTopics). */
async function untilListed(name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [t] = await kafka.admin.describeTopics([name])
    if (t!.ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`topic ${name} never showed in metadata`)
}

const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand'
const GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand'

/** `Partition: 0  Leader: 1  Replicas: 1  Isr: 1` lines of either tool, as facts. */
function partitionFacts(lines: string[]): string[] {
  return lines
    .filter((l) => /Partition: \d+/.test(l))
    .map((l) => {
      const get = (name: string) => new RegExp(`${name}: ([^\\t ]*)`).exec(l)?.[1] ?? '?'
      return `p${get('Partition')} leader ${get('Leader')} replicas ${get('Replicas')} isr ${get('Isr')}`
    })
}

/** Rows of a table whose first column is the group: the named columns, keyed by topic and partition. */
function tableRows(lines: string[], groupId: string, columns: string[]): string[] {
  const headerLine = lines.find((l) => l.trim().startsWith('GROUP'))
  if (headerLine === undefined) throw new Error(`no table in:\n${lines.join('\n')}`)
  const header = headerLine.trim().split(/\s+/)
  return lines
    .filter((l) => l.trim().split(/\s+/)[0] === groupId)
    .map((l) => {
      const cells = l.trim().split(/\s+/)
      return columns.map((c) => cells[header.indexOf(c)] ?? '?').join(' ')
    })
    .sort()
}

describe('CLI admin commands against Apache Kafka, checked with Kafka\'s own tools', () => {
  it('topics create, describe, list and delete agree with TopicCommand', async () => {
    const name = uniqueName('cli-topics')
    const created = await cli(['topics', 'create', name, '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000'])
    expect(created.code).toBe(0)
    expect(created.out).toEqual([`created topic ${name} (3 partitions, replication factor 1)`])
    const again = await cli(['topics', 'create', name, '--partitions', '3'])
    expect(again.code).toBe(1)
    expect(again.out.join('\n')).toContain('TOPIC_ALREADY_EXISTS')
    await untilListed(name)

    const ours = await cli(['topics', 'describe', name])
    const theirs = await kafkaTool(TOPIC_COMMAND, ['--describe', '--topic', name])
    expect(partitionFacts(ours.out)).toHaveLength(3)
    expect(partitionFacts(ours.out)).toEqual(partitionFacts(theirs.out))
    expect(theirs.out.join('\n')).toContain('retention.ms=3600000')
    expect(ours.out[0]).toContain('PartitionCount: 3')
    expect(theirs.out[0]).toContain('PartitionCount: 3')

    const listed = await cli(['topics', 'list'])
    const theirList = await kafkaTool(TOPIC_COMMAND, ['--list'])
    expect(listed.out).toContain(name)
    expect(theirList.out).toContain(name)
    expect(listed.out.filter((t) => !t.startsWith('__'))).toEqual(theirList.out.filter((t) => !t.startsWith('__')).sort())

    const deleted = await cli(['topics', 'delete', name, uniqueName('cli-nope')])
    expect(deleted.code).toBe(1)
    expect(deleted.out[0]).toBe(`deleted topic ${name}`)
    expect(deleted.out[1]).toContain('UNKNOWN_TOPIC_OR_PARTITION')
  })

  it('metadata --topics and lag --topics name a missing topic and do not create it', async () => {
    const existing = uniqueName('cli-exists')
    await peer.createTopic(existing, 1)
    const nope = uniqueName('cli-nope')
    const typo = uniqueName('typo-topic')
    const metadata = await cli(['metadata', '--topics', `${existing},${nope}`])
    expect(metadata.code).toBe(1)
    expect(metadata.out).toContain(`topic ${existing} (1 partitions)`)
    expect(metadata.out).toContain(`topic ${nope}: UNKNOWN_TOPIC_OR_PARTITION (not created)`)
    const lag = await cli(['lag', '--group', uniqueName('cli-g'), '--topics', typo])
    expect(lag.code).toBe(1)
    expect(lag.err.join('\n')).toContain(`${typo} (UNKNOWN_TOPIC_OR_PARTITION): no such topic`)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const theirList = await kafkaTool(TOPIC_COMMAND, ['--list'])
    expect(theirList.out).toContain(existing)
    expect(theirList.out).not.toContain(nope)
    expect(theirList.out).not.toContain(typo)
  })

  it('groups list, describe and reset-offsets (every target, dry run then --execute) agree with ConsumerGroupCommand', async () => {
    const topic = uniqueName('cli-groups')
    const groupId = uniqueName('cli-group')
    await peer.createTopic(topic, 3)
    for (let i = 0; i < 5; i++) await kafka.send(topic, { partition: 0, value: `early ${i}` })
    for (let i = 0; i < 5; i++) await kafka.send(topic, { partition: 1, value: `early ${i}` })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const cut = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (let i = 0; i < 5; i++) await kafka.send(topic, { partition: 0, value: `late ${i}` })
    const committed = await kafka.admin.alterOffsets(groupId, [
      { topic, partition: 0, offset: 2n },
      { topic, partition: 1, offset: 1n },
      { topic, partition: 2, offset: 0n },
    ])
    expect(committed.every((c) => c.ok)).toBe(true)

    const listed = await cli(['groups', 'list'])
    expect(listed.out.some((l) => l.startsWith(groupId) && l.includes('Empty'))).toBe(true)
    const theirList = await kafkaTool(GROUP_COMMAND, ['--list'])
    expect(theirList.out).toContain(groupId)

    const columns = ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG']
    const ours = await cli(['groups', 'describe', groupId])
    const theirs = await kafkaTool(GROUP_COMMAND, ['--describe', '--group', groupId])
    expect(tableRows(ours.out, groupId, columns)).toEqual([`${topic} 0 2 10 8`, `${topic} 1 1 5 4`, `${topic} 2 0 0 0`])
    expect(tableRows(ours.out, groupId, columns)).toEqual(tableRows(theirs.out, groupId, columns))

    const iso = new Date(cut).toISOString().replace('Z', '+00:00')
    const targets: [string[], string[]][] = [
      [['--to-earliest'], ['--to-earliest']],
      [['--to-latest'], ['--to-latest']],
      [['--to-offset', '3'], ['--to-offset', '3']],
      [['--shift-by', '-1'], ['--shift-by', '-1']],
      [['--shift-by', '4'], ['--shift-by', '4']],
      [['--to-datetime', iso], ['--to-datetime', iso.slice(0, 23)]],
    ]
    for (const [ourTarget, theirTarget] of targets) {
      const dry = await cli(['groups', 'reset-offsets', '--group', groupId, '--topics', topic, ...ourTarget])
      expect(dry.code).toBe(0)
      expect(dry.out.at(-1)).toContain('dry run')
      const reference = await kafkaTool(GROUP_COMMAND, ['--reset-offsets', '--group', groupId, '--topic', topic, ...theirTarget, '--dry-run'])
      const rows = tableRows(dry.out, groupId, ['TOPIC', 'PARTITION', 'NEW-OFFSET'])
      expect(rows, ourTarget.join(' ')).toHaveLength(3)
      expect(rows, ourTarget.join(' ')).toEqual(tableRows(reference.out, groupId, ['TOPIC', 'PARTITION', 'NEW-OFFSET']))
    }
    // The dry runs changed nothing.
    expect((await kafka.admin.fetchOffsets(groupId, [topic])).map((o) => o.ok && o.offset)).toEqual([2n, 1n, 0n])

    const executed = await cli(['groups', 'reset-offsets', '--group', groupId, '--all-topics', '--to-datetime', iso, '--execute'])
    expect(executed.code).toBe(0)
    expect(executed.out.join('\n')).not.toContain('dry run')
    expect((await kafka.admin.fetchOffsets(groupId, [topic])).map((o) => o.ok && o.offset)).toEqual([5n, 5n, 0n])
    const after = await kafkaTool(GROUP_COMMAND, ['--describe', '--group', groupId])
    expect(tableRows(after.out, groupId, ['PARTITION', 'CURRENT-OFFSET'])).toEqual(['0 5', '1 5', '2 0'])

    const deleted = await cli(['groups', 'delete', groupId, uniqueName('cli-nogroup')])
    expect(deleted.code).toBe(1)
    expect(deleted.out[0]).toBe(`deleted group ${groupId}`)
    expect(deleted.out[1]).toContain('GROUP_ID_NOT_FOUND')
    expect((await kafkaTool(GROUP_COMMAND, ['--list'])).out).not.toContain(groupId)
  })

  it('reset-offsets refuses usage mistakes: no target, two targets, a bad date', async () => {
    for (const args of [[], ['--to-earliest', '--to-latest'], ['--to-datetime', 'yesterday']]) {
      const r = await cli(['groups', 'reset-offsets', '--group', 'g', '--topics', 't', ...args])
      expect(r.code, args.join(' ')).toBe(2)
    }
  })

  it('configs describe and alter: only the named keys change', async () => {
    const name = uniqueName('cli-configs')
    await peer.createTopic(name, 1)
    const altered = await cli(['configs', 'alter', '--topic', name, '--set', 'retention.ms=7200000,max.message.bytes=2000000'])
    expect(altered.code).toBe(0)
    const described = await cli(['configs', 'describe', '--topic', name, '--json'])
    const entries = JSON.parse(described.out.join('\n')) as { name: string; value: string; source: string }[]
    // Non-default values are shown with where they come from: the two set here, and what the cluster set for every broker.
    expect(entries.every((e) => e.source !== 'default')).toBe(true)
    expect(entries.filter((e) => e.source === 'dynamic-topic').map((e) => [e.name, e.value, e.source]).sort()).toEqual([
      ['max.message.bytes', '2000000', 'dynamic-topic'],
      ['retention.ms', '7200000', 'dynamic-topic'],
    ])
    expect((await cli(['configs', 'alter', '--topic', name, '--delete', 'retention.ms'])).code).toBe(0)
    const [after] = await kafka.admin.describeConfigs([{ type: 'topic', name }])
    expect(after!.ok && after!.configs.filter((c) => c.source === 'dynamic-topic').map((c) => c.name)).toEqual(['max.message.bytes'])
    const broker = await cli(['configs', 'describe', '--broker', '1', '--keys', 'group.initial.rebalance.delay.ms'])
    expect(broker.out.join('\n')).toMatch(/group\.initial\.rebalance\.delay\.ms\s+0\s+static-broker/)
    const bad = await cli(['configs', 'alter', '--topic', name, '--set', 'cleanup.policy=sometimes'])
    expect(bad.code).toBe(1)
    expect(bad.out.join('\n')).toContain('INVALID_CONFIG')
  })
})
