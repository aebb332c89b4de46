/**
 * `rxkafka groups reset-offsets`: where a group would go (dry run, the
 * default, as Kafka's own tool does) and, with --execute, the commit. Only an
 * inactive group (Empty, or not there yet) can be reset: members would
 * overwrite the offsets at their next commit.
 */
import { UsageError } from '../errors/index.js'
import type { Kafka } from '../kafka.js'
import type { PlannedOffset, ResetSpec } from '../admin/index.js'
import { stringOption, type ParsedValues } from './args.js'
import { listOption, table, toJson } from './cli-output.js'
import { existingTopics } from './topic-check.js'

const TARGETS = ['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'] as const

/** The reset target the options name; exactly one of them. */
export function resetSpecFrom(values: ParsedValues): ResetSpec {
  const given = TARGETS.filter((t) => values[t] !== undefined)
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? 'reset-offsets needs a target' : `reset-offsets takes one target, got ${given.map((g) => `--${g}`).join(' and ')}`, `use one of ${TARGETS.map((t) => `--${t}`).join(', ')}`)
  }
  const target = given[0]!
  if (target === 'to-earliest') return 'earliest'
  if (target === 'to-latest') return 'latest'
  const raw = stringOption(values, target)!
  if (target === 'to-datetime') {
    const ms = Date.parse(raw)
    if (!Number.isFinite(ms)) throw new UsageError(`--to-datetime needs a date and time, got ${JSON.stringify(raw)}`, 'such as 2026-01-31T12:00:00.000Z (ISO 8601; without a zone it is local time)')
    return { timestamp: ms }
  }
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${target} needs a whole number, got ${JSON.stringify(raw)}`)
  if (target === 'to-offset') {
    if (raw.startsWith('-')) throw new UsageError(`--to-offset must be 0 or more, got ${raw}`)
    return { offset: BigInt(raw) }
  }
  return { shiftBy: BigInt(raw) }
}

/** Runs `groups reset-offsets`; resolves with the exit code. */
export async function resetOffsets(kafka: Kafka, values: ParsedValues, out: (line: string) => void): Promise<number> {
  const groupId = stringOption(values, 'group')
  if (groupId === undefined) throw new UsageError('reset-offsets needs --group')
  const to = resetSpecFrom(values)
  let topics = listOption(stringOption(values, 'topics'))
  if (values['all-topics'] === true) {
    if (topics.length > 0) throw new UsageError('give --topics or --all-topics, not both')
    topics = [...new Set((await kafka.admin.fetchOffsets(groupId)).map((o) => o.topic))].sort()
  } else if (topics.length === 0) {
    throw new UsageError('reset-offsets needs --topics a,b or --all-topics')
  }
  if (topics.length > 0) await existingTopics(kafka, topics)
  const execute = values.execute === true
  if (execute) {
    const [group] = await kafka.admin.describeGroups([groupId])
    const state = group!.ok ? group!.state : 'Dead'
    if (group!.ok && state !== 'Empty' && state !== 'Dead') {
      throw new UsageError(`the offsets of group ${groupId} can only be reset while it is inactive, but it is ${state}`, 'stop its consumers first')
    }
  }
  const plan: PlannedOffset[] = topics.length === 0 ? [] : await kafka.admin.planOffsetReset(groupId, topics, to)
  let failed = 0
  if (execute && plan.length > 0) {
    const results = await kafka.admin.alterOffsets(groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.target })))
    for (const r of results) {
      if (!r.ok) {
        failed++
        out(`${r.topic}/${r.partition}: ${r.error.message}`)
      }
    }
  }
  if (values.json === true) out(toJson({ group: groupId, executed: execute, offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, current: p.current, newOffset: p.target })) }))
  else {
    for (const line of table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [groupId, p.topic, String(p.partition), p.target.toString()]))) out(line)
    if (!execute) out('(dry run: nothing was changed; add --execute to commit these offsets)')
  }
  return failed > 0 ? 1 : 0
}
