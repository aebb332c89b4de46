/** `rxkafka lag --group ID`: committed offset, end offset and lag per partition. */
import { firstValueFrom, forkJoin, map, of } from 'rxjs'
import type { Kafka } from '../kafka.js'
import { brokerError, UsageError } from '../errors/index.js'
import { ListOffsetsApi } from '../protocol/messages/ListOffsets.js'
import { OffsetFetchApi } from '../protocol/messages/OffsetFetch.js'
import { stringOption, type CliCommand } from './args.js'

/** `rxkafka lag`. */
export const lagCommand: CliCommand = {
  name: 'lag',
  summary: "a group's lag per partition",
  usage: '--group ID --topics a,b [--json]',
  description:
    "For each partition of the topics: the group's committed offset, the end of the\n" +
    'log (high watermark) and the lag between them. A partition without a commit\n' +
    'shows "-" and its whole log as lag.',
  options: [
    { name: 'group', type: 'string', short: 'g', value: 'ID', description: 'the consumer group (required)' },
    { name: 'topics', type: 'string', value: 'A,B', description: 'the topics whose partitions to show (required)' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, io }) {
    const group = stringOption(values, 'group')
    const topics = stringOption(values, 'topics')
    const missing = [group === undefined ? '--group' : undefined, topics === undefined ? '--topics' : undefined].filter((m) => m !== undefined)
    if (missing.length > 0) throw new UsageError(`lag needs ${missing.join(' and ')}`)
    await showLag(kafka, group!, topics!.split(','), values.json === true, io.out)
    return 0
  },
}

export interface PartitionLag {
  topic: string
  partition: number
  committed: bigint | null
  end: bigint
  lag: bigint
}

const LATEST = -1n

export async function groupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const cluster = kafka.cluster
  const view = await firstValueFrom(cluster.ensureTopics(topics))
  const coordinator = await firstValueFrom(cluster.findCoordinator('group', groupId))
  const wanted = topics.map((name) => ({ name, partitionIndexes: view.topics.get(name)!.partitions.map((p) => p.partition) }))
  const committed = await firstValueFrom(
    cluster
      .request(coordinator, OffsetFetchApi, (version) =>
        version >= 8 ? { groups: [{ groupId, topics: wanted }], requireStable: false } : { groupId, topics: wanted, requireStable: false },
      )
      .pipe(
        map((response) => {
          const offsets = new Map<string, bigint>()
          const groupError = response.groups?.[0]?.errorCode ?? response.errorCode ?? 0
          if (groupError !== 0) throw brokerError(groupError, { api: 'OffsetFetch' })
          const topicsOut = response.groups?.[0]?.topics ?? response.topics ?? []
          for (const t of topicsOut) for (const p of t.partitions) if (p.committedOffset >= 0n) offsets.set(`${t.name}:${p.partitionIndex}`, p.committedOffset)
          return offsets
        }),
      ),
  )
  // One ListOffsets per leader, for the partitions it leads.
  const byLeader = new Map<number, { topic: string; partition: number }[]>()
  for (const name of topics) {
    for (const p of view.topics.get(name)!.partitions) {
      const list = byLeader.get(p.leader) ?? []
      list.push({ topic: name, partition: p.partition })
      byLeader.set(p.leader, list)
    }
  }
  const ends = new Map<string, bigint>()
  const answers = await firstValueFrom(
    byLeader.size === 0
      ? of([])
      : forkJoin(
          [...byLeader].map(([leader, parts]) =>
            cluster.request(leader, ListOffsetsApi, {
              replicaId: -1,
              isolationLevel: 0,
              topics: topics.map((name) => ({
                name,
                partitions: parts.filter((x) => x.topic === name).map((x) => ({ partitionIndex: x.partition, timestamp: LATEST, currentLeaderEpoch: -1, maxNumOffsets: 1 })),
              })).filter((t) => t.partitions.length > 0),
            }),
          ),
        ),
  )
  for (const answer of answers) {
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw brokerError(p.errorCode, { api: 'ListOffsets', topic: t.name, partition: p.partitionIndex })
        ends.set(`${t.name}:${p.partitionIndex}`, p.offset ?? -1n)
      }
    }
  }
  const rows: PartitionLag[] = []
  for (const name of topics) {
    for (const p of view.topics.get(name)!.partitions) {
      const key = `${name}:${p.partition}`
      const end = ends.get(key) ?? 0n
      const at = committed.get(key) ?? null
      rows.push({ topic: name, partition: p.partition, committed: at, end, lag: end - (at ?? 0n) })
    }
  }
  return rows
}

export async function showLag(kafka: Kafka, groupId: string, topics: string[], json: boolean, out: (line: string) => void): Promise<void> {
  const rows = await groupLag(kafka, groupId, topics)
  if (json) {
    out(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2))
    return
  }
  out(`group ${groupId}`)
  out('topic'.padEnd(24) + 'partition'.padStart(10) + 'committed'.padStart(14) + 'end'.padStart(14) + 'lag'.padStart(12))
  let total = 0n
  for (const r of rows) {
    total += r.lag
    out(r.topic.padEnd(24) + String(r.partition).padStart(10) + (r.committed === null ? '-' : r.committed.toString()).padStart(14) + r.end.toString().padStart(14) + r.lag.toString().padStart(12))
  }
  out(`total lag ${total}`)
}
