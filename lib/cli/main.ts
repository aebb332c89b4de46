/**
 * The `rxkafka` command line: metadata, produce, consume, lag, topics, groups, configs. Built on the
 * public API only, so it doubles as an example of it. Each command is a file
 * of its own (see `commands.ts`); this file does what every command shares:
 * the command list, --help and --version, the client, Ctrl-C, and how errors
 * are printed.
 */
import { readFileSync } from 'node:fs'
import { createKafka, type Kafka } from '../kafka.js'
import { consoleLogger } from '../logger.js'
import { UsageError } from '../errors/index.js'
import { brokersFrom, closest, commandHelp, compatibilityFrom, parseCommandArgs, stringOption, usageLine, type CliIo } from './args.js'
import { COMMANDS } from './commands.js'

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3
  return [
    'rxkafka <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Every command takes --brokers host:port[,...] (or KAFKA_BROKERS), --client-id, --help, and',
    "--compatibility '<json>' for a broker that deviates from the protocol spec",
    '(a BrokerCompatibility object, such as the one `npm run broker` prints).',
    "'rxkafka <command> --help' shows a command's options; 'rxkafka --version' the version.",
  ].join('\n')
}

/** The version in the package.json beside lib/ (or dist/). */
export function cliVersion(): string {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return version
}

const defaultIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), input: process.stdin }

/** Runs one command; resolves with the process exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.err : io.out)(topHelp())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(cliVersion())
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    const guess = closest(name, COMMANDS.map((c) => c.name))
    io.err(`unknown command ${JSON.stringify(name)}${guess === undefined ? '' : `: did you mean '${guess}'?`}\n\n${topHelp()}`)
    return 2
  }
  const abort = new AbortController()
  const onSignal = () => abort.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let kafka: Kafka | undefined
  try {
    const { values, positionals } = parseCommandArgs(command, rest)
    if (values.help === true) {
      io.out(commandHelp(command))
      return 0
    }
    kafka = createKafka({
      brokers: brokersFrom(stringOption(values, 'brokers')),
      clientId: stringOption(values, 'client-id') ?? 'rxkafka-cli',
      logger: consoleLogger('error'),
      ...(typeof values.compatibility === 'string' ? { compatibility: compatibilityFrom(values.compatibility) } : {}),
    })
    return await command.run({ kafka, values, positionals, io, signal: abort.signal })
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nusage: ${usageLine(command)}\n'rxkafka ${command.name} --help' lists every option`)
      return 2
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await kafka?.close()
  }
}
