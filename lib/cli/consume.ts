/** `rxkafka consume <topic>`: from a group, or from offsets without one. */
import { EMPTY, finalize, mergeMap, Observable, take, takeUntil, fromEvent, tap, timeout, catchError } from 'rxjs'
import type { ConsumerMessage } from '../consumer/consumer-message.js'
import type { OffsetSpec } from '../consumer/consumer-options.js'
import type { PartitionStream } from '../consumer/partition-stream.js'
import type { Kafka } from '../kafka.js'
import { progressLine } from './args.js'
import { UsageError } from '../errors/index.js'

export const CONSUME_HELP = `rxkafka consume <topic> [--group ID] [--from earliest|latest|OFFSET] [--partitions 0,1] [--format FORMAT] [--max N] [--idle-ms MS]

Prints messages to stdout. With --group, joins that consumer group and commits
what was printed; without, reads --partitions (default all) from --from
(default earliest). FORMAT is json (default), value, or a template with
%t topic, %p partition, %o offset, %k key, %v value, %T timestamp.
Stops after --max messages, after --idle-ms without a message, or on Ctrl-C.`

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
export async function consumeCommand(kafka: Kafka, o: ConsumeCommandOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const partitions$: Observable<PartitionStream> =
    o.group === undefined
      ? kafka.consumePartitions({ topic: o.topic, ...(o.partitions === undefined ? {} : { partitions: o.partitions }), from: o.from })
      : kafka.consumeGroup({ groupId: o.group, topics: [o.topic], fromBeginning: o.from === 'earliest' })
  const progress = progressLine()
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
  err(`consumed ${printed} messages from ${o.topic}${o.group === undefined ? '' : ` (group ${o.group}, offsets committed)`}`)
  return printed
}
