/**
 * What a Produce answer (or its absence) does to the batches it carried: the
 * retry and error policy. Written batches finish with their offsets; a batch
 * refused as too large is split in halves (or, a single record, fails naming
 * the topic's limit); sequence trouble asks for an epoch bump; retriable
 * errors back off within the delivery timeout; a request without an answer
 * marks its batches' outcome unknown and waits for the broker to come back.
 */
import { brokerError, DeliveryTimeoutError, KafkaBrokerError, RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import { ErrorCode, errorCodeInfo } from '../protocol/error-codes.js'
import { DescribeConfigsApi } from '../protocol/messages/DescribeConfigs.js'
import type { DescribeConfigsResponse } from '../protocol/messages/DescribeConfigs.js'
import type { ProduceResponse } from '../protocol/messages/Produce.js'
import { INITIAL_BATCH_CAPACITY } from './engine-state.js'
import type { EngineHost } from './engine-state.js'
import { addSequence } from './producer-batch.js'
import type { ProducerBatch } from './producer-batch.js'
import type { PartitionQueues } from './partition-queue.js'
import type { BrokerState, PartitionState } from './partition-state.js'

/** One batch of a Produce request: its partition, and which of its exchanges this request is. */
export interface InFlightEntry<M> {
  partition: PartitionState<M>
  batch: ProducerBatch<M>
  exchangeIndex: number
}

/** DescribeConfigs' resource type of a topic. */
const TOPIC_RESOURCE = 2

export class ProduceAnswers<M> {
  constructor(private readonly host: EngineHost<M>, private readonly queues: PartitionQueues<M>) {}

  /** The broker answered (`response` undefined with acks=0): each batch finishes, retries or fails. */
  onAnswer(broker: BrokerState, entries: InFlightEntry<M>[], response: ProduceResponse | undefined): void {
    const now = this.host.now()
    broker.breaker?.onSuccess(now)
    if (broker.unanswered) this.#brokerAnswered(broker)
    for (const entry of entries) {
      const exchange = entry.batch.exchanges[entry.exchangeIndex]!
      exchange.answeredAt = now
      if (response === undefined) {
        entry.partition.breaker?.onSuccess(now)
        this.queues.finishHead(entry.partition, undefined, -1, undefined)
        continue
      }
      const answer = findPartitionResponse(response, entry.partition.topic.name, entry.partition.partition)
      if (answer === undefined) {
        const error = new RxKafkaError('MISSING_PARTITION_RESPONSE', 'the Produce answer did not mention this partition', {
          broker: broker.nodeId, topic: entry.partition.topic.name, partition: entry.partition.partition, api: 'Produce', retriable: true,
        })
        exchange.error = error
        this.#onBatchFailed(entry, error, true, false)
        continue
      }
      const code = answer.errorCode
      if (code === 0 || (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && entry.batch.attempts > 1)) {
        entry.partition.breaker?.onSuccess(now)
        const logAppendTime = answer.logAppendTimeMs !== undefined && answer.logAppendTimeMs >= 0n ? Number(answer.logAppendTimeMs) : -1
        this.queues.finishHead(entry.partition, code === 0 || answer.baseOffset >= 0n ? answer.baseOffset : undefined, logAppendTime, undefined)
        continue
      }
      const error = brokerError(code, {
        api: 'Produce', broker: broker.nodeId, topic: entry.partition.topic.name, partition: entry.partition.partition, errorMessage: answer.errorMessage,
      })
      exchange.error = error
      if (code === ErrorCode.MESSAGE_TOO_LARGE) {
        // Not written: a batch of many records is split and sent again; only a single record over the limit fails.
        entry.partition.inFlight = false
        if (entry.batch.recordCount > 1) this.#splitHead(entry.partition)
        else this.#failTooLarge(entry.partition, broker.nodeId)
        continue
      }
      const info = errorCodeInfo(code)
      const sequenceTrouble = this.host.options.idempotent && (
        code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID ||
        code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER)
      if (sequenceTrouble) this.host.pid.requestBump()
      this.#onBatchFailed(entry, error, info.retriable || sequenceTrouble, info.refreshMetadata)
    }
  }

  /** The request failed without an answer: the batches may or may not have been written. */
  onRequestFailed(broker: BrokerState, entries: InFlightEntry<M>[], error: Error): void {
    const now = this.host.now()
    broker.breaker?.onFailure(now)
    broker.unanswered = true
    const retriable = !(error instanceof RxKafkaError) || error.retriable
    for (const entry of entries) {
      const exchange = entry.batch.exchanges[entry.exchangeIndex]!
      exchange.answeredAt = now
      exchange.error = error
      entry.batch.outcomeUnknown = true
      entry.batch.awaitsBroker = broker.nodeId
      // Without an answer the leader may have moved: look again.
      this.#onBatchFailed(entry, error, retriable, true)
    }
  }

  #onBatchFailed(entry: InFlightEntry<M>, error: Error, retriable: boolean, refreshMetadata: boolean): void {
    const host = this.host
    const options = host.options
    const now = host.now()
    const { partition: state, batch } = entry
    state.breaker?.onFailure(now)
    state.inFlight = false
    batch.lastError = error
    if (refreshMetadata) host.state.nextMetadataRefreshAt = Math.min(host.state.nextMetadataRefreshAt, now)
    if (refreshMetadata) host.refreshMetadata()
    if (!retriable || batch.attempts > options.retries) {
      this.queues.finishHead(state, undefined, -1, error)
      return
    }
    const delay = backoffDelay(batch.attempts - 1, options.retryBackoff, options.random)
    if (now + delay >= batch.deadline) {
      this.queues.finishHead(state, undefined, -1, new DeliveryTimeoutError(options.deliveryTimeoutMs, {
        topic: state.topic.name, partition: state.partition, broker: state.leader, cause: error, attempts: batch.attempts,
      }))
      return
    }
    batch.readyAt = now + delay
    batch.enqueuedAt = batch.readyAt
  }

  /**
   * The broker answered again after requests to it had failed unanswered: it
   * is back, so every batch backing off because of it is retried now rather
   * than at the end of its backoff.
   */
  #brokerAnswered(broker: BrokerState): void {
    broker.unanswered = false
    for (const state of this.host.state.pending) {
      if (state.queue[0]?.awaitsBroker === broker.nodeId) this.queues.retryNow(state)
    }
  }

  /**
   * The head batch was refused as too large: it becomes two batches (first
   * half, second half) at the head of the queue. It was not written, so the
   * halves take its sequence numbers in order (first at its base sequence,
   * the second after it) and the batches behind keep theirs.
   */
  #splitHead(state: PartitionState<M>): void {
    const batch = state.queue[0]!
    const options = this.host.options
    const halves = batch.splitInHalves(state.topic.name, state.partition, Math.min(options.batchBytes + 1024, INITIAL_BATCH_CAPACITY))
    const now = this.host.now()
    const [first, second] = halves
    first.seal(now, options.compression, batch.producerId, batch.producerEpoch, batch.baseSequence)
    const secondSequence = batch.baseSequence >= 0 ? addSequence(batch.baseSequence, first.recordCount) : -1
    second.seal(now, options.compression, batch.producerId, batch.producerEpoch, secondSequence)
    state.queue.splice(0, 1, first, second)
    this.host.state.splits++
    this.host.kick()
  }

  /**
   * A single record the broker refuses as too large fails, its error naming
   * its size and the topic's limit (max.message.bytes, asked with
   * DescribeConfigs; the batch waits for the answer).
   */
  #failTooLarge(state: PartitionState<M>, nodeId: number): void {
    const host = this.host
    const batch = state.queue[0]!
    batch.readyAt = Infinity
    const topic = state.topic.name
    const size = batch.sealed!.bytes.length
    const finish = (limit: string): void => {
      if (host.state.closed || state.queue[0] !== batch || state.inFlight) return
      const error = new KafkaBrokerError({
        ...errorCodeInfo(ErrorCode.MESSAGE_TOO_LARGE),
        message: `a record of ${size} bytes (as a batch of one) is over ${limit}`,
        hint: 'Send a smaller value, or raise max.message.bytes on the topic (and message.max.bytes and replica.fetch.max.bytes on the brokers)',
      }, { api: 'Produce', broker: nodeId, topic, partition: state.partition })
      this.queues.finishHead(state, undefined, -1, error)
      host.kick()
    }
    host.run(host.client.request('any', DescribeConfigsApi, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: ['max.message.bytes'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    }), {
      next: (response: DescribeConfigsResponse) => {
        const value = response.results[0]?.configs.find((c) => c.name === 'max.message.bytes')?.value
        finish(value === null || value === undefined ? "the topic's limit (max.message.bytes)" : `the topic's limit of ${value} bytes (max.message.bytes)`)
      },
      error: () => finish("the topic's limit (max.message.bytes, which could not be read)"),
    })
  }
}

function findPartitionResponse(response: ProduceResponse, topic: string, partition: number) {
  for (const t of response.responses) {
    if (t.name !== topic) continue
    for (const p of t.partitionResponses) if (p.index === partition) return p
  }
  return undefined
}
