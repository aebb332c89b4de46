/**
 * The error raised when a broker answers with a non-zero error code. It keeps
 * the code's facts (retriable, refresh metadata, find coordinator) next to
 * where it happened, so retry logic and people read the same object.
 */
import { RxKafkaError } from './rxkafka-error.js'
import type { ErrorLocation } from './rxkafka-error.js'
import { errorCodeInfo } from '../protocol/error-codes.js'
import type { ErrorCodeInfo } from '../protocol/error-codes.js'

/** Where a broker error happened, plus the free-text message the broker sent with it, if any. */
export interface BrokerErrorLocation extends ErrorLocation {
  /** The `errorMessage` field of the response, when the API version has one. */
  errorMessage?: string | null
  /** The error underneath, kept as the standard `cause`. */
  cause?: unknown
}

/**
 * A Kafka error code returned by a broker. `code` (from {@link RxKafkaError})
 * is Kafka's name for it, such as `NOT_LEADER_OR_FOLLOWER`.
 *
 * @example
 * ```ts
 * import { KafkaBrokerError, ErrorCode } from 'rxkafka'
 * results$.subscribe({
 *   error: e => {
 *     if (e instanceof KafkaBrokerError && e.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) askForAcl(e.topic)
 *   },
 * })
 * ```
 */
export class KafkaBrokerError extends RxKafkaError {
  /** The numeric Kafka error code, such as 6. */
  readonly errorCode: number
  /** Kafka's name for the code, such as `NOT_LEADER_OR_FOLLOWER` (the same as `code`). */
  readonly errorName: string
  /** Whether cluster metadata must be refreshed before retrying. */
  readonly refreshMetadata: boolean
  /** Whether the coordinator must be looked up again before retrying. */
  readonly findCoordinator: boolean
  /** The free-text message the broker sent with the code, if any. */
  readonly brokerMessage: string | undefined

  constructor(info: ErrorCodeInfo, where: BrokerErrorLocation = {}) {
    const brokerMessage = where.errorMessage === null || where.errorMessage === undefined || where.errorMessage === ''
      ? undefined
      : where.errorMessage
    let what = `${info.name}: ${info.message}`
    if (brokerMessage !== undefined) what += `; the broker says: ${JSON.stringify(brokerMessage)}`
    super(info.name, what, {
      broker: where.broker,
      topic: where.topic,
      partition: where.partition,
      offset: where.offset,
      path: where.path,
      api: where.api,
      retriable: info.retriable,
      hint: info.hint,
      cause: where.cause,
    })
    this.errorCode = info.code
    this.errorName = info.name
    this.refreshMetadata = info.refreshMetadata
    this.findCoordinator = info.findCoordinator
    this.brokerMessage = brokerMessage
  }
}

/**
 * Builds the error for a non-zero error code in a broker response. Any code is
 * accepted: unknown codes give a non-retriable error named
 * `UNKNOWN_ERROR_CODE`. Code 0 (NONE) means success, so passing it is a bug in
 * the caller; it still returns an error rather than throwing, so the caller's
 * `throw brokerError(...)` reports it.
 *
 * @example
 * ```ts
 * import { brokerError } from 'rxkafka'
 * for (const p of response.partitions) {
 *   if (p.errorCode !== 0) throw brokerError(p.errorCode, { api: 'Produce', broker: 2, topic: 'orders', partition: p.index, errorMessage: p.errorMessage })
 * }
 * // NOT_LEADER_OR_FOLLOWER: this broker is not the leader ... (api Produce, broker 2, topic orders, partition 3). rxkafka retries ...
 * ```
 */
export function brokerError(errorCode: number, where: BrokerErrorLocation = {}): KafkaBrokerError {
  const info = errorCodeInfo(errorCode)
  if (info.code === 0 && info.known) {
    return new KafkaBrokerError(
      {
        ...info,
        message: 'error code 0 means success, yet it was reported as an error',
        hint: 'This is a bug in rxkafka (or in code calling brokerError); please report it.',
      },
      where,
    )
  }
  return new KafkaBrokerError(info, where)
}
