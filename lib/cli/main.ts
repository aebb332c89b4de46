/**
 * The `rxkafka` command line: metadata, produce, consume, lag. Built on the
 * public API only, so it doubles as an example of it.
 */
import { createKafka, type Kafka } from '../kafka.js'
import { consoleLogger } from '../logger.js'
import type { Acks } from '../producer/options.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import { RxKafkaError, UsageError } from '../errors/index.js'
import { parseArgs } from 'node:util'
import { brokersFrom, compatibilityFrom, integerOption } from './args.js'
import { CONSUME_HELP, consumeCommand, parseFrom } from './consume.js'
import { LAG_HELP, lagCommand } from './lag.js'
import { METADATA_HELP, metadataCommand } from './metadata.js'
import { PRODUCE_HELP, produceCommand } from './produce.js'

const HELP = `rxkafka <command> [options]

Commands:
  metadata   brokers, topics, partitions and leaders
  produce    lines from stdin as messages
  consume    messages to stdout, from a group or from offsets
  lag        a group's lag per partition

Every command takes --brokers host:port[,...] (or KAFKA_BROKERS), --client-id, and
--compatibility '<json>' for a broker that deviates from the protocol spec
(a BrokerCompatibility object, such as the one \`npm run broker\` prints).
'rxkafka <command> --help' shows a command's options.`

const COMMAND_HELP: Record<string, string> = { metadata: METADATA_HELP, produce: PRODUCE_HELP, consume: CONSUME_HELP, lag: LAG_HELP }

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Every option of every command; each command reads the ones it needs. */
const CLI_OPTIONS = {
  brokers: { type: 'string', short: 'b' },
  'client-id': { type: 'string' },
  compatibility: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  topics: { type: 'string' },
  json: { type: 'boolean' },
  'key-separator': { type: 'string' },
  compression: { type: 'string' },
  acks: { type: 'string' },
  partition: { type: 'string' },
  partitions: { type: 'string' },
  group: { type: 'string', short: 'g' },
  from: { type: 'string' },
  format: { type: 'string' },
  max: { type: 'string' },
  'idle-ms': { type: 'string' },
} as const

/** Runs one command; resolves with the process exit code. */
export async function runCli(argv: string[], io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l), input: process.stdin as NodeJS.ReadableStream }): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP)
    return command === undefined ? 2 : 0
  }
  if (!(command in COMMAND_HELP)) {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP}`)
    return 2
  }
  const abort = new AbortController()
  const onSignal = () => abort.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let kafka: Kafka | undefined
  try {
    const parsed = (() => {
      try {
        return parseArgs({ args: rest, options: CLI_OPTIONS, allowPositionals: true, strict: true })
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error))
      }
    })()
    const v = parsed.values
    if (v.help === true) {
      io.out(COMMAND_HELP[command]!)
      return 0
    }
    kafka = createKafka({
      brokers: brokersFrom(v.brokers),
      clientId: v['client-id'] ?? 'rxkafka-cli',
      logger: consoleLogger('error'),
      ...(v.compatibility === undefined ? {} : { compatibility: compatibilityFrom(v.compatibility) }),
    })
    const topicArg = parsed.positionals[0]
    switch (command) {
      case 'metadata':
        await metadataCommand(kafka, v.topics?.split(','), v.json === true, io.out)
        return 0
      case 'produce': {
        if (topicArg === undefined) throw new UsageError('produce needs a topic', 'rxkafka produce <topic>')
        const compression = v.compression ?? 'none'
        if (!COMPRESSIONS.includes(compression)) throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}`)
        const acks: Acks = v.acks === undefined || v.acks === 'all' || v.acks === '-1' ? 'all' : v.acks === '1' ? 1 : v.acks === '0' ? 0 : invalidAcks(v.acks)
        await produceCommand(
          kafka,
          {
            topic: topicArg,
            keySeparator: v['key-separator'],
            partition: v.partition === undefined ? undefined : integerOption('partition', v.partition, 0),
            producer: { compression: compression as CompressionCodecName, acks },
            input: io.input,
            signal: abort.signal,
          },
          io.err,
        )
        return 0
      }
      case 'consume': {
        if (topicArg === undefined) throw new UsageError('consume needs a topic', 'rxkafka consume <topic>')
        await consumeCommand(
          kafka,
          {
            topic: topicArg,
            group: v.group,
            from: parseFrom(v.from),
            partitions: v.partitions?.split(',').map((p) => integerOption('partitions', p, 0)),
            format: v.format ?? 'json',
            max: v.max === undefined ? undefined : integerOption('max', v.max, 0),
            idleMs: v['idle-ms'] === undefined ? undefined : integerOption('idle-ms', v['idle-ms'], 0),
            signal: abort.signal,
          },
          io.out,
          io.err,
        )
        return 0
      }
      case 'lag': {
        if (v.group === undefined || v.topics === undefined) throw new UsageError('lag needs --group and --topics', LAG_HELP)
        await lagCommand(kafka, v.group, v.topics.split(','), v.json === true, io.out)
        return 0
      }
    }
    return 2
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${COMMAND_HELP[command]}`)
      return 2
    }
    io.err(error instanceof RxKafkaError || error instanceof Error ? `error: ${error.message}` : `error: ${String(error)}`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await kafka?.close()
  }
}

function invalidAcks(value: string): never {
  throw new UsageError(`--acks must be 0, 1 or all, got ${JSON.stringify(value)}`)
}
