/**
 * The client's settings as they may be shown: SASL passwords, OAUTHBEARER
 * token providers and TLS key material replaced, so that logging the client
 * (`console.log(kafka)`) never leaks a secret. What is code rather than a
 * setting (the logger, the scheduler, the random source, the transport
 * factory `connect`) is named, not shown: a TestScheduler holds every action
 * scheduled on it, and a `connect` is the caller's closure.
 */
import type { ClusterConfig } from './kafka-cluster.js'

/** What stands in for a secret. */
export const REDACTED = '[redacted]'

/** TLS options that are secrets: private keys, key stores and their passphrases. */
const TLS_SECRETS = ['key', 'pfx', 'passphrase'] as const

/**
 * A copy of `config` with every secret replaced by `'[redacted]'`; the rest is
 * kept as given.
 *
 * @example
 * ```ts
 * redactConfig({ brokers: ['kafka:9093'], sasl: { mechanism: 'PLAIN', username: 'app', password: 'pw' } })
 * // { brokers: ['kafka:9093'], sasl: { mechanism: 'PLAIN', username: 'app', password: '[redacted]' } }
 * ```
 */
export function redactConfig(config: ClusterConfig): ClusterConfig {
  const { sasl, tls, ...rest } = config
  const redacted: ClusterConfig = { ...rest }
  if (sasl !== undefined) {
    redacted.sasl = sasl.mechanism === 'OAUTHBEARER' ? { mechanism: sasl.mechanism, token: () => ({ value: REDACTED }) } : { ...sasl, password: REDACTED }
  }
  if (tls !== undefined) {
    if (typeof tls === 'boolean') redacted.tls = tls
    else {
      const copy = { ...tls }
      for (const name of TLS_SECRETS) if (copy[name] !== undefined) copy[name] = REDACTED
      redacted.tls = copy
    }
  }
  return redacted
}

/**
 * How the client prints `config` (its `toJSON`, so also `util.inspect` and
 * `console.log`): {@link redactConfig}'s copy with the code in it named
 * instead of shown. `scheduler` is its class name, `random` and `connect` are
 * `'custom'`, each only when given; the logger is left out. `compatibility` and
 * every other setting are shown as given: they hold no secret and are what one
 * debugs a client by.
 *
 * @example
 * ```ts
 * printableConfig({ brokers: ['kafka:9092'], scheduler: new TestScheduler(assert), connect: myTransport })
 * // { brokers: ['kafka:9092'], scheduler: 'TestScheduler', connect: 'custom' }
 * ```
 */
export function printableConfig(config: ClusterConfig): Record<string, unknown> {
  const { logger: _logger, scheduler, random, connect, ...settings } = redactConfig(config)
  return {
    ...settings,
    ...(scheduler !== undefined ? { scheduler: scheduler.constructor.name } : {}),
    ...(random !== undefined ? { random: 'custom' } : {}),
    ...(connect !== undefined ? { connect: 'custom' } : {}),
  }
}
