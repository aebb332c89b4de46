/**
 * What the rooms of one producer engine share: the engine-wide state (topics,
 * brokers, the sets of busy partitions, the buffer and request tallies) and
 * the few services only the engine itself provides (the clock, the wake-up,
 * subscriptions that abort() cancels, results). The engine builds one host
 * when it starts; the rooms (accumulator, partition queues, broker sender,
 * Produce answers) hold it for their whole life, so nothing here is created
 * per message.
 */
import type { Observable, Observer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { CircuitBreakerState } from '../operators/circuitBreaker.js'
import type { ResolvedProducerOptions } from './options.js'
import type { ProducerBatch } from './producer-batch.js'
import type { ProducerId } from './producer-id.js'
import type { BrokerState, PartitionState, TopicState } from './partition-state.js'

/** Ceiling of the first buffer of a batch; it grows by doubling up to batchBytes. */
export const INITIAL_BATCH_CAPACITY = 64 * 1024

/** The engine-wide state the rooms read and change. */
export class EngineState<M> {
  readonly topics = new Map<string, TopicState<M>>()
  readonly brokers = new Map<number, BrokerState>()
  /** Partitions holding sealed batches. */
  readonly pending = new Set<PartitionState<M>>()
  /** Partitions with an open batch. */
  readonly openPartitions = new Set<PartitionState<M>>()
  bufferedBytes = 0
  waitingMessages = 0
  inFlightRequests = 0
  /** Earliest time a metadata refresh may start (a failed answer brings it forward to now). */
  nextMetadataRefreshAt = 0
  closed = false
  resultsEmitted = 0
  failures = 0
  batchesSent = 0
  requestsSent = 0
  reroutes = 0
  splits = 0
}

/** What the engine gives its rooms. */
export interface EngineHost<M> {
  readonly name: string
  readonly client: ClusterClient
  readonly options: ResolvedProducerOptions
  readonly pid: ProducerId
  readonly state: EngineState<M>
  /** The scheduler's time. */
  now(): number
  /** Runs the cycle as soon as possible. */
  kick(): void
  /** Runs the cycle at `at` at the latest. */
  scheduleWake(at: number): void
  /** Subscribes, keeping the subscription until it ends, so abort() can cancel it. */
  run<T>(source: Observable<T>, observer: Partial<Observer<T>>): void
  /** Refreshes the metadata of every topic (once at a time). */
  refreshMetadata(): void
  /** One result per record of the batch: delivered at `baseOffset`, or failed with `error`. */
  emitBatch(partition: PartitionState<M>, batch: ProducerBatch<M>, baseOffset: bigint | undefined, logAppendTime: number, error: Error | undefined): void
  /** One failed result for a message that never made it into a batch. */
  failMessage(topic: string, partition: number, metadata: M | undefined, error: Error, now: number): void
}

/** A circuit breaker as the options ask for (none when circuitBreaker is false). */
export function newBreaker(options: ResolvedProducerOptions, onChange: () => void): CircuitBreakerState | undefined {
  const cb = options.circuitBreaker
  if (cb === false) return undefined
  return new CircuitBreakerState({ failureThreshold: cb.failureThreshold, resetAfterMs: cb.resetAfterMs, onTransition: onChange })
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
