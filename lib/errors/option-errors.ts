/**
 * Errors of options that cannot work. Options are checked when an operator,
 * producer, consumer or client is created, not when the first value arrives,
 * so a typo fails at the line that wrote it (see lib/kit/options.ts).
 */
import { RxKafkaError } from './rxkafka-error.js'

/**
 * An operator (or the producer) was given an option it cannot work with: a
 * negative delay, a fraction outside 0..1, a byte limit without a way to
 * measure bytes.
 *
 * @example
 * ```ts
 * import { batch, OperatorOptionError } from 'rxkafka'
 * try { batch({ maxMessages: 0 }) } catch (e) { if (e instanceof OperatorOptionError) console.error(e.option, e.message) }
 * ```
 */
export class OperatorOptionError extends RxKafkaError {
  /** The operator that rejected the option, such as `batch`. */
  readonly operator: string
  /** The option that was rejected, such as `maxMessages`. */
  readonly option: string

  constructor(operator: string, option: string, what: string, hint: string) {
    super('INVALID_OPERATOR_OPTION', `${operator}: option ${option} ${what}`, { hint, path: `${operator}.${option}` })
    this.operator = operator
    this.option = option
  }
}

/**
 * A consumer option that cannot work: says which option and what to do.
 *
 * @example
 * ```ts
 * import { consumeGroup, ConsumerOptionError } from 'rxkafka'
 * try { consumeGroup({ client, groupId: '', topics: ['t'] }) } catch (e) { if (e instanceof ConsumerOptionError) console.error(e.option) }
 * ```
 */
export class ConsumerOptionError extends RxKafkaError {
  /** The rejected option, such as `sessionTimeoutMs`. */
  readonly option: string

  constructor(option: string, what: string, hint: string) {
    super('INVALID_CONSUMER_OPTION', `consumer option ${option} ${what}`, { hint, path: option })
    this.option = option
  }
}
