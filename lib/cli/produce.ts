/** `rxkafka produce <topic>`: one message per line of stdin. */
import { createInterface } from 'node:readline'
import { from, map, tap } from 'rxjs'
import type { Kafka } from '../kafka.js'
import type { Acks, ProducerOptions } from '../producer/options.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import { UsageError } from '../errors/index.js'
import { count, integerOption, progressLine, stringOption, type CliCommand } from './args.js'

const COMPRESSIONS: readonly CompressionCodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** `rxkafka produce <topic>`. */
export const produceCommand: CliCommand = {
  name: 'produce',
  summary: 'lines from stdin as messages',
  usage: '<topic> [--key-separator SEP] [--compression CODEC] [--acks 0|1|all] [--partition N]',
  description:
    'Reads lines from stdin and produces one message per line. With --key-separator,\n' +
    'the text before the first SEP is the key and the rest the value. Prints a\n' +
    'summary to stderr; exits non-zero if any message was not delivered.',
  options: [
    { name: 'key-separator', type: 'string', value: 'SEP', description: 'split each line into key SEP value' },
    { name: 'compression', type: 'string', value: 'CODEC', description: `${COMPRESSIONS.join(', ')} (default none)` },
    { name: 'acks', type: 'string', value: '0|1|all', description: 'acknowledgements to wait for (default all)' },
    { name: 'partition', type: 'string', value: 'N', description: 'produce every line to this partition (default: by key)' },
  ],
  async run({ kafka, values, positionals, io, signal }) {
    const topic = positionals[0]
    if (topic === undefined) throw new UsageError('produce needs a topic')
    const compression = stringOption(values, 'compression') ?? 'none'
    if (!COMPRESSIONS.includes(compression as CompressionCodecName)) throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(compression)}`)
    const acksText = stringOption(values, 'acks')
    const acks: Acks = acksText === undefined || acksText === 'all' || acksText === '-1' ? 'all' : acksText === '1' ? 1 : acksText === '0' ? 0 : invalidAcks(acksText)
    const partition = stringOption(values, 'partition')
    await produceLines(
      kafka,
      {
        topic,
        keySeparator: stringOption(values, 'key-separator'),
        partition: partition === undefined ? undefined : integerOption('partition', partition, 0),
        producer: { compression: compression as CompressionCodecName, acks },
        input: io.input,
        signal,
      },
      io.err,
    )
    return 0
  },
}

function invalidAcks(value: string): never {
  throw new UsageError(`--acks must be 0, 1 or all, got ${JSON.stringify(value)}`)
}

export interface ProduceCommandOptions {
  topic: string
  keySeparator: string | undefined
  partition: number | undefined
  producer: ProducerOptions
  input: NodeJS.ReadableStream
  signal: AbortSignal
}

/** Resolves with the number of messages delivered. */
export async function produceLines(kafka: Kafka, o: ProduceCommandOptions, err: (line: string) => void): Promise<number> {
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
  err(`produced ${count(delivered, 'message')} to ${o.topic} (${Math.round(delivered / seconds)} msg/s)`)
  return delivered
}
