/**
 * The behaviour of a partition's queue of sealed batches: which partitions
 * take new messages (leader known, circuits closed), sequence numbers for
 * idempotence (aligned to the producer id, re-stamped after a failed head or
 * a new epoch), finishing the head batch (results out, buffer freed), failing
 * the whole queue at an open circuit, and moving a batch to another partition
 * when it is not pinned. The fields live on PartitionState; the engine-wide
 * sets and tallies on EngineState.
 */
import { batchFinished } from '../observability/producer-events.js'
import type { EngineHost } from './engine-state.js'
import { addSequence } from './producer-batch.js'
import type { ProducerBatch } from './producer-batch.js'
import type { PartitionState, TopicState } from './partition-state.js'

export class PartitionQueues<M> {
  constructor(private readonly host: EngineHost<M>) {}

  /** Partitions new messages may go to; recomputed when a leader or circuit changes, or an open circuit is due to half-open. */
  available(topic: TopicState<M>, now: number): number[] {
    if (!topic.availableDirty && now < topic.availableUntil) return topic.available
    topic.availableDirty = false
    topic.availableUntil = Infinity
    const brokers = this.host.state.brokers
    const available: number[] = []
    for (const p of topic.partitions) {
      if (p.leader < 0) continue
      if (p.breaker !== undefined && p.breaker.advance(now) === 'open') {
        topic.availableUntil = Math.min(topic.availableUntil, p.breaker.halfOpensAt!)
        continue
      }
      const broker = brokers.get(p.leader)
      if (broker?.breaker !== undefined && broker.breaker.advance(now) === 'open') {
        topic.availableUntil = Math.min(topic.availableUntil, broker.breaker.halfOpensAt!)
        continue
      }
      available.push(p.partition)
    }
    topic.available = available
    return available
  }

  /** Restarts the partition's sequence at 0 if it was counted under another producer id or epoch. */
  alignSequence(state: PartitionState<M>): void {
    const pid = this.host.pid
    if (state.sequenceEpoch !== pid.epoch || state.sequenceProducerId !== pid.id) {
      state.sequenceEpoch = pid.epoch
      state.sequenceProducerId = pid.id
      state.nextSequence = 0
    }
  }

  /** Stamps every sealed batch of the partition, in order, from `start` (after an epoch bump or a failed head). */
  resequence(state: PartitionState<M>, start: number): void {
    const pid = this.host.pid
    if (pid.state !== 'ready') return
    state.sequenceEpoch = pid.epoch
    state.sequenceProducerId = pid.id
    let sequence = start
    for (const batch of state.queue) {
      if (state.inFlight && batch === state.queue[0]) continue
      batch.stamp(pid.id, pid.epoch, sequence)
      sequence = addSequence(sequence, batch.recordCount)
    }
    state.nextSequence = sequence
  }

  /** A new producer id or epoch: every partition's sequence starts again at 0, in queue order. */
  onNewProducerId(): void {
    const { id, epoch } = this.host.pid
    for (const topic of this.host.state.topics.values()) {
      for (const state of topic.partitions) {
        state.nextSequence = 0
        if (state.queue.length > 0) this.resequence(state, 0)
        else {
          state.sequenceEpoch = epoch
          state.sequenceProducerId = id
        }
      }
    }
    this.host.kick()
  }

  /** Ends the backoff of the partition's head batch, if it is waiting for one. */
  retryNow(state: PartitionState<M>): void {
    const head = state.queue[0]
    if (head === undefined || state.inFlight) return
    head.awaitsBroker = -1
    const now = this.host.now()
    if (head.readyAt > now) {
      head.readyAt = now
      head.enqueuedAt = now
      this.host.kick()
    }
  }

  /**
   * Fails every sealed batch of the partition at once (open circuit). The
   * partition is free afterwards, so another pass is due now: its open batch,
   * skipped as "not free" earlier in this pass, must be sealed without waiting
   * for some later event.
   */
  failQueued(state: PartitionState<M>, error: Error): void {
    const host = this.host
    let failed = false
    while (state.queue.length > 0 && !state.inFlight && !host.state.closed) {
      if (!host.options.strictPartitioning && !state.queue[0]!.pinned && this.#reroute(state)) continue
      this.finishHead(state, undefined, -1, error)
      failed = true
    }
    if (failed) host.kick()
  }

  /**
   * Not strict: moves the head batch of a partition whose circuit is open to
   * another available partition of the topic (records do not name their
   * partition, so the sealed bytes move as they are; only producer state is
   * stamped again). False when no other partition is available.
   */
  #reroute(state: PartitionState<M>): boolean {
    const { options, pid } = this.host
    const engine = this.host.state
    const available = this.available(state.topic, this.host.now()).filter((p) => p !== state.partition)
    if (available.length === 0) return false
    const target = state.topic.partitions[available[Math.floor(options.random() * available.length)]!]!
    const batch = state.queue.shift()!
    if (state.queue.length === 0) engine.pending.delete(state)
    if (options.idempotent && batch.baseSequence >= 0 && pid.stamps(batch)) {
      // The batch never reached the broker under this sequence: later batches take its place.
      this.resequence(state, batch.baseSequence)
    }
    target.queue.push(batch)
    engine.pending.add(target)
    if (options.idempotent && pid.state === 'ready') {
      this.alignSequence(target)
      batch.stamp(pid.id, pid.epoch, target.nextSequence)
      target.nextSequence = addSequence(target.nextSequence, batch.recordCount)
    } else if (options.idempotent) {
      batch.producerEpoch = -1
    }
    engine.reroutes++
    this.host.kick()
    return true
  }

  /** The head batch of the partition is done: results out, buffer freed, sequence fixed after a failure. */
  finishHead(state: PartitionState<M>, baseOffset: bigint | undefined, logAppendTime: number, error: Error | undefined): void {
    const host = this.host
    const batch = state.queue.shift()!
    state.inFlight = false
    this.releaseBuffer(batch)
    if (state.queue.length === 0) host.state.pending.delete(state)
    if (error !== undefined && host.options.idempotent && batch.baseSequence >= 0) {
      if (batch.outcomeUnknown) host.pid.requestBump()
      else if (host.pid.stamps(batch)) this.resequence(state, batch.baseSequence)
    }
    batchFinished(host.client.clientId, host.name, state.topic.name, state.partition, batch, baseOffset, error, host.now())
    host.emitBatch(state, batch, baseOffset, logAppendTime, error)
  }

  /** The batch's bytes leave the buffer: messages waiting for room may come in. */
  releaseBuffer(batch: ProducerBatch<M>): void {
    const engine = this.host.state
    engine.bufferedBytes -= batch.bufferedBytes
    batch.bufferedBytes = 0
    if (engine.waitingMessages > 0) this.host.kick()
  }
}
