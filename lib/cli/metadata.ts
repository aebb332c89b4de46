/** `rxkafka metadata`: brokers, topics, partitions, leaders and replicas. */
import { firstValueFrom } from 'rxjs'
import { KafkaCluster } from '../cluster/kafka-cluster.js'
import type { Kafka } from '../kafka.js'
import { stringOption, type CliCommand } from './args.js'

/** `rxkafka metadata`. */
export const metadataCommand: CliCommand = {
  name: 'metadata',
  summary: 'brokers, topics, partitions and leaders',
  usage: '[--topics a,b] [--json]',
  description:
    'Shows the brokers, and for each topic its partitions with leader, replicas and\n' +
    'in-sync replicas. Without --topics, every topic the cluster lists.',
  options: [
    { name: 'topics', type: 'string', value: 'A,B', description: 'only these topics (default: every topic)' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, io }) {
    await showMetadata(kafka, stringOption(values, 'topics')?.split(','), values.json === true, io.out)
    return 0
  },
}

export async function showMetadata(kafka: Kafka, topics: string[] | undefined, json: boolean, out: (line: string) => void): Promise<void> {
  const cluster = kafka.cluster
  const view = await firstValueFrom(
    topics !== undefined || !(cluster instanceof KafkaCluster) ? cluster.ensureTopics(topics ?? []) : cluster.allTopicsMetadata(),
  )
  const shown = [...view.topics.values()].filter((t) => (topics === undefined ? t.errorCode === 0 : topics.includes(t.name)))
  if (json) {
    out(JSON.stringify({ clusterId: view.clusterId, controllerId: view.controllerId, brokers: [...view.brokers.values()], topics: shown }, null, 2))
    return
  }
  out(`cluster ${view.clusterId ?? '(no id)'}, controller ${view.controllerId}`)
  for (const b of [...view.brokers.values()].sort((x, y) => x.nodeId - y.nodeId)) {
    out(`  broker ${b.nodeId} at ${b.host}:${b.port}${b.rack === null ? '' : ` rack ${b.rack}`}`)
  }
  for (const t of shown.sort((a, b) => a.name.localeCompare(b.name))) {
    out(`topic ${t.name} (${t.partitions.length} partitions)`)
    for (const p of t.partitions) {
      out(`  partition ${p.partition}: leader ${p.leader} epoch ${p.leaderEpoch} replicas [${p.replicas.join(',')}] isr [${p.isr.join(',')}]`)
    }
  }
}
