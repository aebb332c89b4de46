/**
 * The CLI's shared parts: how a command declares itself (name, options, help),
 * the argument parser every command uses (with "did you mean" for typos), the
 * options every command takes, and small output helpers. A new command is one
 * file exporting a {@link CliCommand}, listed in `commands.ts`.
 */
import type { BrokerCompatibility } from '../connection/broker-compatibility.js'
import { UsageError } from '../errors/index.js'
import type { Kafka } from '../kafka.js'

/** One option of a command. */
export interface CliOption {
  /** Long name without the dashes, such as `key-separator`. */
  name: string
  /** `boolean` options take no value; `string` options take the next argument (or `--name=value`). */
  type: 'string' | 'boolean'
  /** One-letter alias, such as `b` for `-b`. */
  short?: string
  /** The value's placeholder in help, such as `ID`. */
  value?: string
  description: string
}

/** Where a command writes and reads, so specs can run commands in-process. */
export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  input: NodeJS.ReadableStream
}

/** What a command's run gets: its parsed arguments, the client, and a signal that Ctrl-C aborts. */
export interface CliContext {
  kafka: Kafka
  values: ParsedValues
  positionals: string[]
  io: CliIo
  signal: AbortSignal
}

/** One `rxkafka <command>`. */
export interface CliCommand {
  name: string
  /** One line for the command list. */
  summary: string
  /** What follows the command name in the usage line, such as `<topic>`. */
  usage: string
  /** A paragraph for the command's help. */
  description: string
  options: readonly CliOption[]
  /** Runs the command; resolves with the exit code. */
  run(context: CliContext): Promise<number>
}

/** Options every command takes. */
export const COMMON_OPTIONS: readonly CliOption[] = [
  { name: 'brokers', type: 'string', short: 'b', value: 'HOST:PORT[,...]', description: 'bootstrap brokers (default: $KAFKA_BROKERS)' },
  { name: 'client-id', type: 'string', value: 'ID', description: 'client id the brokers see (default rxkafka-cli)' },
  {
    name: 'compatibility',
    type: 'string',
    value: 'JSON',
    description: 'a BrokerCompatibility object for a broker that deviates from the protocol spec (npm run broker prints its own)',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'show this help' },
]

export type ParsedValues = Record<string, string | boolean | undefined>

/**
 * Parses `argv` against the command's options and the common ones. Unknown
 * options, a missing value and a value given to a flag are usage errors; an
 * unknown option close to a known one says "did you mean".
 */
export function parseCommandArgs(command: CliCommand, argv: readonly string[]): { values: ParsedValues; positionals: string[] } {
  const options = [...command.options, ...COMMON_OPTIONS]
  const values: ParsedValues = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const long = arg.startsWith('--')
    const eq = arg.indexOf('=')
    const name = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1, 2)
    const option = long ? options.find((o) => o.name === name) : options.find((o) => o.short === name)
    if (option === undefined) {
      const guess = long ? closest(name, options.map((o) => o.name)) : undefined
      const positional = command.usage.includes(`<${name}>`)
      throw new UsageError(
        `unknown option ${arg.slice(0, eq < 0 ? undefined : eq)} for '${command.name}'`,
        positional ? `the ${name} is an argument, not an option: rxkafka ${command.name} <${name}>` : guess === undefined ? undefined : `did you mean --${guess}?`,
      )
    }
    let value: string | undefined = eq >= 0 && long ? arg.slice(eq + 1) : !long && arg.length > 2 ? arg.slice(2) : undefined
    if (option.type === 'boolean') {
      if (value !== undefined) throw new UsageError(`--${option.name} takes no value, got ${JSON.stringify(value)}`)
      values[option.name] = true
      continue
    }
    if (value === undefined) {
      const next = argv[i + 1]
      // A negative number (--shift-by -10) is a value, not an option.
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) throw new UsageError(`--${option.name} needs a value${option.value === undefined ? '' : ` (${option.value})`}`)
      value = next
      i++
    }
    values[option.name] = value
  }
  return { values, positionals }
}

/** The known name closest to `name` (a typo, a singular for a plural, a prefix), if any is close. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = candidate.startsWith(name) || name.startsWith(candidate) ? Math.abs(candidate.length - name.length) * 0.5 : editDistance(name, candidate)
    if (best === undefined || distance < best.distance) best = { name: candidate, distance }
  }
  return best !== undefined && best.distance <= (name.length <= 3 ? 1 : 2) ? best.name : undefined
}

/** Damerau-Levenshtein distance (optimal string alignment): a swap of two neighbours counts one, as in `--jsno`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/** The usage line of a command. */
export function usageLine(command: CliCommand): string {
  return `rxkafka ${command.name} ${command.usage}`.trimEnd()
}

/** The help of a command: usage, description, its options, then the common ones. */
export function commandHelp(command: CliCommand): string {
  const list = (options: readonly CliOption[]) => {
    const left = options.map((o) => `  ${o.short === undefined ? '    ' : `-${o.short}, `}--${o.name}${o.value === undefined ? '' : ` ${o.value}`}`)
    const width = Math.max(...left.map((l) => l.length)) + 2
    return options.map((o, i) => `${left[i]!.padEnd(width)}${o.description}`).join('\n')
  }
  const parts = [usageLine(command), '', command.description]
  if (command.options.length > 0) parts.push('', 'Options:', list(command.options))
  parts.push('', 'Common options:', list(COMMON_OPTIONS))
  return parts.join('\n')
}

/** The broker list: --brokers, else KAFKA_BROKERS, else a usage error. */
export function brokersFrom(value: string | undefined): string[] {
  const list = value ?? process.env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') {
    throw new UsageError('no brokers given', 'pass --brokers host:port[,host:port] or set KAFKA_BROKERS')
  }
  return list.split(',').map((b) => b.trim()).filter((b) => b.length > 0)
}

/** A string option's value (a flag never reaches here: the parser checked types). */
export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** The subcommand `given` to `command` when it is one of `subcommands`; a usage error naming them otherwise. */
export function subcommandOf<S extends string>(command: string, given: string | undefined, subcommands: readonly S[]): S {
  if (given === undefined || !(subcommands as readonly string[]).includes(given)) {
    throw new UsageError(given === undefined ? `${command} needs a subcommand` : `unknown subcommand ${JSON.stringify(given)}`, `use one of: ${subcommands.join(', ')}`)
  }
  return given as S
}

/** A whole number option, or a usage error naming it. */
export function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`)
  return n
}

/** `1 message`, `2 messages`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`
}

/** --compatibility: a BrokerCompatibility object as JSON. */
export function compatibilityFrom(value: string): BrokerCompatibility {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    throw new UsageError(`--compatibility is not JSON: ${(error as Error).message}`, 'pass an object such as \'{"maxVersions":{"JoinGroup":5}}\'')
  }
  const known = new Set(['maxVersions', 'nullsInNonNullableFields', 'undecodableApiVersions', 'unexpectedAnswers'])
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).some((k) => !known.has(k))) {
    throw new UsageError('--compatibility must be a JSON object with only the fields of BrokerCompatibility', `known fields: ${[...known].join(', ')}`)
  }
  return parsed as BrokerCompatibility
}

/** Progress on stderr when it is a terminal: one line, rewritten. */
export function progressLine(): { update(text: string): void; done(): void } {
  const tty = process.stderr.isTTY === true
  let last = 0
  return {
    update(text) {
      if (!tty) return
      const now = Date.now()
      if (now - last < 100) return
      last = now
      process.stderr.write(`\r\x1b[K${text}`)
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K')
    },
  }
}
