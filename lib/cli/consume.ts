/** `rxkafka consume <topic>`: from a group, or from offsets without one. */
import { EMPTY, finalize, mergeMap, Observable, take, takeUntil, fromEvent, tap, timeout, catchError } from 'rxjs'
import type { ConsumerGroup } from '../consumer/consume-group.js'
import type { ConsumerMessage } from '../consumer/consumer-message.js'
import type { OffsetSpec } from '../consumer/consumer-options.js'
import type { PartitionStream } from '../consumer/partition-stream.js'
import type { Kafka } from '../kafka.js'
import { UsageError } from '../errors/index.js'
import { count, integerOption, progressLine, stringOption, type CliCommand } from './args.js'

/** `rxkafka consume <topic>`. */
export const consumeCommand: CliCommand = {
  name: 'consume',
  summary: 'messages to stdout, from a group or from offsets',
  usage: '<topic> [--group ID] [--from earliest|latest|OFFSET] [--from-time TIME] [--partitions 0,1] [--format FORMAT] [--max N] [--idle-ms MS]',
  description:
    'Prints messages to stdout. With --group, joins that consumer group and commits\n' +
    'what was printed (a group without commits starts at --from: earliest or latest);\n' +
    'without, reads --partitions (default all) from --from (default earliest).\n' +
    'FORMAT is json (default), value, or a template with %t topic, %p partition,\n' +
    '%o offset, %k key, %v value, %T timestamp.\n' +
    '--from-time starts at the first message at or after TIME (ISO 8601, such as\n' +
    '2026-01-31T12:00:00Z, or milliseconds since the epoch); with --group, where\n' +
    'the group has no commit.\n' +
    'Stops after --max messages, after --idle-ms without a message, or on Ctrl-C.',
  options: [
    { name: 'group', type: 'string', short: 'g', value: 'ID', description: 'join this consumer group and commit what was printed' },
    { name: 'from', type: 'string', value: 'WHERE', description: 'earliest (default), latest, or an offset (without --group)' },
    { name: 'from-time', type: 'string', value: 'TIME', description: 'start at the first message at or after TIME (ISO 8601 or epoch ms)' },
    { name: 'partitions', type: 'string', value: '0,1', description: 'only these partitions (without --group; default all)' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'json (default), value, or a template such as "%p %o %k %v"' },
    { name: 'max', type: 'string', value: 'N', description: 'stop after N messages' },
    { name: 'idle-ms', type: 'string', value: 'MS', description: 'stop after MS without a message' },
  ],
  async run({ kafka, values, positionals, io, signal }) {
    const topic = positionals[0]
    if (topic === undefined) throw new UsageError('consume needs a topic')
    const max = stringOption(values, 'max')
    const idle = stringOption(values, 'idle-ms')
    await consumeToLines(
      kafka,
      {
        topic,
        group: stringOption(values, 'group'),
        from: parseStart(stringOption(values, 'from'), stringOption(values, 'from-time')),
        partitions: stringOption(values, 'partitions')?.split(',').map((p) => integerOption('partitions', p, 0)),
        format: stringOption(values, 'format') ?? 'json',
        max: max === undefined ? undefined : integerOption('max', max, 0),
        idleMs: idle === undefined ? undefined : integerOption('idle-ms', idle, 0),
        signal,
      },
      io.out,
      io.err,
    )
    return 0
  },
}

export interface ConsumeCommandOptions {
  topic: string
  group: string | undefined
  from: OffsetSpec
  partitions: number[] | undefined
  format: string
  max: number | undefined
  idleMs: number | undefined
  signal: AbortSignal
}

/** --from and --from-time together: at most one of them. */
export function parseStart(from: string | undefined, fromTime: string | undefined): OffsetSpec {
  if (fromTime === undefined) return parseFrom(from)
  if (from !== undefined) throw new UsageError('give --from or --from-time, not both')
  return parseFromTime(fromTime)
}

