/** Command-line arguments shared by every command. */
import type { BrokerCompatibility } from '../connection/broker-compatibility.js'
import { UsageError } from '../errors/index.js'

/** The broker list: --brokers, else KAFKA_BROKERS, else a usage error. */
export function brokersFrom(value: string | undefined): string[] {
  const list = value ?? process.env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') {
    throw new UsageError('no brokers given', 'pass --brokers host:port[,host:port] or set KAFKA_BROKERS')
  }
  return list.split(',').map((b) => b.trim()).filter((b) => b.length > 0)
}

/** A whole number option, or a usage error naming it. */
export function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`)
  return n
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
