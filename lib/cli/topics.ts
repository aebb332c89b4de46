/** `rxkafka topics create|delete|describe|list`: topics through the admin client. */
import { UsageError } from '../errors/index.js'
import type { NewTopic } from '../admin/index.js'
import { stringOption, subcommandOf, type CliCommand, type ParsedValues } from './args.js'
import { listOption, toJson } from './cli-output.js'

const SUBCOMMANDS = ['create', 'delete', 'describe', 'list'] as const

function wholeNumber(values: ParsedValues, name: string): number | undefined {
  const raw = stringOption(values, name)
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number >= 1, got ${JSON.stringify(raw)}`)
  return n
}

/** `--config k=v,k2=v2` as a record. */
export function configOption(raw: string | undefined): Record<string, string> {
  const configs: Record<string, string> = {}
  for (const pair of listOption(raw)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--config entries are key=value, got ${JSON.stringify(pair)}`)
    configs[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return configs
}

/** `rxkafka topics`. */
export const topicsCommand: CliCommand = {
  name: 'topics',
  summary: 'create, delete, describe and list topics',
  usage: '<create|delete|describe|list> [topic...] [options]',
  description:
    'create <topic...>: creates topics (--partitions, --replication-factor, --config k=v,...;\n' +
    '  --validate-only checks without creating). delete <topic...>: deletes them.\n' +
    'describe [topic...]: partitions, leaders, replicas, ISR (default: every topic).\n' +
    'list: every topic name. Each topic gets its own result line; the exit code is 1\n' +
    'when any failed. describe and list never create a topic.',
  options: [
    { name: 'partitions', type: 'string', short: 'p', value: 'N', description: 'create: partitions (default: the broker default)' },
    { name: 'replication-factor', type: 'string', short: 'r', value: 'N', description: 'create: replicas per partition (default: the broker default)' },
    { name: 'config', type: 'string', value: 'K=V,...', description: 'create: topic configs' },
    { name: 'validate-only', type: 'boolean', description: 'create: only check that the topics could be created' },
    { name: 'include-internal', type: 'boolean', description: 'list, describe: include __consumer_offsets and the like' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, positionals, io }) {
    const [given, ...names] = positionals
    const sub = subcommandOf('topics', given, SUBCOMMANDS)
    const json = values.json === true
    if (sub === 'list') {
      const topics = await kafka.admin.listTopics({ includeInternal: values['include-internal'] === true })
      if (json) io.out(toJson(topics))
      else for (const t of topics) io.out(t)
      return 0
    }
    if (sub === 'describe') {
      const described = await kafka.admin.describeTopics(names.length === 0 ? null : names)
      const shown = described.filter((t) => values['include-internal'] === true || names.length > 0 || !(t.ok && t.isInternal))
      if (json) io.out(toJson(shown.map((t) => (t.ok ? t : { name: t.name, ok: false, error: t.error.code }))))
      else {
        for (const t of shown) {
          if (!t.ok) {
            io.out(`Topic: ${t.name}\tError: ${t.error.code} (${t.error.message})`)
            continue
          }
          io.out(`Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${t.partitions[0]?.replicas.length ?? 0}`)
          for (const p of t.partitions) {
            io.out(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(',')}` : ''}`)
          }
        }
      }
      return shown.every((t) => t.ok) ? 0 : 1
    }
    if (names.length === 0) throw new UsageError(`topics ${sub} needs at least one topic name`)
    if (sub === 'create') {
      const partitions = wholeNumber(values, 'partitions')
      const replicationFactor = wholeNumber(values, 'replication-factor')
      const configs = configOption(stringOption(values, 'config'))
      const topics: NewTopic[] = names.map((name) => ({
        name,
        ...(partitions === undefined ? {} : { partitions }),
        ...(replicationFactor === undefined ? {} : { replicationFactor }),
        configs,
      }))
      const results = await kafka.admin.createTopics(topics, { validateOnly: values['validate-only'] === true })
      if (json) io.out(toJson(results.map((r) => (r.ok ? r : { name: r.name, ok: false, error: r.error.code, message: r.error.message }))))
      else {
        const verb = values['validate-only'] === true ? 'could create' : 'created'
        for (const r of results) io.out(r.ok ? `${verb} topic ${r.name} (${r.partitions} partitions, replication factor ${r.replicationFactor})` : `topic ${r.name}: ${r.error.message}`)
      }
      return results.every((r) => r.ok) ? 0 : 1
    }
    const results = await kafka.admin.deleteTopics(names)
    if (json) io.out(toJson(results.map((r) => (r.ok ? r : { name: r.name, ok: false, error: r.error.code }))))
    else for (const r of results) io.out(r.ok ? `deleted topic ${r.name}` : `topic ${r.name}: ${r.error.message}`)
    return results.every((r) => r.ok) ? 0 : 1
  },
}

