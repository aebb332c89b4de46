/** Errors the general operators raise on purpose: an open circuit, a message too old. */
import { RxKafkaError, type ErrorLocation } from './rxkafka-error.js'

/** Options of {@link CircuitOpenError}. */
export interface CircuitOpenErrorOptions extends ErrorLocation {
  /** How long until the circuit lets a probe through, or undefined when a probe is already in flight. */
  retryAfterMs: number | undefined
  /** The failures in a row that opened the circuit. */
  consecutiveFailures: number
}

/**
 * A call was refused without being tried because its circuit breaker is open
 * (or half-open with its probes already in flight). Retriable: the circuit
 * lets a probe through after `resetAfterMs`.
 *
 * @example
 * ```ts
 * import { CircuitOpenError } from 'rxkafka'
 * stream$.subscribe({ error: e => { if (e instanceof CircuitOpenError) setTimeout(restart, e.retryAfterMs ?? 1_000) } })
 * ```
 */
export class CircuitOpenError extends RxKafkaError {
  /** How long until the circuit lets a probe through, or undefined when a probe is already in flight. */
  readonly retryAfterMs: number | undefined
  /** The failures in a row that opened the circuit. */
  readonly consecutiveFailures: number

  constructor(name: string, options: CircuitOpenErrorOptions) {
    const { retryAfterMs, consecutiveFailures, ...location } = options
    const what = retryAfterMs === undefined
      ? `Circuit ${name} is half-open and its probe calls are in flight; call refused`
      : `Circuit ${name} is open after ${consecutiveFailures} failures in a row; call refused`
    const hint = retryAfterMs === undefined
      ? 'Retry when the probe finishes; its result closes or re-opens the circuit'
      : `It half-opens in ${retryAfterMs} ms: retry after that (retryBackoff retries retriable errors), and look at the cause of the failures`
    super('CIRCUIT_OPEN', what, { ...location, retriable: true, hint })
    this.retryAfterMs = retryAfterMs
    this.consecutiveFailures = consecutiveFailures
  }
}

/** Where a stale message is, as {@link StaleMessageError} reports it. */
export interface StaleMessageLocation {
  /** The message's topic. */
  readonly topic: string
  /** The message's partition, when known. */
  readonly partition?: number
  /** The message's offset, when known. */
  readonly offset?: bigint
}

/**
 * A message was older than the maximum age for its topic: the reader lags
 * too far behind. A consumer treats this like "offset out of range" and
 * jumps ahead (by default to the newest offset).
 *
 * @example
 * ```ts
 * import { StaleMessageError } from 'rxkafka'
 * stream$.subscribe({ error: e => { if (e instanceof StaleMessageError) seekToEnd(e.topic, e.partition) } })
 * ```
 */
export class StaleMessageError extends RxKafkaError {
  /** How old the message was, in ms. */
  readonly ageMs: number
  /** The maximum age it passed, in ms. */
  readonly maxAgeMs: number

  constructor(message: StaleMessageLocation, ageMs: number, maxAgeMs: number) {
    super('MESSAGE_TOO_OLD', `Message is ${ageMs} ms old, older than the maximum age of ${maxAgeMs} ms`, {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      hint: 'The reader lags too far behind: skip ahead (seek to the newest offset) or raise the maximum age for this topic',
    })
    this.ageMs = ageMs
    this.maxAgeMs = maxAgeMs
  }
}
