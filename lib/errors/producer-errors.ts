/**
 * Errors of the producer. Each names the topic and partition, says whether a
 * retry may help, and what to do.
 */
import { RxKafkaError } from './rxkafka-error.js'
import type { ProducerResult } from '../producer/types.js'

/**
 * A message was not delivered within `deliveryTimeoutMs` of entering the
 * producer: retries ran out of time, or it waited too long for buffer space,
 * a leader, or a producer id. `cause` is the last error seen, if any.
 *
 * @example
 * ```ts
 * import { DeliveryTimeoutError } from 'rxkafka'
 * results$.subscribe(r => { if (r.error instanceof DeliveryTimeoutError) console.warn(r.topic, r.partition, r.error.cause) })
 * ```
 */
export class DeliveryTimeoutError extends RxKafkaError {
  /** The deliveryTimeoutMs that expired. */
  readonly deliveryTimeoutMs: number

  constructor(deliveryTimeoutMs: number, where: { topic: string; partition?: number; broker?: number; cause?: unknown; attempts: number }) {
    const last = where.cause instanceof Error ? `; last error: ${where.cause.message}` : ''
    super('DELIVERY_TIMEOUT', `message not delivered within deliveryTimeoutMs=${deliveryTimeoutMs} after ${where.attempts} attempt(s)${last}`, {
      topic: where.topic,
      partition: where.partition,
      broker: where.broker,
      cause: where.cause,
      retriable: true,
      hint: 'The cluster did not accept the message in time: check broker health and leadership, or raise deliveryTimeoutMs',
    })
    this.deliveryTimeoutMs = deliveryTimeoutMs
  }
}

/**
 * The producer's buffer was full (`maxBufferedBytes` of unacknowledged data and
 * `maxWaitingMessages` messages waiting) and `onBufferFull` is `'error'`, or the
 * waiting room was full too.
 *
 * @example
 * ```ts
 * import { BufferFullError } from 'rxkafka'
 * results$.subscribe(r => { if (r.error instanceof BufferFullError) slowDown() })
 * ```
 */
export class BufferFullError extends RxKafkaError {
  constructor(topic: string, bufferedBytes: number, maxBufferedBytes: number, waitingMessages: number) {
    super('PRODUCER_BUFFER_FULL', `producer buffer full: ${bufferedBytes} of maxBufferedBytes=${maxBufferedBytes} bytes in use and ${waitingMessages} message(s) waiting`, {
      topic,
      retriable: true,
      hint: 'The source is faster than the cluster accepts: pace the source (see docs/producer.md), raise maxBufferedBytes, or use onBufferFull: "wait"',
    })
  }
}

/**
 * A message named a partition the topic does not have. Not retried.
 *
 * @example
 * ```ts
 * import { InvalidPartitionError } from 'rxkafka'
 * results$.subscribe(r => { if (r.error instanceof InvalidPartitionError) console.error(r.error.partition, r.error.message) })
 * ```
 */
export class InvalidPartitionError extends RxKafkaError {
  constructor(topic: string, partition: number, partitions: number) {
    super('INVALID_PARTITION', `message asks for partition ${partition} but the topic has ${partitions} partition(s) (0..${partitions - 1})`, {
      topic,
      partition,
      hint: 'Fix the partition number or the partitioner function, or add partitions to the topic',
    })
  }
}

/**
 * A serializer or partitioner threw, or returned something that is not bytes /
 * a partition number; or the message has no value or no topic. Not retried.
 *
 * @example
 * ```ts
 * import { ProducerInputError } from 'rxkafka'
 * results$.subscribe(r => { if (r.error instanceof ProducerInputError) deadLetter(r.metadata, r.error.message) })
 * ```
 */
export class ProducerInputError extends RxKafkaError {
  /** `hint` says what to fix for this input alone (a serializer, the partitioner, the value, the headers). */
  constructor(what: string, topic: string, cause?: unknown, hint = 'Fix the message or the serializer, partitioner or header that produced it') {
    const detail = cause instanceof Error ? `: ${cause instanceof RxKafkaError ? cause.summary : cause.message}` : ''
    super('PRODUCER_INPUT', `${what}${detail}`, { topic, cause, hint })
  }
}

/**
 * The stream error of `errorMode: 'stream'` (the default): a message could not
 * be delivered. `result` is the failed message's result (its `metadata`
 * identifies it) and `cause` the reason, such as a {@link DeliveryTimeoutError}
 * or a `KafkaBrokerError` like MESSAGE_TOO_LARGE.
 *
 * @example
 * ```ts
 * import { ProducerDeliveryError } from 'rxkafka'
 * orders$.pipe(produceTo('orders', { client })).subscribe({
 *   error: e => { if (e instanceof ProducerDeliveryError) console.error('lost', e.result.metadata, e.cause) },
 * })
 * ```
 */
export class ProducerDeliveryError<M = unknown> extends RxKafkaError {
  /** The failed message's result: where it was going, its metadata, the batch's attempts, and `error`. */
  readonly result: ProducerResult<M>

  /**
   * `via`: `'stream'` (the producer's output errored; the hint says how to keep
   * going) or `'send'` (a `send()` rejected; the hint is the cause's).
   */
  constructor(result: ProducerResult<M>, via: 'stream' | 'send' = 'stream') {
    const cause = result.error
    const known = cause instanceof RxKafkaError ? cause : undefined
    // The cause's own words, then every location once: the cause's, with the result's topic and partition.
    const reason = known !== undefined ? known.summary : cause instanceof Error ? cause.message : 'unknown reason'
    const partition = result.partition >= 0 ? result.partition : known?.partition
    super(known?.code ?? 'DELIVERY_FAILED', `message not delivered: ${reason}`, {
      api: known?.api,
      broker: known?.broker,
      topic: result.topic,
      partition,
      offset: known?.offset,
      path: known?.path,
      cause,
      retriable: known?.retriable ?? false,
      hint: via === 'send'
        ? known?.hint
        : 'The producer stream stops at the first failed delivery (errorMode "stream"); use errorMode: "result" to get failures as results and keep going',
    })
    this.result = result
  }
}
