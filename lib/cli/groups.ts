/** `rxkafka groups list|describe|delete|reset-offsets`: consumer groups through the admin client. */
import { UsageError } from '../errors/index.js'
import type { Kafka } from '../kafka.js'
import type { TopicPartition } from '../admin/index.js'
import { stringOption, subcommandOf, type CliCommand } from './args.js'
import { listOption, table, toJson } from './cli-output.js'
import { resetOffsets } from './groups-reset-offsets.js'

const SUBCOMMANDS = ['list', 'describe', 'delete', 'reset-offsets'] as const

/** One row of `groups describe`: as Kafka's own tool shows a partition of a group. */
export interface GroupPartitionRow extends TopicPartition {
  group: string
  currentOffset: bigint | null
  logEndOffset: bigint
  lag: bigint | null
  consumerId: string | null
  host: string | null
  clientId: string | null
}

/** The partitions a group has commits for or members on, with offsets, lag and owner. */
export async function describeGroupPartitions(kafka: Kafka, groupId: string): Promise<{ state: string; rows: GroupPartitionRow[] } | { error: string }> {
  const [group] = await kafka.admin.describeGroups([groupId])
  if (!group!.ok) return { error: group!.error.message }
  const committed = await kafka.admin.fetchOffsets(groupId)
  const owner = new Map<string, { memberId: string; clientHost: string; clientId: string }>()
  for (const m of group!.members) for (const tp of m.assignment) owner.set(`${tp.topic}:${tp.partition}`, m)
  const keys = new Map<string, TopicPartition>()
  for (const c of committed) keys.set(`${c.topic}:${c.partition}`, { topic: c.topic, partition: c.partition })
  for (const m of group!.members) for (const tp of m.assignment) keys.set(`${tp.topic}:${tp.partition}`, tp)
  const parts = [...keys.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  const ends = await kafka.admin.listOffsets(parts.map((p) => ({ ...p, spec: 'latest' as const })))
  const rows = parts.map((p, i) => {
    const c = committed.find((x) => x.topic === p.topic && x.partition === p.partition)
    const current = c?.ok === true && c.offset >= 0n ? c.offset : null
    const e = ends[i]!
    const end = e.ok ? e.offset : -1n
    const m = owner.get(`${p.topic}:${p.partition}`)
    return { group: groupId, ...p, currentOffset: current, logEndOffset: end, lag: current === null || end < 0n ? null : end - current, consumerId: m?.memberId ?? null, host: m?.clientHost ?? null, clientId: m?.clientId ?? null }
  })
  return { state: group!.state, rows }
}

/** `rxkafka groups`. */
export const groupsCommand: CliCommand = {
  name: 'groups',
  summary: 'list, describe, delete groups and reset their offsets',
  usage: '<list|describe|delete|reset-offsets> [group...] [options]',
  description:
    'list: every group with its state and type. describe <group...>: each partition with\n' +
    'committed offset, log end, lag and owner. delete <group...>: deletes empty groups.\n' +
    'reset-offsets --group G (--topics a,b | --all-topics) and one of --to-earliest,\n' +
    '--to-latest, --to-datetime ISO, --to-offset N, --shift-by N: shows the new offsets\n' +
    '(a dry run, as Kafka\'s own tool); --execute commits them (the group must be inactive).',
  options: [
    { name: 'group', type: 'string', short: 'g', value: 'ID', description: 'reset-offsets: the group' },
    { name: 'topics', type: 'string', value: 'A,B', description: 'reset-offsets: the topics to reset' },
    { name: 'all-topics', type: 'boolean', description: 'reset-offsets: every topic the group has offsets for' },
    { name: 'to-earliest', type: 'boolean', description: 'reset-offsets: to the first offset' },
    { name: 'to-latest', type: 'boolean', description: 'reset-offsets: to the end of the log' },
    { name: 'to-datetime', type: 'string', value: 'ISO', description: 'reset-offsets: to the first offset at or after this time' },
    { name: 'to-offset', type: 'string', value: 'N', description: 'reset-offsets: to this offset (clamped to the log)' },
    { name: 'shift-by', type: 'string', value: 'N', description: 'reset-offsets: the committed offset moved by N (negative: back)' },
    { name: 'execute', type: 'boolean', description: 'reset-offsets: commit the new offsets (default: dry run)' },
    { name: 'state', type: 'string', value: 'S,...', description: 'list: only groups in these states' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, positionals, io }) {
    const [given, ...ids] = positionals
    const sub = subcommandOf('groups', given, SUBCOMMANDS)
    const json = values.json === true
    if (sub === 'reset-offsets') return resetOffsets(kafka, values, io.out)
    if (sub === 'list') {
      const states = listOption(stringOption(values, 'state'))
      const groups = await kafka.admin.listGroups(states.length === 0 ? {} : { states })
      if (json) io.out(toJson(groups))
      else for (const line of table(['GROUP', 'STATE', 'TYPE', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, g.state, g.type, g.protocolType]))) io.out(line)
      return 0
    }
    if (ids.length === 0) throw new UsageError(`groups ${sub} needs at least one group id`)
    if (sub === 'delete') {
      const results = await kafka.admin.deleteGroups(ids)
      if (json) io.out(toJson(results.map((r) => (r.ok ? r : { groupId: r.groupId, ok: false, error: r.error.code }))))
      else for (const r of results) io.out(r.ok ? `deleted group ${r.groupId}` : `group ${r.groupId}: ${r.error.message}`)
      return results.every((r) => r.ok) ? 0 : 1
    }
    let failed = 0
    const described: unknown[] = []
    for (const id of ids) {
      const result = await describeGroupPartitions(kafka, id)
      if ('error' in result) {
        failed++
        if (json) described.push({ group: id, error: result.error })
        else io.out(`group ${id}: ${result.error}`)
        continue
      }
      if (json) {
        described.push({ group: id, state: result.state, partitions: result.rows })
        continue
      }
      io.out(`group ${id} (${result.state})`)
      const dash = (v: string | null) => v ?? '-'
      for (const line of table(
        ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
        result.rows.map((r) => [r.group, r.topic, String(r.partition), dash(r.currentOffset?.toString() ?? null), r.logEndOffset.toString(), dash(r.lag?.toString() ?? null), dash(r.consumerId), dash(r.host), dash(r.clientId)]),
      )) io.out(line)
    }
    if (json) io.out(toJson(described))
    return failed > 0 ? 1 : 0
  },
}
