/** `rxkafka metadata`: brokers, topics, partitions, leaders and replicas. Never creates a topic. */
import { firstValueFrom } from 'rxjs'
import type { Kafka } from '../kafka.js'
import { stringOption, type CliCommand } from './args.js'

/** `rxkafka metadata`. */
export const metadataCommand: CliCommand = {
  name: 'metadata',
  summary: 'brokers, topics, partitions and leaders',
  usage: '[--topics a,b] [--json]',
  description:
    'Shows the brokers, and for each topic its partitions with leader, replicas and\n' +
    'in-sync replicas. Without --topics, every topic the cluster lists. A named topic\n' +
    'that does not exist is reported (exit code 1), never created.',
  options: [
    { name: 'topics', type: 'string', value: 'A,B', description: 'only these topics (default: every topic)' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, io }) {
    return showMetadata(kafka, stringOption(values, 'topics')?.split(','), values.json === true, io.out)
  },
}

/** Prints the metadata; resolves with the exit code (1 when a named topic does not exist). */
export async function showMetadata(kafka: Kafka, topics: string[] | undefined, json: boolean, out: (line: string) => void): Promise<number> {
  // Brokers and cluster id from a Metadata request naming no topic; topics from the admin client (auto-creation off).
  const view = await firstValueFrom(kafka.cluster.refreshMetadata())
  const described = await kafka.admin.describeTopics(topics ?? null)
  const shown = described.filter((t) => t.ok)
  const missing = described.filter((t) => !t.ok)
  if (json) {
    out(
      JSON.stringify(
        {
          clusterId: view.clusterId,
          controllerId: view.controllerId,
          brokers: [...view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId),
          topics: shown.map((t) => ({ ...t, ok: undefined })),
          missing: missing.map((t) => ({ name: t.name, error: t.ok ? undefined : t.error.code })),
        },
        null,
        2,
      ),
    )
    return missing.length > 0 ? 1 : 0
  }
  out(`cluster ${view.clusterId ?? '(no id)'}, controller ${view.controllerId}`)
  for (const b of [...view.brokers.values()].sort((x, y) => x.nodeId - y.nodeId)) {
    out(`  broker ${b.nodeId} at ${b.host}:${b.port}${b.rack === null ? '' : ` rack ${b.rack}`}`)
  }
  for (const t of described.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!t.ok) {
      out(`topic ${t.name}: ${t.error.code} (not created)`)
      continue
    }
    out(`topic ${t.name} (${t.partitions.length} partitions)`)
    for (const p of t.partitions) {
      out(`  partition ${p.partition}: leader ${p.leader} epoch ${p.leaderEpoch} replicas [${p.replicas.join(',')}] isr [${p.isr.join(',')}]`)
    }
  }
  return missing.length > 0 ? 1 : 0
}
