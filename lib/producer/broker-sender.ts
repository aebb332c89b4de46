/**
 * The per-broker sender: drains the head batches of the partitions one broker
 * leads into Produce requests (as many as its in-flight limit allows, each up
 * to maxRequestBytes), fails fast what an open circuit (broker or partition)
 * holds, and hands each answer, or its absence, to ProduceAnswers.
 */
import { CircuitOpenError, RxKafkaError } from '../errors/index.js'
import { ProduceApi } from '../protocol/messages/Produce.js'
import type { ProduceRequest, ProduceRequestTopicProduceData, ProduceResponse } from '../protocol/messages/Produce.js'
import { asError, newBreaker } from './engine-state.js'
import type { EngineHost } from './engine-state.js'
import type { InFlightEntry, ProduceAnswers } from './produce-answers.js'
import type { PartitionQueues } from './partition-queue.js'
import { BrokerState } from './partition-state.js'
import type { PartitionState } from './partition-state.js'

export class BrokerSender<M> {
  constructor(
    private readonly host: EngineHost<M>,
    private readonly queues: PartitionQueues<M>,
    private readonly answers: ProduceAnswers<M>,
  ) {}

  /** The broker's state, created (with its circuit breaker) the first time something goes to it. */
  broker(nodeId: number): BrokerState {
    const engine = this.host.state
    let broker = engine.brokers.get(nodeId)
    if (broker === undefined) {
      broker = new BrokerState(nodeId, newBreaker(this.host.options, () => {
        for (const t of engine.topics.values()) t.availableDirty = true
      }))
      engine.brokers.set(nodeId, broker)
    }
    return broker
  }

  /** Sends as many requests to one broker as its in-flight limit allows; returns the next wake-up time it needs. */
  sendTo(nodeId: number, candidates: PartitionState<M>[], now: number): number {
    const { options, pid } = this.host
    const broker = this.broker(nodeId)
    let next = Infinity
    let index = 0
    while (index < candidates.length && broker.inFlight < options.maxInFlight && !this.host.state.closed) {
      if (broker.breaker !== undefined && !broker.breaker.canPass(now)) {
        const halfOpensAt = broker.breaker.halfOpensAt
        if (halfOpensAt === undefined) return next // a probe is in flight; wait for it
        const error = new CircuitOpenError(`broker ${nodeId}`, { broker: nodeId, retryAfterMs: halfOpensAt - now, consecutiveFailures: broker.breaker.consecutiveFailures })
        for (; index < candidates.length; index++) {
          const state = candidates[index]!
          this.queues.failQueued(state, error)
        }
        return next
      }
      const entries: InFlightEntry<M>[] = []
      let bytes = 0
      for (; index < candidates.length; index++) {
        const state = candidates[index]!
        const batch = state.queue[0]!
        const size = batch.sealed!.bytes.length
        if (entries.length > 0 && bytes + size > options.maxRequestBytes) break
        if (options.idempotent && !pid.stamps(batch)) {
          // Every path that changes producer state re-stamps the queues, so this is a bug; a new epoch re-stamps everything safely.
          pid.requestBump()
          continue
        }
        if (state.breaker !== undefined && !state.breaker.canPass(now)) {
          const halfOpensAt = state.breaker.halfOpensAt
          if (halfOpensAt !== undefined) {
            this.queues.failQueued(state, new CircuitOpenError(`partition ${state.topic.name}/${state.partition}`, {
              topic: state.topic.name,
              partition: state.partition,
              retryAfterMs: halfOpensAt - now,
              consecutiveFailures: state.breaker.consecutiveFailures,
            }))
          }
          continue
        }
        bytes += size
        batch.attempts++
        batch.awaitsBroker = -1
        batch.exchanges.push({ enqueuedAt: batch.enqueuedAt, sentAt: now, answeredAt: 0, broker: nodeId })
        state.inFlight = true
        entries.push({ partition: state, batch, exchangeIndex: batch.exchanges.length - 1 })
      }
      if (entries.length === 0) {
        broker.breaker?.onAbandon(now)
        break
      }
      this.#sendRequest(broker, entries)
    }
    return next
  }

  #sendRequest(broker: BrokerState, entries: InFlightEntry<M>[]): void {
    const options = this.host.options
    const engine = this.host.state
    const byTopic = new Map<string, ProduceRequestTopicProduceData>()
    // The records plus room for the header and each topic's and partition's fields: the frame is encoded once, unresized.
    let sizeHint = 256
    for (const entry of entries) {
      sizeHint += entry.batch.sealed!.bytes.length + 16 + entry.partition.topic.name.length * 3
      const name = entry.partition.topic.name
      let topicData = byTopic.get(name)
      if (topicData === undefined) {
        topicData = { name, partitionData: [] }
        byTopic.set(name, topicData)
      }
      topicData.partitionData.push({ index: entry.partition.partition, records: entry.batch.sealed!.bytes })
    }
    const request: ProduceRequest = { transactionalId: null, acks: options.acks, timeoutMs: options.timeoutMs, topicData: [...byTopic.values()] }
    broker.inFlight++
    broker.requestsSent++
    engine.inFlightRequests++
    engine.requestsSent++
    engine.batchesSent += entries.length
    const requestOptions = { timeoutMs: options.requestTimeoutMs, minVersion: 3, sizeHint }
    let answered = false
    const done = (): void => {
      broker.inFlight--
      engine.inFlightRequests--
    }
    const onError = (error: unknown): void => {
      if (answered) return
      answered = true
      done()
      this.answers.onRequestFailed(broker, entries, asError(error))
      this.host.kick()
    }
    // acks=0 has no answer: the write itself settles the batches, as an answer without a response.
    const onAnswer = (response: ProduceResponse | undefined): void => {
      if (answered) return
      answered = true
      done()
      this.answers.onAnswer(broker, entries, response)
      this.host.kick()
    }
    if (options.acks === 0) {
      this.host.run(this.host.client.send(broker.nodeId, ProduceApi, request, requestOptions), {
        next: () => onAnswer(undefined),
        error: onError,
      })
    } else {
      this.host.run(this.host.client.request(broker.nodeId, ProduceApi, request, requestOptions), {
        next: onAnswer,
        error: onError,
        complete: () => {
          if (!answered) onError(new RxKafkaError('NO_RESPONSE', 'the Produce request completed without an answer', { broker: broker.nodeId, api: 'Produce', retriable: true }))
        },
      })
    }
  }
}
