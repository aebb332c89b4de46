/** `rxkafka lag --group ID`: committed offset, end offset and lag per partition, from the admin client. */
import { UsageError } from '../errors/index.js'
import type { Kafka } from '../kafka.js'
import type { PartitionLag } from '../admin/index.js'
import { stringOption, type CliCommand } from './args.js'
import { existingTopics } from './topic-check.js'

/** `rxkafka lag`. */
export const lagCommand: CliCommand = {
  name: 'lag',
  summary: "a group's lag per partition",
  usage: '--group ID --topics a,b [--json]',
  description:
    "For each partition of the topics: the group's committed offset, the end of the\n" +
    'log (high watermark) and the lag between them. A partition without a commit\n' +
    'shows "-" and its whole log as lag. A topic that does not exist is an error\n' +
    '(it is not created by looking at it).',
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

export type { PartitionLag }

/** The lag of a group on every partition of `topics`; a missing topic is an error, never created. */
export async function groupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  await existingTopics(kafka, topics)
  return kafka.admin.groupLag(groupId, topics)
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
