/**
 * The base class of every rxkafka error. Each error says what went wrong,
 * where (broker, topic, partition, byte offset or field path) and what to do
 * about it, and carries a code from the closed list in codes.ts.
 */
import type { RxKafkaErrorCode } from './codes.js'

/** Where an error happened. Every field is optional; fill in what is known. */
export interface ErrorLocation {
  /** Broker id, or `host:port` when the id is not known yet. */
  broker?: number | string
  /** The topic concerned. */
  topic?: string
  /** The partition concerned. */
  partition?: number
  /** An offset in the partition, or a byte offset in a message, as the error says. */
  offset?: bigint
  /** Field path inside a protocol message, such as `/responses/0/partitions/1`. */
  path?: string
  /** Kafka API name, such as `Produce`. */
  api?: string
}

/** Options for {@link RxKafkaError}. */
export interface RxKafkaErrorOptions extends ErrorLocation {
  /** Whether trying again may succeed. */
  retriable?: boolean
  /** What the user can do about it. */
  hint?: string
  /** The error underneath, kept as the standard `cause`. */
  cause?: unknown
}

/**
 * The base class of every error rxkafka raises.
 *
 * @example
 * ```ts
 * import { RxKafkaError } from 'rxkafka'
 * stream$.subscribe({ error: e => { if (e instanceof RxKafkaError && e.retriable) retryLater() } })
 * ```
 */
export class RxKafkaError extends Error {
  /** A stable, machine-readable name of the kind of error, such as `PROTOCOL_DECODE`: one of {@link RxKafkaErrorCode}. */
  readonly code: RxKafkaErrorCode
  /** Whether trying again may succeed. */
  readonly retriable: boolean
  /** What the user can do about it. */
  readonly hint: string | undefined
  /** Broker id, or `host:port` when the id is not known yet. */
  readonly broker: number | string | undefined
  /** The topic concerned, when there is one. */
  readonly topic: string | undefined
  /** The partition concerned, when there is one. */
  readonly partition: number | undefined
  /** An offset in the partition, or a byte offset in a message, as the error says. */
  readonly offset: bigint | undefined
  /** Field path inside a protocol message, such as `/responses/0/partitions/1`. */
  readonly path: string | undefined
  /** Kafka API name, such as `Produce`. */
  readonly api: string | undefined
  /** What happened, without the location and hint that `message` adds: for errors that quote this one. */
  readonly summary: string

  constructor(code: RxKafkaErrorCode, what: string, options: RxKafkaErrorOptions = {}) {
    super(formatMessage(what, options), options.cause === undefined ? undefined : { cause: options.cause })
    this.summary = what
    this.name = new.target.name
    this.code = code
    this.retriable = options.retriable ?? false
    this.hint = options.hint
    this.broker = options.broker
    this.topic = options.topic
    this.partition = options.partition
    this.offset = options.offset
    this.path = options.path
    this.api = options.api
  }
}

function formatMessage(what: string, o: RxKafkaErrorOptions): string {
  const where: string[] = []
  if (o.api !== undefined) where.push(`api ${o.api}`)
  if (o.broker !== undefined) where.push(`broker ${o.broker}`)
  if (o.topic !== undefined) where.push(`topic ${o.topic}`)
  if (o.partition !== undefined) where.push(`partition ${o.partition}`)
  if (o.offset !== undefined) where.push(`offset ${o.offset}`)
  if (o.path !== undefined) where.push(`at ${o.path}`)
  let message = what
  if (where.length > 0) message += ` (${where.join(', ')})`
  if (o.hint !== undefined) message += `. ${o.hint}`
  return message
}