/** A time as ISO 8601 or milliseconds since the epoch. */
export function parseFromTime(value: string): OffsetSpec {
  const timestamp = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new UsageError(`--from-time must be an ISO 8601 time (2026-01-31T12:00:00Z) or milliseconds since the epoch, got ${JSON.stringify(value)}`)
  }
  return { timestamp }
}

export function parseFrom(value: string | undefined): OffsetSpec {
  if (value === undefined || value === 'earliest' || value === 'beginning') return 'earliest'
  if (value === 'latest' || value === 'end') return 'latest'
  if (/^\d+$/.test(value)) return BigInt(value)
  throw new UsageError(`--from must be earliest, latest or an offset, got ${JSON.stringify(value)}`)
}

export function formatMessage(msg: ConsumerMessage, format: string): string {
  const key = msg.key === null ? null : msg.key.toString('utf8')
  const value = msg.value === null ? null : msg.value.toString('utf8')
  if (format === 'json') {
    return JSON.stringify({ topic: msg.topic, partition: msg.partition, offset: msg.offset.toString(), timestamp: msg.timestamp, key, value })
  }
  if (format === 'value') return value ?? ''
  return format.replace(/%[tpokvT%]/g, (token) => {
    switch (token) {
      case '%t':
        return msg.topic
      case '%p':
        return String(msg.partition)
      case '%o':
        return msg.offset.toString()
      case '%k':
        return key ?? ''
      case '%v':
        return value ?? ''
      case '%T':
        return String(msg.timestamp)
      default:
        return '%'
    }
  })
}

/** Resolves with the number of messages printed. */
export async function consumeToLines(kafka: Kafka, o: ConsumeCommandOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const progress = progressLine()
  let partitions$: Observable<PartitionStream>
  let group: ConsumerGroup | undefined
  if (o.group === undefined) {
    partitions$ = kafka.consumePartitions({ topic: o.topic, ...(o.partitions === undefined ? {} : { partitions: o.partitions }), from: o.from })
  } else {
    const start = o.from
    group = kafka.consumeGroup({
      groupId: o.group,
      topics: [o.topic],
      fromBeginning: start === 'earliest',
      // A time applies where the group has no commit, as 'earliest' does.
      ...(typeof start === 'object' ? { startingOffset: (_t: string, _p: number, committed: bigint | null) => committed ?? start } : {}),
    })
    // Joining takes seconds (the group's initial rebalance delay, other members): say what is happening.
    err(`joining group ${o.group}...`)
    const joined = group.assignments$.pipe(take(1)).subscribe((event) => {
      const partitions = event.assigned.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p}`))
      const held = partitions.length === 0 ? 'no partitions (the group has more members than the topic has partitions)' : `partitions ${partitions.join(', ')}`
      err(`joined group ${o.group} (generation ${event.generationId}): ${held}`)
    })
    partitions$ = group.pipe(finalize(() => joined.unsubscribe()))
  }
  let printed = 0
  const messages$ = partitions$.pipe(mergeMap((partition$) => partition$))
  const idle = o.idleMs
  await new Promise<void>((resolve, reject) => {
    ;(idle === undefined ? messages$ : messages$.pipe(timeout({ each: idle, with: () => EMPTY })))
      .pipe(
        tap((msg) => {
          out(formatMessage(msg, o.format))
          msg.done()
          printed++
          progress.update(`consumed ${printed}`)
        }),
        o.max === undefined ? (s: Observable<ConsumerMessage>) => s : take(o.max),
        takeUntil(fromEvent(o.signal, 'abort')),
        catchError((error: unknown) => {
          reject(error)
          return EMPTY
        }),
        finalize(() => progress.done()),
      )
      .subscribe({ complete: resolve })
  })
  // The stream ended (by --max, --idle-ms or a signal): its unsubscribe began the final commit and the
  // LeaveGroup; wait for them, so "offsets committed" is true and close() finds nothing left to do.
  if (group !== undefined) await group.stop()
  err(`consumed ${count(printed, 'message')} from ${o.topic}${o.group === undefined ? '' : ` (group ${o.group}, offsets committed)`}`)
  return printed
}
