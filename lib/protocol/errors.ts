/**
 * Error classes shared by every layer. Each error says what went wrong, where
 * (broker, topic, partition, byte offset or field path) and what to do about it.
 */

/** Where an error happened. Every field is optional; fill in what is known. */
export interface ErrorLocation {
  /** Broker id, or `host:port` when the id is not known yet. */
  broker?: number | string
  topic?: string
  partition?: number
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
  /** A stable, machine-readable name of the kind of error, such as `PROTOCOL_DECODE`. */
  readonly code: string
  /** Whether trying again may succeed. */
  readonly retriable: boolean
  /** What the user can do about it. */
  readonly hint: string | undefined
  readonly broker: number | string | undefined
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: bigint | undefined
  readonly path: string | undefined
  readonly api: string | undefined

  constructor(code: string, what: string, options: RxKafkaErrorOptions = {}) {
    super(formatMessage(what, options), options.cause === undefined ? undefined : { cause: options.cause })
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

/**
 * Bytes that do not decode as the message they claim to be: truncated, a length
 * out of range, an invalid varint, a bad CRC. Never retriable: the same bytes
 * fail the same way.
 */
export class ProtocolDecodeError extends RxKafkaError {
  /** Byte offset in the buffer being decoded where the problem was found. */
  readonly byteOffset: number | undefined

  constructor(what: string, options: RxKafkaErrorOptions & { byteOffset?: number } = {}) {
    super('PROTOCOL_DECODE', options.byteOffset === undefined ? what : `${what} at byte ${options.byteOffset}`, options)
    this.byteOffset = options.byteOffset
  }
}

/** A message that cannot be encoded as asked: a field the chosen version lacks, a value out of range. */
export class ProtocolEncodeError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('PROTOCOL_ENCODE', what, options)
  }
}

/** No version of an API is supported by both this client and the broker. */
export class UnsupportedVersionError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('UNSUPPORTED_VERSION', what, options)
  }
}
