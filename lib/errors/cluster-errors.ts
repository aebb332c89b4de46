/** Errors of the cluster layer: what metadata could not give in time. */
import { errorCodeInfo } from '../protocol/error-codes.js'
import { RxKafkaError } from './rxkafka-error.js'

/**
 * A topic that does not exist (or has no leaders) after the topic wait (`topicWaitMs`).
 *
 * @example
 * ```ts
 * import { UnknownTopicError } from 'rxkafka'
 * kafka.send('typo', { value: 'x' }).catch(e => { if (e.cause instanceof UnknownTopicError) console.error(e.cause.topic) })
 * ```
 */
export class UnknownTopicError extends RxKafkaError {
  constructor(topic: string, waitedMs: number, errorCode: number) {
    super('UNKNOWN_TOPIC', `topic does not exist or has no leader after ${waitedMs} ms (${errorCodeInfo(errorCode).name})`, {
      topic,
      retriable: false,
      hint: 'create the topic, or enable auto.create.topics.enable on the brokers; check the topic name',
    })
  }
}
