/** `rxkafka produce <topic>`: one message per line of stdin. */
import { createInterface } from 'node:readline'
import { from, map, tap } from 'rxjs'
import type { Kafka } from '../kafka.js'
import type { ProducerOptions } from '../producer/options.js'
import { progressLine } from './args.js'

export const PRODUCE_HELP = `rxkafka produce <topic> [--key-separator SEP] [--compression none|gzip|snappy|lz4|zstd] [--acks 0|1|all] [--partition N]

Reads lines from stdin and produces one message per line. With --key-separator,
the text before the first SEP is the key and the rest the value. Prints a
summary to stderr; exits non-zero if any message was not delivered.`

export interface ProduceCommandOptions {
  topic: string
  keySeparator: string | undefined
  partition: number | undefined
  producer: ProducerOptions
  input: NodeJS.ReadableStream
  signal: AbortSignal
}

/** Resolves with the number of messages delivered. */
export async function produceCommand(kafka: Kafka, o: ProduceCommandOptions, err: (line: string) => void): Promise<number> {
  const lines = createInterface({ input: o.input, crlfDelay: Infinity })
  o.signal.addEventListener('abort', () => lines.close(), { once: true })
  const progress = progressLine()
  let delivered = 0
  const started = Date.now()
  await new Promise<void>((resolve, reject) => {
    from(lines)
      .pipe(
        map((line) => {
          const at = o.keySeparator === undefined ? -1 : line.indexOf(o.keySeparator)
          const key = at < 0 ? null : line.slice(0, at)
          const value = at < 0 ? line : line.slice(at + o.keySeparator!.length)
          return o.partition === undefined ? { key, value } : { key, value, partition: o.partition }
        }),
        kafka.produceTo(o.topic, o.producer),
        tap(() => {
          delivered++
          progress.update(`produced ${delivered}`)
        }),
      )
      .subscribe({ error: reject, complete: resolve })
  }).finally(() => progress.done())
  const seconds = Math.max((Date.now() - started) / 1000, 0.001)
  err(`produced ${delivered} messages to ${o.topic} (${Math.round(delivered / seconds)} msg/s)`)
  return delivered
}
