/**
 * Per-partition and per-broker state of the producer: the open batch, the
 * queue of sealed batches (the head may be in flight), sequence numbers, the
 * leader, and the circuit breakers.
 */
import { CircuitBreakerState } from '../operators/circuitBreaker.js'
import type { ProducerBatch } from './producer-batch.js'
import type { TopicPartitioner } from './partitioners.js'

export class PartitionState<M> {
  leader = -1
  open: ProducerBatch<M> | undefined
  /** Sealed batches in send order; at most the head is in flight. */
  readonly queue: ProducerBatch<M>[] = []
  inFlight = false
  /** Next sequence number to assign, under producer epoch `sequenceEpoch`. */
  nextSequence = 0
  sequenceEpoch = -1
  sequenceProducerId = -1n
  readonly breaker: CircuitBreakerState | undefined

  constructor(
    readonly topic: TopicState<M>,
    readonly partition: number,
    breaker: CircuitBreakerState | undefined,
  ) {
    this.breaker = breaker
  }

  /** Whether anything is held here (open, queued or in flight). */
  get busy(): boolean {
    return this.open !== undefined || this.queue.length > 0
  }
}

/** A message as the engine reads it (the operators' message types all fit). */
export interface EngineMessage<M> {
  key?: unknown
  value: unknown
  headers?: unknown
  partition?: number
  timestamp?: number
  metadata?: M
}

/** A message that could not be encoded yet: its topic's metadata is not known, or the buffer is full. */
export interface WaitingMessage<M> {
  message: EngineMessage<M>
  enqueuedAt: number
  /** Its acceptance number (see flush()). */
  accepted: number
}

export class TopicState<M> {
  readonly partitions: PartitionState<M>[] = []
  /** Partitions with a leader whose circuits (partition and leader broker) are not open. */
  available: number[] = []
  availableDirty = true
  /** When `available` must be recomputed anyway: the earliest time an excluded partition's circuit half-opens. */
  availableUntil = Infinity
  ready = false
  /** Why its last metadata lookup failed (cleared by the next success): the cause of messages that expire waiting for it. */
  failed: Error | undefined
  lookupInFlight = false
  readonly waiting: WaitingMessage<M>[] = []
  waitingHead = 0

  constructor(readonly name: string, readonly partitioner: TopicPartitioner) {}

  get waitingCount(): number {
    return this.waiting.length - this.waitingHead
  }

  shiftWaiting(): WaitingMessage<M> | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined
    const entry = this.waiting[this.waitingHead]!
    this.waiting[this.waitingHead] = undefined as unknown as WaitingMessage<M>
    this.waitingHead++
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0
      this.waitingHead = 0
    } else if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
    return entry
  }
}

export class BrokerState {
  inFlight = 0
  requestsSent = 0
  /** A request to it failed without an answer since its last answer: batches may be waiting for it to come back. */
  unanswered = false
  readonly breaker: CircuitBreakerState | undefined

  constructor(readonly nodeId: number, breaker: CircuitBreakerState | undefined) {
    this.breaker = breaker
  }
}
